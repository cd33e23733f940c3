"""result_snapshots: the frozen, digested ranking of each closing of a forum

Revision ID: 7c1e5a9b2d40
Revises: 3b9d0c1f7e24
Create Date: 2026-12-03 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1e5a9b2d40'
down_revision = '3b9d0c1f7e24'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'result_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('forum_id', sa.Integer(), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('proposal_count', sa.Integer(), nullable=False),
        sa.Column('support_count', sa.Integer(), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_result_snapshots_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_result_snapshots_forum_id_forums'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['published_by_id'], ['users.id'],
                                name=op.f('fk_result_snapshots_published_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_result_snapshots')),
        sa.UniqueConstraint('forum_id', 'closed_at', name=op.f('uq_result_snapshots_forum_id_closed_at')),
    )
    op.create_index('ix_result_snapshots_forum_created', 'result_snapshots', ['forum_id', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_result_snapshots_forum_created', table_name='result_snapshots')
    op.drop_table('result_snapshots')
