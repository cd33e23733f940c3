"""Audit entries name the forum of their target (filter the log by forum); the target is optional

Revision ID: cba89132e1c2
Revises: 71e373130bd3
Create Date: 2026-12-02 16:35:07.634851

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'cba89132e1c2'
down_revision = '71e373130bd3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('forum_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_entries_forum_id'), ['forum_id'], unique=False)
    op.execute("UPDATE audit_entries SET forum_id = target_id WHERE target_type = 'forums'")
    op.execute(
        "UPDATE audit_entries SET forum_id = "
        "(SELECT proposals.forum_id FROM proposals WHERE proposals.id = audit_entries.target_id) "
        "WHERE target_type = 'proposals'"
    )


def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_forum_id'))
        batch_op.drop_column('forum_id')

