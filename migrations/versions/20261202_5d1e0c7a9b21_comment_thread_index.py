"""comments: an index for one page of a proposal's thread

Revision ID: 5d1e0c7a9b21
Revises: 33b2965147ba
Create Date: 2026-12-02 14:45:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5d1e0c7a9b21'
down_revision = '33b2965147ba'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_comments_thread', 'comments', ['proposal_id', 'parent_id', 'created_at', 'id'])


def downgrade():
    op.drop_index('ix_comments_thread', table_name='comments')
