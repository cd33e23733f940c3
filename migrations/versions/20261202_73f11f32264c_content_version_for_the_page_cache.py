"""content version for the page cache (forum/core/pagecache.py): one row, moved by every committed write of page content

Revision ID: 73f11f32264c
Revises: cba89132e1c2
Create Date: 2026-12-02 16:59:21.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '73f11f32264c'
down_revision = 'cba89132e1c2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'content_version',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_content_version')),
    )
    op.execute("INSERT INTO content_version (id, version) VALUES (1, 0)")


def downgrade():
    op.drop_table('content_version')
