"""``PostgresBackend``: writes, query compilation and similar proposals (the design is in
this package's docstring)."""
from __future__ import annotations

import collections
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable

import psycopg
import sqlalchemy as sa

from forum.search.backend import (
    DOCUMENT_COUNT_CAP,
    ReindexStats,
    SearchBackend,
    SearchDocument,
    SearchPage,
    SearchQuery,
    SimilarProposal,
    Sort,
)
from forum.search.postgres.plans import COMMON_SHARE, COUNT_CACHE_SECONDS, PostgresPlanner, alternative_share
from forum.search.postgres.rebuild import rebuild_table
from forum.search.postgres.rows import (
    DOCUMENT_COLUMNS,
    GENERATION_SEQUENCE,
    TABLE,
    batches,
    bump_generation,
    document_row,
)
from forum.search.postgres.tsquery import (
    WORD,
    CompiledQuery,
    TsqueryBuilder,
    pairs_query,
    syllable_pairs,
    tsquery_literal,
    words,
)
from forum.search.query import ParsedQuery, clean_query_text, parse_query

logger = logging.getLogger(__name__)

PAGE_CACHE_SIZE = 256  # result pages kept per process
SIMILAR_CANDIDATES = 300
UPSERT_BATCH = 500


def _is_timeout(error: sa.exc.DBAPIError) -> bool:
    return isinstance(getattr(error, "orig", None), psycopg.errors.QueryCanceled)



class PostgresBackend(PostgresPlanner, SearchBackend):
    """Full-text search in PostgreSQL on the ``search_entries`` table."""

    name = "postgres"

    def __init__(self, engine: sa.Engine, *, statement_timeout_ms: int = 2000) -> None:
        self.engine = engine
        self.statement_timeout_ms = statement_timeout_ms
        self._statistics: tuple[float, _Statistics] | None = None
        self._counts: collections.OrderedDict[tuple, tuple[float, int]] = collections.OrderedDict()
        self._counts_lock = threading.Lock()
        # Result pages per (index generation, query), like the totals: a popular query is
        # computed once per generation (bounded in age, like them, by COUNT_CACHE_SECONDS).
        self._pages: collections.OrderedDict[tuple, tuple[float, SearchPage]] = collections.OrderedDict()
        self._pages_lock = threading.Lock()

    # Writing ----------------------------------------------------------------------------------

    def index_documents(self, documents: Iterable[SearchDocument]) -> None:
        values = ", ".join(
            "CAST(:tsv_pairs AS tsvector)" if column == "tsv_pairs" else f":{column}" for column in DOCUMENT_COLUMNS
        )
        statement = sa.text(
            f"INSERT INTO {TABLE} ({', '.join(DOCUMENT_COLUMNS)}) VALUES ({values}) "
            "ON CONFLICT (key) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in DOCUMENT_COLUMNS if c != "key")
            # An unchanged document is not rewritten (no dead row, no GIN update).
            + f" WHERE {TABLE}.fingerprint IS DISTINCT FROM excluded.fingerprint"
        )
        written = False
        try:
            for batch in batches(documents, UPSERT_BATCH):
                # One row per key (the last wins), in key order so concurrent writers never deadlock.
                rows = sorted({doc.key: document_row(doc) for doc in batch}.values(), key=lambda r: r["key"])
                with self.engine.begin() as connection:
                    connection.execute(statement, rows)
                written = True
        finally:
            if written:
                bump_generation(self.engine)

    def update_counts(self, documents: Iterable[SearchDocument]) -> None:
        """An UPDATE of the count and the fingerprint: the tsvectors are not computed again
        (PostgreSQL recomputes a generated column only when a column it reads changes),
        and the generation is not bumped (totals do not change)."""
        latest = {document.key: document for document in documents}
        if not latest:
            return
        keys = sorted(latest)
        with self.engine.begin() as connection:
            # No wait for the WAL flush: the drainer's next commit (the outbox rows' delete)
            # waits for it, and WAL is flushed in order, so no row goes before its count.
            connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
            missing = connection.execute(
                sa.text(
                    f"WITH v AS (SELECT * FROM unnest(CAST(:keys AS text[]), CAST(:counts AS integer[]), "
                    f"  CAST(:fingerprints AS text[])) AS v(key, support_count, fingerprint)), "
                    f"updated AS (UPDATE {TABLE} e SET support_count = v.support_count, fingerprint = v.fingerprint "
                    f"  FROM v WHERE e.key = v.key AND e.fingerprint IS DISTINCT FROM v.fingerprint) "
                    f"SELECT v.key FROM v WHERE NOT EXISTS (SELECT 1 FROM {TABLE} e WHERE e.key = v.key)"
                ),
                {"keys": keys, "counts": [latest[key].support_count for key in keys],
                 "fingerprints": [latest[key].fingerprint for key in keys]},
            ).scalars().all()
        if missing:
            self.index_documents(latest[key] for key in missing)

    def remove_documents(self, keys: Iterable[str]) -> None:
        written = False
        try:
            for batch in batches(keys, 5000):
                with self.engine.begin() as connection:
                    connection.execute(sa.text(f"DELETE FROM {TABLE} WHERE key = ANY(:keys)"),
                                       {"keys": sorted(set(batch))})
                written = True
        finally:
            if written:
                bump_generation(self.engine)

    def indexed_fingerprints(self) -> dict[str, str]:
        with self.engine.connect() as connection:
            result = connection.execute(sa.text(f"SELECT key, fingerprint FROM {TABLE}"))
            return {key: fingerprint for key, fingerprint in result}

    def rebuild(self, documents: Iterable[SearchDocument], *, total: int,
                progress: Callable[[int], None] | None = None) -> ReindexStats:
        return rebuild_table(self.engine, documents, progress=progress)

    # Searching --------------------------------------------------------------------------------

    def _begin_read(self, connection: sa.Connection) -> None:
        """Per-transaction settings of every search (one round trip): a time limit; no JIT
        (compiling costs 50-500 ms, more than these queries); no parallel workers (they do
        not pay off for LIMITed reads, and would not keep UNION ALL in order); no NOTICEs
        (pieces of a query without lexemes, e.g. "👍", raise them)."""
        connection.exec_driver_sql(
            f"SET LOCAL statement_timeout = {int(self.statement_timeout_ms)}; SET LOCAL jit = off; "
            "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL client_min_messages = warning"
        )

    def search(self, query: SearchQuery) -> SearchPage:
        page_number, per_page = max(1, query.page), max(1, query.per_page)
        empty = SearchPage(hits=[], total=0, page=page_number, per_page=per_page)
        parsed = parse_query(query.text)
        if parsed.is_empty or not query.visibility:
            return empty
        try:
            with self.engine.begin() as connection:
                self._begin_read(connection)
                compiled = self._compile(connection, parsed)
                if compiled is None:
                    return empty
                # Count updates do not bump the generation: pages in supports order are not kept.
                key = (compiled.generation, query) if query.sort != Sort.SUPPORTS else None
                result = self._cached_page(key) if key else None
                if result is None:
                    result = self._search(connection, query, compiled, page_number, per_page)
                    if key:
                        self._cache_page(key, result)
                return result
        except sa.exc.OperationalError as error:
            if not _is_timeout(error):
                raise
            logger.warning("search timed out after %s ms: %r", self.statement_timeout_ms, clean_query_text(query.text))
            return empty

    def document_counts(self, syllables: list[str], pairs: list[str]) -> tuple[dict[str, int], dict[str, int]]:
        """One statement: per term, the documents its GIN index finds, up to the cap."""
        if not syllables and not pairs:
            return {}, {}

        def counted(kind: str, column: str, parameter: str) -> str:
            return (f"SELECT '{kind}', t.term, (SELECT count(*) FROM (SELECT 1 FROM {TABLE} "
                    f"WHERE {column} @@ CAST(t.query AS tsquery) LIMIT :cap) AS found) "
                    f"FROM unnest(CAST(:{parameter}_terms AS text[]), CAST(:{parameter}_queries AS text[])) "
                    f"AS t(term, query)")

        statement = sa.text(counted("s", "tsv_fold", "syllable") + " UNION ALL " + counted("p", "tsv_pairs", "pair"))
        with self.engine.begin() as connection:
            self._begin_read(connection)
            rows = connection.execute(statement, {
                "cap": DOCUMENT_COUNT_CAP,
                "syllable_terms": syllables, "syllable_queries": [tsquery_literal([t], "&") for t in syllables],
                "pair_terms": pairs, "pair_queries": [tsquery_literal([t], "&") for t in pairs],
            }).all()
        counts: dict[str, dict[str, int]] = {"s": {}, "p": {}}
        for kind, term, found in rows:
            counts[kind][term] = int(found)
        return counts["s"], counts["p"]

    def _cached_page(self, key: tuple) -> SearchPage | None:
        with self._pages_lock:
            entry = self._pages.get(key)
            if entry is None or time.monotonic() - entry[0] > COUNT_CACHE_SECONDS:
                return None
            self._pages.move_to_end(key)
            return entry[1]

    def _cache_page(self, key: tuple, page: SearchPage) -> None:
        with self._pages_lock:
            self._pages[key] = (time.monotonic(), page)
            while len(self._pages) > PAGE_CACHE_SIZE:
                self._pages.popitem(last=False)

    def _compile(self, connection: sa.Connection, parsed: ParsedQuery) -> CompiledQuery | None:
        """Let PostgreSQL turn the parsed units into tsquery texts (one round trip)."""
        builder = TsqueryBuilder()
        match_sql = builder.query(parsed, folded=True)
        exact_sql = builder.marked(parsed, marked=True) if parsed.has_marks else "''::tsquery"
        plain_sql = builder.marked(parsed, marked=False) if parsed.has_marks else "''::tsquery"
        adjacency_texts = [t for t in parsed.alternative_texts if len(words(t)) >= 2]
        adjacency_sql = builder.phrases(adjacency_texts)
        exact_phrase_sql = builder.exact_phrases(adjacency_texts) if parsed.has_marks else "''::tsquery"
        positive_text = " ".join(unit.text for unit in parsed.positive_units)
        exact_lexemes_sql = (f"tsvector_to_array(to_tsvector('simple', vi_words({builder.bind(positive_text)})))"
                             if parsed.has_marks else "ARRAY[]::text[]")
        row = connection.execute(
            sa.text(
                f"SELECT m::text, querytree(m), ({exact_sql})::text, ({plain_sql})::text, ({exact_phrase_sql})::text, "
                f"a::text, numnode(a), "
                f"{builder.lexemes(positive_text)}, {exact_lexemes_sql}, {self._statistics_sql()}, "
                f"(SELECT last_value FROM {GENERATION_SEQUENCE}) "
                f"FROM (SELECT {match_sql} AS m, {adjacency_sql} AS a) AS q "
                # Takes the table's lock now, for the whole search: a rebuild cannot swap
                # tables between this generation and the statements that read rows.
                f"LEFT JOIN (SELECT 1 FROM {TABLE} WHERE false) AS lock ON true"
            ),
            builder.params,
        ).one()
        (match, tree, exact, plain, exact_phrase, adjacency, adjacency_nodes, lexemes, exact_lexemes, statistics,
         generation) = row
        self._store_statistics(statistics)
        if not match or tree in ("", "T"):  # nothing searchable, or only exclusions
            return None
        # Quoted phrases: every alternative needs the pairs of its phrases.
        phrase_groups = [
            sorted({pair for unit in alternative if unit.phrase for pair in syllable_pairs(unit.text)})
            for alternative in parsed.alternatives
        ]
        pair_groups = [syllable_pairs(text) for text in adjacency_texts]
        # A phrase of one lexeme (numnode 1) adds nothing over the match itself.
        has_adjacency = bool(adjacency_nodes and adjacency_nodes > 1)
        return CompiledQuery(
            match=match,
            match_pairs=pairs_query(phrase_groups),
            exact=exact or None,
            plain=plain or None,
            exact_phrase=(exact_phrase or None) if has_adjacency else None,
            adjacency=adjacency if has_adjacency else None,
            adjacency_pairs=pairs_query(pair_groups) if has_adjacency and len(pair_groups) == len(
                parsed.alternatives) else None,
            highlight=tsquery_literal(lexemes or [], "|"),
            pair_groups=pair_groups,
            exact_lexemes=list(exact_lexemes or []),
            match_groups=[sorted({s for unit in alternative for s in words(unit.text)})
                          for alternative in parsed.alternatives],
            phrase_groups=phrase_groups,
            alternative_pairs=[syllable_pairs(text) for text in parsed.alternative_texts],
            generation=generation,
            parsed=parsed,
        )

    # Similar proposals --------------------------------------------------------------------------

    def similar_proposals(
        self, title: str, *, visibility: frozenset[str], limit: int = 5, exclude_ids: Iterable[int] = ()
    ) -> list[SimilarProposal]:
        """Proposals sharing most of the title's folded syllables (at least half, and two or more).

        Two bounded candidate sets keep this fast on common words: proposals containing
        every syllable, and proposals containing one of the rarest syllables (any proposal
        with enough shared syllables contains one of them), each capped at
        SIMILAR_CANDIDATES rows (the newest, when the set is large), then ranked by the
        number of syllables shared with the title, then anywhere (title or body).
        """
        text = clean_query_text(title)
        if limit <= 0 or not visibility or not WORD.search(text):
            return []
        try:
            with self.engine.begin() as connection:
                self._begin_read(connection)
                lexemes, statistics = connection.execute(
                    sa.text("SELECT tsvector_to_array(to_tsvector('simple', vi_unaccent(vi_words(:text)))), "
                            f"{self._statistics_sql()}"),
                    {"text": text},
                ).one()
                self._store_statistics(statistics)
                lexemes = lexemes or []
                if not lexemes:
                    return []
                needed = 1 if len(lexemes) == 1 else max(2, math.ceil(len(lexemes) / 2))
                statistics = self._lexeme_statistics(connection).frequencies
                syllables_seen = statistics.get("tsv_fold", {})
                unlisted = min(syllables_seen.values()) / 2 if syllables_seen else 0.0
                rarest = sorted(lexemes, key=lambda lexeme: syllables_seen.get(lexeme, unlisted))
                rare = rarest[: len(lexemes) - needed + 1]
                every_share = alternative_share(syllables_seen, statistics.get("tsv_pairs", {}), lexemes,
                                                 syllable_pairs(text))
                rare_share = sum(syllables_seen.get(lexeme, unlisted) for lexeme in rare)
                params: dict = {
                    "every": tsquery_literal(lexemes, "&"),
                    "rare": tsquery_literal(rare, "|"),
                    "some": tsquery_literal(lexemes, "|"),
                    "visibility": sorted(str(v) for v in visibility),
                    "excluded": sorted({int(i) for i in exclude_ids}),
                    "needed": needed,
                    "limit": limit,
                    "cap": SIMILAR_CANDIDATES,
                }
                shared, in_title = [], []
                for index, lexeme in enumerate(lexemes):
                    params[f"l{index}"] = tsquery_literal([lexeme], "&")
                    params[f"t{index}"] = tsquery_literal([lexeme], "&") + ":A"  # in the title
                    shared.append(f"ts_match_vq(e.tsv_fold, CAST(:l{index} AS tsquery))::int")
                    in_title.append(f"ts_match_vq(e.tsv_fold, CAST(:t{index} AS tsquery))::int")
                where = ("e.kind = 'proposal' AND e.visibility = ANY(:visibility) "
                         "AND NOT (e.entity_id = ANY(:excluded))")

                def candidates(name: str, share: float) -> str:
                    # Frequent: the newest proposals, tested row by row; rare: through GIN.
                    if share >= COMMON_SHARE:
                        return (f"(SELECT e.key FROM {TABLE} e WHERE ts_match_vq(e.tsv_fold, CAST(:{name} AS tsquery)) "
                                f"AND {where} ORDER BY e.created_at DESC LIMIT :cap)")
                    return (f"(SELECT e.key FROM {TABLE} e WHERE e.tsv_fold @@ CAST(:{name} AS tsquery) "
                            f"AND {where} LIMIT :cap)")

                rows = connection.execute(
                    sa.text(
                        f"WITH candidates AS ({candidates('every', every_share)} UNION "
                        f"{candidates('rare', rare_share)}) "
                        f"SELECT entity_id, in_title + shared / 100.0 + rank / 1000.0 AS score FROM ("
                        f"  SELECT e.entity_id, e.created_at, {' + '.join(shared)} AS shared,"
                        f"    {' + '.join(in_title)} AS in_title,"
                        f"    ts_rank(e.tsv_fold, CAST(:some AS tsquery), 32) AS rank"
                        f"  FROM candidates c JOIN {TABLE} e ON e.key = c.key) AS ranked "
                        f"WHERE shared >= :needed "
                        # Never support counts: a forum may hide them (forums.services.tallies_visible).
                        f"ORDER BY in_title DESC, shared DESC, rank DESC, created_at DESC "
                        f"LIMIT :limit"
                    ),
                    params,
                ).all()
        except sa.exc.OperationalError as error:
            if not _is_timeout(error):
                raise
            logger.warning("similar proposals timed out after %s ms", self.statement_timeout_ms)
            return []
        return [SimilarProposal(proposal_id=row.entity_id, score=float(row.score)) for row in rows]


