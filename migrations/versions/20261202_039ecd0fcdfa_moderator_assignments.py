"""Moderators' scope (moderator_assignments: a forum each, or none for all forums); the audit log filters by action

Revision ID: 039ecd0fcdfa
Revises: deb5937440dc
Create Date: 2026-12-02 16:41:14.899465

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '039ecd0fcdfa'
down_revision = 'deb5937440dc'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'moderator_assignments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('forum_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_moderator_assignments_forum_id_forums'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_moderator_assignments_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_moderator_assignments')),
        sa.UniqueConstraint('user_id', 'forum_id', name='uq_moderator_assignments_user_forum'),
    )
    with op.batch_alter_table('moderator_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moderator_assignments_user_id'), ['user_id'], unique=False)
        batch_op.create_index(
            'uq_moderator_assignments_user_all', ['user_id'], unique=True,
            sqlite_where=sa.text('forum_id IS NULL'), postgresql_where=sa.text('forum_id IS NULL'),
        )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_action'), ['action'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_action'))
    op.drop_table('moderator_assignments')
