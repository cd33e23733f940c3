"""PostgreSQL-only DDL for full-text search on ``search_entries``.

Kept in one place: each Alembic migration carries a frozen copy of the statements it
applies, and ``ensure_schema`` applies them to databases built with ``create_all``
(tests, the benchmark). Every statement is idempotent.

- ``vi_unaccent``: an IMMUTABLE wrapper around ``unaccent`` (which is only STABLE), so it
  can feed a generated column. ``unaccent.rules`` maps every Vietnamese letter, ``đ`` → ``d``
  included, and drops combining marks (NFD input folds too).
- ``vi_words``: ASCII punctuation → spaces before parsing, so that PostgreSQL's parser
  cuts text into syllables like the ``\\w+`` analyzers do (no ``covid-19`` compound with
  an extra position, no ``x.com`` host or ``<b>`` tag tokens, ``4.0`` is ``4`` and ``0``).
- ``vi_fold``: a text search configuration for ``ts_headline`` on the original text.
- ``tsv_exact`` / ``tsv_fold``: generated tsvectors (title weighted A, body B) with GIN
  indexes; matching uses ``tsv_fold``, ranking adds ``tsv_exact`` for queries with marks.
- ``tsv_pairs``: the folded pairs of adjacent syllables (``'cong doan' 'doan co' 'co so'``),
  written by the backend (``tsquery.syllable_pairs``), with a GIN index: phrase
  queries and the adjacency bonus find their candidates through the rarest pair instead
  of re-checking every document that contains all the (very common) syllables.
- btree indexes for the "newest" / "supports" orders, and per filter (forum, theme, status,
  proposals only) newest-first: a common query with a narrow filter reads only those rows.
- column storage: ``tsv_fold`` stays in the row (MAIN), ``tsv_pairs`` goes out of line
  (EXTERNAL): testing a row's ``tsv_fold`` is then about twice as fast for long proposals.
- a partial GIN index on the proposals' ``tsv_fold``: "proposals only" searches and similar
  proposals read posting lists five times shorter.
- ``search_entries_generation``: a sequence the backend bumps after each committed write;
  it keys the per-process cache of result totals.
- GIN indexes with ``fastupdate = off``: the indexer writes a few rows at a time, and a
  pending list would make every query scan it.
"""
import string

import sqlalchemy as sa

# ASCII punctuation as an SQL expression, and as many spaces. "%" is written chr(37):
# DB-API drivers read a literal "%" in a statement as a placeholder.
_PUNCTUATION_SQL = "'" + string.punctuation.replace("'", "''").replace("%", "' || chr(37) || '") + "'"
_SPACES_SQL = "'" + " " * len(string.punctuation) + "'"

SCHEMA_STATEMENTS = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """CREATE OR REPLACE FUNCTION vi_unaccent(text) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
       RETURN public.unaccent('public.unaccent'::regdictionary, $1)""",
    f"""CREATE OR REPLACE FUNCTION vi_words(text) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
       RETURN translate($1, {_PUNCTUATION_SQL}, {_SPACES_SQL})""",
    """DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'vi_fold') THEN
           CREATE TEXT SEARCH CONFIGURATION vi_fold (COPY = simple);
           ALTER TEXT SEARCH CONFIGURATION vi_fold
             ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
         END IF;
       END $$""",
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
    # tsv_fold is read for every candidate row: keep it in the row, uncompressed when it fits.
    # tsv_pairs is only ever read through its index: out of line from the start.
    "ALTER TABLE search_entries ALTER COLUMN tsv_fold SET STORAGE MAIN, "
    "ALTER COLUMN tsv_pairs SET STORAGE EXTERNAL",
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

# Database objects the ORM metadata does not know about; Alembic's comparison skips them.
UNMAPPED_COLUMNS = frozenset({
    ("search_entries", "tsv_exact"), ("search_entries", "tsv_fold"), ("search_entries", "tsv_pairs"),
})
UNMAPPED_INDEXES = frozenset({
    "ix_search_entries_tsv_fold", "ix_search_entries_tsv_exact", "ix_search_entries_tsv_pairs",
    "ix_search_entries_proposal_tsv_fold",
    "ix_search_entries_newest", "ix_search_entries_supports", "ix_search_entries_forum_newest",
    "ix_search_entries_theme_newest", "ix_search_entries_status_newest", "ix_search_entries_proposal_newest",
})


def ensure_schema(connection: sa.Connection) -> None:
    """Apply the search DDL on PostgreSQL (no-op on other databases)."""
    if connection.dialect.name != "postgresql":
        return
    for statement in SCHEMA_STATEMENTS:
        connection.exec_driver_sql(statement)
