"""duplicate_scans: the title each proposal had when its possible duplicates were last
searched for, so that ``flask moderation find-duplicates`` searches only for new
proposals and changed titles

Revision ID: 3b9d0c1f7e24
Revises: f33ac9c2816b
Create Date: 2026-12-03 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b9d0c1f7e24'
down_revision = 'f33ac9c2816b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'duplicate_scans',
        sa.Column('proposal_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_duplicate_scans_proposal_id_proposals'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('proposal_id', name=op.f('pk_duplicate_scans')),
    )
    op.create_index(op.f('ix_duplicate_scans_scanned_at'), 'duplicate_scans', ['scanned_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_duplicate_scans_scanned_at'), table_name='duplicate_scans')
    op.drop_table('duplicate_scans')
