"""forums' public counters: proposals per forum and theme, participants, units

Adds the counters and the two tallies behind them (``forum_participants``: public
contributions per forum and user; ``forum_units``: public proposals per forum and unit of
their authors) and fills them from the existing rows, with the meaning of the queries
they replace: public = not hidden and not withdrawn (``listing = 0``); contributions are
public proposals, comments that are not hidden on them, and supports on them.

Revision ID: 33b2965147ba
Revises: 00f267047420
Create Date: 2026-12-02 14:01:48.426786

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '33b2965147ba'
down_revision = '00f267047420'
branch_labels = None
depends_on = None

COUNTERS = (("forums", "proposal_count"), ("forums", "participant_count"), ("forums", "unit_count"),
            ("themes", "proposal_count"))

BACKFILL = (
    """
    INSERT INTO forum_participants (forum_id, user_id, contributions)
    SELECT forum_id, user_id, count(*) FROM (
        SELECT p.forum_id AS forum_id, p.author_id AS user_id FROM proposals p WHERE p.listing = 0
        UNION ALL
        SELECT p.forum_id, c.author_id FROM comments c JOIN proposals p ON p.id = c.proposal_id
        WHERE p.listing = 0 AND NOT c.is_hidden
        UNION ALL
        SELECT p.forum_id, s.user_id FROM supports s JOIN proposals p ON p.id = s.proposal_id
        WHERE p.listing = 0
    ) AS contributions
    GROUP BY forum_id, user_id
    """,
    """
    INSERT INTO forum_units (forum_id, unit, proposal_count)
    SELECT p.forum_id, u.unit, count(*) FROM proposals p JOIN users u ON u.id = p.author_id
    WHERE p.listing = 0 AND u.unit IS NOT NULL AND u.unit != ''
    GROUP BY p.forum_id, u.unit
    """,
    """
    UPDATE forums SET
        proposal_count = (SELECT count(*) FROM proposals p WHERE p.forum_id = forums.id AND p.listing = 0),
        participant_count = (SELECT count(*) FROM forum_participants fp WHERE fp.forum_id = forums.id),
        unit_count = (SELECT count(*) FROM forum_units fu WHERE fu.forum_id = forums.id)
    """,
    """
    UPDATE themes SET
        proposal_count = (SELECT count(*) FROM proposals p WHERE p.theme_id = themes.id AND p.listing = 0)
    """,
)


def upgrade():
    op.create_table('forum_participants',
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('contributions', sa.Integer(), nullable=False),
    sa.CheckConstraint('contributions >= 0', name=op.f('ck_forum_participants_contributions_not_negative')),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_forum_participants_forum_id_forums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_forum_participants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('forum_id', 'user_id', name=op.f('pk_forum_participants'))
    )
    op.create_table('forum_units',
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('proposal_count', sa.Integer(), nullable=False),
    sa.CheckConstraint('proposal_count >= 0', name=op.f('ck_forum_units_proposal_count_not_negative')),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_forum_units_forum_id_forums'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('forum_id', 'unit', name=op.f('pk_forum_units'))
    )
    op.create_index('ix_forum_units_top', 'forum_units', ['forum_id', 'proposal_count'])
    # Plain ALTER TABLE, never a batch "move and copy": recreating forums or themes on
    # SQLite (foreign keys on) would cascade-delete what hangs from them.
    for table, column in COUNTERS:
        op.add_column(table, sa.Column(column, sa.Integer(), server_default='0', nullable=False))
    for statement in BACKFILL:
        op.execute(statement)


def downgrade():
    for table, column in reversed(COUNTERS):
        op.drop_column(table, column)
    op.drop_index('ix_forum_units_top', table_name='forum_units')
    op.drop_table('forum_units')
    op.drop_table('forum_participants')
