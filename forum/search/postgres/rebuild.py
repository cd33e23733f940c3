"""Full rebuild of the PostgreSQL index: COPY into a fresh table, clone the live table's
indexes and constraints onto it, then swap it in within one short transaction."""
from __future__ import annotations

import concurrent.futures
import re
import time
from collections.abc import Callable, Iterable

import sqlalchemy as sa

from forum.search.backend import ReindexStats, SearchDocument
from forum.search.postgres.rows import BUILD_TABLE, DOCUMENT_COLUMNS, GENERATION_SEQUENCE, TABLE, document_row

_INDEX_DEFINITION = re.compile(r"^CREATE (?P<unique>UNIQUE )?INDEX (?P<name>\S+) ON (?P<table>\S+) (?P<rest>USING .*)$")
REBUILD_LOCK_ID = 0x5E_A2C4  # pg_advisory_lock key: one rebuild at a time
SWAP_LOCK_TIMEOUT_MS = 10_000
INDEX_BUILDS = 2  # index builds at once during a rebuild (each uses one core of the server)
INDEX_BUILD_MEMORY = "256MB"


def _live_table_layout(cursor) -> tuple[list[tuple[str, str, bool]], list[str], list[str] | None]:
    """The live table's indexes and constraints, as statements for the build table.

    Returns ([(build_name, final_name, is_constraint)], [statements], reloptions): cloning the
    definitions keeps ``flask db check`` clean and carries any index added later.
    """
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid), c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid "
        "WHERE x.indrelid = %s::regclass ORDER BY i.relname",
        (TABLE,),
    )
    renames, statements = [], []
    for index_name, index_definition, constraint_name, constraint_definition in cursor.fetchall():
        build_name = f"{index_name[:50]}_build"
        renames.append((build_name, constraint_name or index_name, bool(constraint_name)))
        if constraint_name:
            statements.append(f'ALTER TABLE {BUILD_TABLE} ADD CONSTRAINT "{build_name}" {constraint_definition}')
            continue
        parts = _INDEX_DEFINITION.match(index_definition)
        if parts is None:  # pragma: no cover - pg_get_indexdef always has this shape
            raise RuntimeError(f"unexpected index definition: {index_definition}")
        statements.append(f'CREATE {parts["unique"] or ""}INDEX "{build_name}" ON {BUILD_TABLE} {parts["rest"]}')
    cursor.execute("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", (TABLE,))
    return renames, statements, cursor.fetchone()[0]


def _run_alone(engine: sa.Engine, statement: str) -> None:
    """One index build on its own connection, with room to sort."""
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        connection.autocommit = True
        connection.execute(f"SET maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
        connection.execute(statement)
        connection.execute("RESET maintenance_work_mem")
        connection.autocommit = False
    finally:
        raw.close()


def _build_indexes(engine: sa.Engine, statements: list[str]) -> None:
    """Constraints first (they lock the table), then the indexes, INDEX_BUILDS at a time:
    a GIN build uses one core."""
    constraints = [s for s in statements if s.startswith("ALTER TABLE")]
    for statement in constraints:
        _run_alone(engine, statement)
    indexes = [s for s in statements if s not in constraints]
    # The GIN builds are the long ones: start them first.
    indexes.sort(key=lambda statement: "USING gin" not in statement)
    with concurrent.futures.ThreadPoolExecutor(max_workers=INDEX_BUILDS) as pool:
        for future in [pool.submit(_run_alone, engine, statement) for statement in indexes]:
            future.result()


def rebuild_table(engine: sa.Engine, documents: Iterable[SearchDocument], *,
             progress: Callable[[int], None] | None) -> ReindexStats:
    """Load a fresh table with COPY, index it, then swap it in within one short transaction.

    Readers keep using the old table until the swap commits; the swap waits at most
    SWAP_LOCK_TIMEOUT_MS for running searches (which are bounded by their statement timeout).
    Grants on the old table are not carried over (the app role owns both tables).
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    raw = engine.raw_connection()
    connection = raw.driver_connection
    connection.autocommit = True
    done = 0
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", (REBUILD_LOCK_ID,))
            try:
                cursor.execute(f"DROP TABLE IF EXISTS {BUILD_TABLE}")
                renames, index_statements, reloptions = _live_table_layout(cursor)
                mark = time.perf_counter()
                with connection.transaction():
                    cursor.execute(
                        f"CREATE TABLE {BUILD_TABLE} (LIKE {TABLE} INCLUDING ALL EXCLUDING INDEXES)")
                    if reloptions:
                        cursor.execute(f"ALTER TABLE {BUILD_TABLE} SET ({', '.join(reloptions)})")
                    # FREEZE: the table is new in this transaction, so rows are loaded frozen
                    # (no hint-bit rewrites or anti-wraparound vacuum later).
                    copy_sql = f"COPY {BUILD_TABLE} ({', '.join(DOCUMENT_COLUMNS)}) FROM STDIN WITH (FREEZE)"
                    with cursor.copy(copy_sql) as copy:
                        seen: set[str] = set()
                        for document in documents:
                            row = document_row(document)
                            if row["key"] in seen:
                                continue
                            seen.add(row["key"])
                            copy.write_row(tuple(row[c] for c in DOCUMENT_COLUMNS))
                            done += 1
                            if progress is not None and done % 1000 == 0:
                                progress(done)
                timings["load"] = time.perf_counter() - mark
                mark = time.perf_counter()
                _build_indexes(engine, index_statements)
                timings["index"] = time.perf_counter() - mark
                mark = time.perf_counter()
                cursor.execute(f"VACUUM (ANALYZE) {BUILD_TABLE}")
                timings["analyze"] = time.perf_counter() - mark
                mark = time.perf_counter()
                with connection.transaction():
                    cursor.execute(f"SET LOCAL lock_timeout = {SWAP_LOCK_TIMEOUT_MS}")
                    cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
                    cursor.execute(f"DROP TABLE {TABLE}")
                    cursor.execute(f"ALTER TABLE {BUILD_TABLE} RENAME TO {TABLE}")
                    for build_name, final_name, is_constraint in renames:
                        if is_constraint:
                            cursor.execute(f'ALTER TABLE {TABLE} RENAME CONSTRAINT "{build_name}" TO "{final_name}"')
                        else:
                            cursor.execute(f'ALTER INDEX "{build_name}" RENAME TO "{final_name}"')
                    # Bumped while no search holds the table: every search that starts after
                    # the swap reads the new generation, none reuses a total of the old table.
                    cursor.execute(f"SELECT nextval('{GENERATION_SEQUENCE}')")
                timings["swap"] = time.perf_counter() - mark
            finally:
                cursor.execute(f"DROP TABLE IF EXISTS {BUILD_TABLE}")
                cursor.execute("SELECT pg_advisory_unlock(%s)", (REBUILD_LOCK_ID,))
        if progress is not None:
            progress(done)
    finally:
        if connection.info.transaction_status == 0:  # idle: leave the pooled connection as found
            connection.autocommit = False
        raw.close()
    return ReindexStats(documents=done, seconds=time.perf_counter() - started, extra=timings)
