"""supports: an index on (proposal_id, created_at) for the organizers' dashboard

The supports per forum and per day are counted with an index-only scan (SQLite and
PostgreSQL) instead of a row lookup per support.

Revision ID: 5d2c8e9a4b17
Revises: 7c1e5a9b2d40
Create Date: 2026-12-03 15:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5d2c8e9a4b17'
down_revision = '7c1e5a9b2d40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_supports_proposal_created', 'supports', ['proposal_id', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_supports_proposal_created', table_name='supports')
