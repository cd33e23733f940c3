"""curation: featured proposals, corrected titles, official answers, custom statuses, answer drafts

proposals gains is_featured (with a small partial index for the home page), the author's
original title with who corrected it and when, and the published official answer with
who answered and when; forum_statuses holds the custom statuses organizers define per
forum (by code); answer_drafts the answers not published yet.

Revision ID: 6e45bfd740a2
Revises: edd5de572450
Create Date: 2026-12-03 08:39:19.205143

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6e45bfd740a2'
down_revision = 'edd5de572450'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('forum_statuses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('title_en', sa.String(length=100), server_default='', nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_retired', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_forum_statuses_forum_id_forums'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_statuses')),
    sa.UniqueConstraint('forum_id', 'code', name='uq_forum_statuses_forum_code')
    )
    op.create_table('answer_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_answer_drafts_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['forum_id'], ['forums.id'], name=op.f('fk_answer_drafts_forum_id_forums'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_answer_drafts_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_drafts')),
    sa.UniqueConstraint('proposal_id', name=op.f('uq_answer_drafts_proposal_id'))
    )
    op.create_index(op.f('ix_answer_drafts_forum_id'), 'answer_drafts', ['forum_id'], unique=False)

    # Plain ALTER TABLE statements, never a batch "move and copy": recreating proposals
    # on SQLite (foreign keys on) would cascade-delete its comments and supports.
    op.add_column('proposals', sa.Column('is_featured', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('proposals', sa.Column('original_title', sa.String(length=200), nullable=True))
    # Who corrected the title and who answered: user ids, not foreign keys (see the model).
    op.add_column('proposals', sa.Column('title_corrected_by_id', sa.Integer(), nullable=True))
    op.add_column('proposals', sa.Column('title_corrected_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('proposals', sa.Column('answer_body', sa.Text(), nullable=True))
    op.add_column('proposals', sa.Column('answer_html', sa.Text(), nullable=True))
    op.add_column('proposals', sa.Column('answered_by_id', sa.Integer(), nullable=True))
    op.add_column('proposals', sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_proposals_featured', 'proposals', ['created_at', 'id'], unique=False,
                    sqlite_where=sa.text('is_featured = 1'), postgresql_where=sa.text('is_featured'))


def downgrade():
    op.drop_index('ix_proposals_featured', table_name='proposals')
    for column in ('answered_at', 'answered_by_id', 'answer_html', 'answer_body', 'title_corrected_at',
                   'title_corrected_by_id', 'original_title', 'is_featured'):
        op.drop_column('proposals', column)
    op.drop_index(op.f('ix_answer_drafts_forum_id'), table_name='answer_drafts')
    op.drop_table('answer_drafts')
    op.drop_table('forum_statuses')
