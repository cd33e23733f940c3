"""merging duplicate proposals: proposal_merges, the support and comment provenance of a
merge, the possible-duplicate pairs; a merged proposal is not listed

``proposals.listing`` now puts ``merged`` with ``withdrawn`` (2, never listed). The
generated column's expression cannot be changed in place on either database: its three
list indexes are dropped, the column dropped and added again with the new expression
(VIRTUAL on SQLite, STORED on PostgreSQL, as when it was first added), and the indexes
rebuilt. Columns are added with plain ALTER TABLE statements, never a batch "move and
copy": recreating proposals on SQLite (foreign keys on) would cascade-delete its comments
and supports. SQLite adds a column's foreign key inline (``REFERENCES``), the only way
it can; PostgreSQL gets a named constraint.

Revision ID: 8e41c2d7a5b3
Revises: 6e45bfd740a2
Create Date: 2026-12-03 08:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e41c2d7a5b3'
down_revision = '6e45bfd740a2'
branch_labels = None
depends_on = None

# Frozen copies of forum.proposals.models.LISTING_SQL, after and before.
LISTING_SQL = "CASE WHEN status IN ('withdrawn', 'merged') THEN 2 WHEN is_hidden THEN 1 ELSE 0 END"
OLD_LISTING_SQL = "CASE WHEN status = 'withdrawn' THEN 2 WHEN is_hidden THEN 1 ELSE 0 END"
LIST_INDEXES = {
    "ix_proposals_list_supports": ["forum_id", "listing", "is_pinned", "support_count", "created_at", "id", "theme_id"],
    "ix_proposals_list_discussed": ["forum_id", "listing", "is_pinned", "comment_count", "created_at", "id", "theme_id"],
    "ix_proposals_list_newest": ["forum_id", "listing", "is_pinned", "created_at", "id", "theme_id"],
}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _replace_listing(expression: str) -> None:
    for name in LIST_INDEXES:
        op.drop_index(name, table_name="proposals")
    op.drop_column("proposals", "listing")
    op.add_column(
        "proposals",
        sa.Column("listing", sa.SmallInteger(), sa.Computed(expression, persisted=not _sqlite()), nullable=False),
    )
    for name, columns in LIST_INDEXES.items():
        op.create_index(name, "proposals", columns)


def _add_reference(table: str, column: str, referred: str) -> None:
    """A nullable integer column referring to ``referred.id``, indexed. No ON DELETE
    action: SQLite's reflection does not read one from an inline REFERENCES, and these
    rows are never deleted (proposals are withdrawn, merges undone, both kept)."""
    name = f"fk_{table}_{column}_{referred}"
    if _sqlite():
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES {referred} (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, referred, [column], ["id"])
    op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade():
    op.create_table(
        'proposal_merges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('source_status', sa.String(length=30), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('undone_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_proposal_merges_actor_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['source_id'], ['proposals.id'], name=op.f('fk_proposal_merges_source_id_proposals'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['target_id'], ['proposals.id'], name=op.f('fk_proposal_merges_target_id_proposals'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'], name=op.f('fk_proposal_merges_undone_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_merges')),
    )
    op.create_index(op.f('ix_proposal_merges_source_id'), 'proposal_merges', ['source_id'], unique=False)
    op.create_index(op.f('ix_proposal_merges_target_id'), 'proposal_merges', ['target_id'], unique=False)
    op.create_table(
        'support_merge_records',
        sa.Column('merge_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['merge_id'], ['proposal_merges.id'], name=op.f('fk_support_merge_records_merge_id_proposal_merges'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_support_merge_records_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('merge_id', 'user_id', name=op.f('pk_support_merge_records')),
    )
    op.create_table(
        'duplicate_pairs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('first_id', sa.Integer(), nullable=False),
        sa.Column('second_id', sa.Integer(), nullable=False),
        sa.Column('first_forum_id', sa.Integer(), nullable=False),
        sa.Column('second_forum_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('dismissed_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['dismissed_by_id'], ['users.id'], name=op.f('fk_duplicate_pairs_dismissed_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['first_forum_id'], ['forums.id'], name=op.f('fk_duplicate_pairs_first_forum_id_forums'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['first_id'], ['proposals.id'], name=op.f('fk_duplicate_pairs_first_id_proposals'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['second_forum_id'], ['forums.id'], name=op.f('fk_duplicate_pairs_second_forum_id_forums'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['second_id'], ['proposals.id'], name=op.f('fk_duplicate_pairs_second_id_proposals'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_pairs')),
        sa.UniqueConstraint('first_id', 'second_id', name=op.f('uq_duplicate_pairs_first_id_second_id')),
    )
    op.create_index('ix_duplicate_pairs_open', 'duplicate_pairs', ['dismissed_at', 'score'], unique=False)
    op.create_index(op.f('ix_duplicate_pairs_second_id'), 'duplicate_pairs', ['second_id'], unique=False)
    op.add_column("proposals", sa.Column("merge_count", sa.Integer(), server_default="0", nullable=False))
    _add_reference("proposals", "merged_into_id", "proposals")
    _add_reference("comments", "origin_proposal_id", "proposals")
    _add_reference("supports", "merge_id", "proposal_merges")
    _replace_listing(LISTING_SQL)


def downgrade():
    _replace_listing(OLD_LISTING_SQL)
    for table, column, referred in (("supports", "merge_id", "proposal_merges"),
                                    ("comments", "origin_proposal_id", "proposals"),
                                    ("proposals", "merged_into_id", "proposals")):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        if not _sqlite():
            op.drop_constraint(f"fk_{table}_{column}_{referred}", table, type_="foreignkey")
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.drop_column("proposals", "merge_count")
    op.drop_index(op.f('ix_duplicate_pairs_second_id'), table_name='duplicate_pairs')
    op.drop_index('ix_duplicate_pairs_open', table_name='duplicate_pairs')
    op.drop_table('duplicate_pairs')
    op.drop_table('support_merge_records')
    op.drop_index(op.f('ix_proposal_merges_target_id'), table_name='proposal_merges')
    op.drop_index(op.f('ix_proposal_merges_source_id'), table_name='proposal_merges')
    op.drop_table('proposal_merges')
