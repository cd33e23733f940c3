"""search (PostgreSQL): syllable tokenization, syllable pairs, order indexes

- tsv_exact / tsv_fold read ``vi_words(text)`` (ASCII punctuation → spaces), so that
  PostgreSQL cuts syllables like the ``\\w+`` analyzers (``covid-19``, ``4.0``, ``x.com``,
  ``<b>`` no longer become compound, host or tag tokens);
- tsv_pairs: folded pairs of adjacent syllables (written by the backend), GIN-indexed,
  for phrase queries over very common syllables; existing rows are filled here;
- btree indexes for the "newest" / "supports" orders and per filter (forum, theme, status,
  proposals only);
- a partial GIN index on the proposals' tsv_fold ("proposals only", similar proposals);
- search_entries_generation: a sequence bumped after each write (keys cached totals);
- GIN indexes without a pending list (fastupdate = off);
- column storage: tsv_fold in the row (MAIN), tsv_pairs out of line (EXTERNAL).

PostgreSQL only (SQLite has no search columns). Written by hand; carries a frozen copy of
the statements of forum/search/postgres_schema.py at this revision.

Revision ID: ff01e33abce0
Revises: 09f6c8a9b8d4
Create Date: 2026-11-26 04:19:24

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'ff01e33abce0'
down_revision = '09f6c8a9b8d4'
branch_labels = None
depends_on = None


# A frozen copy of forum/search/postgres_schema.py at this revision (the statements that change).
UPGRADE_DDL = (
    """CREATE OR REPLACE FUNCTION vi_words(text) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
       RETURN translate($1, '!"#$' || chr(37) || '&''()*+,-./:;<=>?@[\\]^_`{|}~', '                                ')""",
    "ALTER TABLE search_entries DROP COLUMN IF EXISTS tsv_exact, DROP COLUMN IF EXISTS tsv_fold",
    """ALTER TABLE search_entries ADD COLUMN IF NOT EXISTS tsv_exact tsvector
       GENERATED ALWAYS AS (
         setweight(to_tsvector('simple', vi_words(coalesce(title, ''))), 'A') ||
         setweight(to_tsvector('simple', vi_words(coalesce(body, ''))), 'B')) STORED""",
    """ALTER TABLE search_entries ADD COLUMN IF NOT EXISTS tsv_fold tsvector
       GENERATED ALWAYS AS (
         setweight(to_tsvector('simple', vi_unaccent(vi_words(coalesce(title, '')))), 'A') ||
         setweight(to_tsvector('simple', vi_unaccent(vi_words(coalesce(body, '')))), 'B')) STORED""",
    "ALTER TABLE search_entries ADD COLUMN IF NOT EXISTS tsv_pairs tsvector NOT NULL DEFAULT ''",
    # Bumped by the backend after each committed write: readers drop the totals they cached.
    "CREATE SEQUENCE IF NOT EXISTS search_entries_generation",
    "ALTER TABLE search_entries ALTER COLUMN tsv_fold SET STORAGE MAIN, "
    "ALTER COLUMN tsv_pairs SET STORAGE EXTERNAL",
    # Fill the pairs of rows indexed before this revision (the backend computes the same
    # pairs in Python for new rows); pairs never span the title and the body.
    """UPDATE search_entries AS e SET tsv_pairs =
         coalesce((SELECT array_to_tsvector(array_agg(DISTINCT a.lexeme || ' ' || b.lexeme))
                   FROM (SELECT s.lexeme, unnest(s.positions) AS position
                         FROM unnest(to_tsvector('simple', vi_unaccent(vi_words(e.title)))) AS s) AS a
                   JOIN (SELECT s.lexeme, unnest(s.positions) AS position
                         FROM unnest(to_tsvector('simple', vi_unaccent(vi_words(e.title)))) AS s) AS b
                     ON b.position = a.position + 1), '')
         || coalesce((SELECT array_to_tsvector(array_agg(DISTINCT a.lexeme || ' ' || b.lexeme))
                   FROM (SELECT s.lexeme, unnest(s.positions) AS position
                         FROM unnest(to_tsvector('simple', vi_unaccent(vi_words(e.body)))) AS s) AS a
                   JOIN (SELECT s.lexeme, unnest(s.positions) AS position
                         FROM unnest(to_tsvector('simple', vi_unaccent(vi_words(e.body)))) AS s) AS b
                     ON b.position = a.position + 1), '')""",
    "CREATE INDEX IF NOT EXISTS ix_search_entries_tsv_fold ON search_entries "
    "USING gin (tsv_fold) WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS ix_search_entries_tsv_exact ON search_entries "
    "USING gin (tsv_exact) WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS ix_search_entries_tsv_pairs ON search_entries "
    "USING gin (tsv_pairs) WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS ix_search_entries_proposal_tsv_fold ON search_entries "
    "USING gin (tsv_fold) WITH (fastupdate = off) WHERE kind = 'proposal'",
    "CREATE INDEX IF NOT EXISTS ix_search_entries_newest ON search_entries (created_at)",
    "CREATE INDEX IF NOT EXISTS ix_search_entries_supports ON search_entries (support_count, created_at)",
    "CREATE INDEX IF NOT EXISTS ix_search_entries_forum_newest ON search_entries (forum_id, created_at)",
    "CREATE INDEX IF NOT EXISTS ix_search_entries_theme_newest ON search_entries (theme_id, created_at)",
    "CREATE INDEX IF NOT EXISTS ix_search_entries_status_newest ON search_entries (status, created_at)",
    "CREATE INDEX IF NOT EXISTS ix_search_entries_proposal_newest ON search_entries (created_at) "
    "WHERE kind = 'proposal'",
)

# The columns and indexes of revision 09f6c8a9b8d4.
DOWNGRADE_DDL = (
    "DROP INDEX IF EXISTS ix_search_entries_proposal_newest",
    "DROP INDEX IF EXISTS ix_search_entries_proposal_tsv_fold",
    "DROP INDEX IF EXISTS ix_search_entries_status_newest",
    "DROP INDEX IF EXISTS ix_search_entries_theme_newest",
    "DROP INDEX IF EXISTS ix_search_entries_forum_newest",
    "DROP INDEX IF EXISTS ix_search_entries_supports",
    "DROP INDEX IF EXISTS ix_search_entries_newest",
    "ALTER TABLE search_entries DROP COLUMN IF EXISTS tsv_pairs, "
    "DROP COLUMN IF EXISTS tsv_exact, DROP COLUMN IF EXISTS tsv_fold",
    "DROP FUNCTION IF EXISTS vi_words(text)",
    "DROP SEQUENCE IF EXISTS search_entries_generation",
    """ALTER TABLE search_entries ADD COLUMN IF NOT EXISTS tsv_exact tsvector
       GENERATED ALWAYS AS (
         setweight(to_tsvector('simple', coalesce(title, '')), 'A') ||
         setweight(to_tsvector('simple', coalesce(body, '')), 'B')) STORED""",
    """ALTER TABLE search_entries ADD COLUMN IF NOT EXISTS tsv_fold tsvector
       GENERATED ALWAYS AS (
         setweight(to_tsvector('simple', vi_unaccent(coalesce(title, ''))), 'A') ||
         setweight(to_tsvector('simple', vi_unaccent(coalesce(body, ''))), 'B')) STORED""",
    "CREATE INDEX IF NOT EXISTS ix_search_entries_tsv_fold ON search_entries USING gin (tsv_fold)",
    "CREATE INDEX IF NOT EXISTS ix_search_entries_tsv_exact ON search_entries USING gin (tsv_exact)",
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE_DDL:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE_DDL:
            op.execute(statement)
