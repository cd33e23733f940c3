"""forum_days: what each forum received per day, kept with the rows

The organizers' dashboard read its daily series from the contributions (a GROUP BY over
every proposal, comment and support: about a second at 2.5 million on PostgreSQL); the
daily tallies hold one row per forum and day. They are filled here from the rows, with
the same rule as ``flask proposals verify`` (public proposals, comments not hidden on
them, supports on them; the day in Vietnam, UTC+7). The supports' (proposal_id,
created_at) index, which only that GROUP BY used, goes.

Revision ID: a4f7d1c9e2b6
Revises: 5d2c8e9a4b17
Create Date: 2026-12-03 18:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a4f7d1c9e2b6'
down_revision = '5d2c8e9a4b17'
branch_labels = None
depends_on = None


def _local_day(column: str) -> str:
    if op.get_bind().dialect.name == "sqlite":
        return f"date({column}, '+7 hours')"
    return f"CAST(({column} AT TIME ZONE 'UTC') + INTERVAL '7 hours' AS DATE)"


def upgrade():
    op.create_table(
        'forum_days',
        sa.Column('forum_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('proposals', sa.Integer(), nullable=False),
        sa.Column('comments', sa.Integer(), nullable=False),
        sa.Column('supports', sa.Integer(), nullable=False),
        sa.CheckConstraint('proposals >= 0', name=op.f('ck_forum_days_proposals_not_negative')),
        sa.CheckConstraint('comments >= 0', name=op.f('ck_forum_days_comments_not_negative')),
        sa.CheckConstraint('supports >= 0', name=op.f('ck_forum_days_supports_not_negative')),
        sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_forum_days_forum_id_forums'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('forum_id', 'day', name=op.f('pk_forum_days')),
    )
    op.execute(f"""
        INSERT INTO forum_days (forum_id, day, proposals, comments, supports)
        SELECT forum_id, day, SUM(CASE WHEN kind = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN kind = 2 THEN 1 ELSE 0 END),
               SUM(CASE WHEN kind = 3 THEN 1 ELSE 0 END) FROM (
            SELECT p.forum_id AS forum_id, {_local_day('p.created_at')} AS day, 1 AS kind
              FROM proposals p WHERE p.listing = 0
            UNION ALL
            SELECT p.forum_id, {_local_day('c.created_at')}, 2
              FROM comments c JOIN proposals p ON p.id = c.proposal_id
             WHERE p.listing = 0 AND NOT c.is_hidden
            UNION ALL
            SELECT p.forum_id, {_local_day('s.created_at')}, 3
              FROM supports s JOIN proposals p ON p.id = s.proposal_id
             WHERE p.listing = 0
        ) AS contributions
        GROUP BY forum_id, day
    """)
    op.drop_index('ix_supports_proposal_created', table_name='supports')


def downgrade():
    op.create_index('ix_supports_proposal_created', 'supports', ['proposal_id', 'created_at'], unique=False)
    op.drop_table('forum_days')
