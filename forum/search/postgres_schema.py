"""PostgreSQL-only DDL for full-text search on ``search_entries``.

Kept in one place: the Alembic migration carries a frozen copy of these statements,
and ``ensure_schema`` applies them to databases built with ``create_all`` (tests).
Every statement is idempotent.

- ``vi_unaccent``: an IMMUTABLE wrapper around ``unaccent`` (which is only STABLE), so it
  can feed a generated column. ``unaccent.rules`` maps every Vietnamese letter, ``đ`` → ``d``
  included, and drops combining marks (NFD input folds too).
- ``vi_fold``: a text search configuration for ``ts_headline`` on the original text.
- ``tsv_exact`` / ``tsv_fold``: generated tsvectors (title weighted A, body B) with GIN indexes.
"""
import sqlalchemy as sa

SCHEMA_STATEMENTS = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """CREATE OR REPLACE FUNCTION vi_unaccent(text) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
       RETURN public.unaccent('public.unaccent'::regdictionary, $1)""",
    """DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'vi_fold') THEN
           CREATE TEXT SEARCH CONFIGURATION vi_fold (COPY = simple);
           ALTER TEXT SEARCH CONFIGURATION vi_fold
             ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
         END IF;
       END $$""",
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

# Database objects the ORM metadata does not know about; Alembic's comparison skips them.
UNMAPPED_COLUMNS = frozenset({("search_entries", "tsv_exact"), ("search_entries", "tsv_fold")})
UNMAPPED_INDEXES = frozenset({"ix_search_entries_tsv_fold", "ix_search_entries_tsv_exact"})


def ensure_schema(connection: sa.Connection) -> None:
    """Apply the search DDL on PostgreSQL (no-op on other databases)."""
    if connection.dialect.name != "postgresql":
        return
    for statement in SCHEMA_STATEMENTS:
        connection.exec_driver_sql(statement)
