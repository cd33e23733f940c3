"""Plan-shape choice, lexeme statistics, counting and ranking SQL of the PostgreSQL backend.

``PostgresPlanner`` is a mixin of ``PostgresBackend``: it holds no state of its own but
uses the backend's statistics snapshot and per-process count cache (see the module doc of
``backend`` for the latency strategy these implement).
"""
from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass

import sqlalchemy as sa

from forum.search.backend import SearchPage, SearchQuery, Sort, Visibility
from forum.search.postgres.tsquery import CompiledQuery
from forum.search.postgres.rows import TABLE
from forum.search.postgres.snippets import page_hits

COUNT_CAP = 10_000  # totals beyond this are reported as COUNT_CAP ("10.000+")
RECENT_WINDOW = 2000  # newest documents whose matches are ranked when the total is capped
# Queries estimated to match this share of the documents skip the GIN index: testing rows
# costs about 1 µs each, reading a GIN posting about 0.3 µs plus a heap visit per match kept.
COMMON_SHARE = 0.15
SINGLE_PASS_ROWS = 15000  # expected matches up to which one pass counts and ranks them
FILTER_COLUMNS = ("forum_id", "theme_id", "kind", "status")
UNLISTED_VALUE_SHARE = 0.01  # a filter value missing from the column statistics
STRONG_CANDIDATES = 500  # newest documents with the exact/adjacency bonus, when those are rare
STRONG_RARE_SHARE = 0.003  # "rare": estimated in at most this share of the documents
STATISTICS_MAX_AGE = 600.0  # seconds between reads of the lexeme statistics
# Totals are cached per process, keyed by the index generation (a sequence every write
# bumps after its commit): paging through results or changing the sort does not count
# again. The age limit bounds staleness if a writer died between its commit and the bump.
COUNT_CACHE_SIZE = 4096
COUNT_CACHE_SECONDS = 300.0


def alternative_share(syllables_seen: dict[str, float], pairs_seen: dict[str, float], lexemes: list[str],
                       pairs: list[str], *, phrase: bool = False) -> float:
    """Estimated share of documents containing all ``lexemes`` (see ``_match_share``)."""
    if not syllables_seen:
        return 0.0
    unlisted = min(syllables_seen.values()) / 2  # below the least frequent lexeme listed
    values = [syllables_seen.get(lexeme, unlisted) for lexeme in lexemes] or [0.0]
    estimate = math.sqrt(math.prod(values) * min(values))
    if pairs and all(pair in pairs_seen for pair in pairs):
        estimate = max(estimate, min(pairs_seen[pair] for pair in pairs))
    elif pairs and phrase:
        estimate = min(estimate, min(pairs_seen.values(), default=0.0))
    return estimate


_STATISTICS_SQL = f"""(SELECT json_build_object(
    'lexemes', (SELECT json_object_agg(attname, json_build_array(most_common_elems::text::text[],
                                                                 most_common_elem_freqs))
                FROM pg_stats WHERE schemaname = current_schema() AND tablename = '{TABLE}'
                AND attname IN ('tsv_fold', 'tsv_exact', 'tsv_pairs') AND most_common_elems IS NOT NULL),
    'values', (SELECT json_object_agg(attname, json_build_array(most_common_vals::text::text[], most_common_freqs))
               FROM pg_stats WHERE schemaname = current_schema() AND tablename = '{TABLE}'
               AND attname IN ('visibility', 'forum_id', 'theme_id', 'kind', 'status')
               AND most_common_vals IS NOT NULL),
    'rows', (SELECT reltuples FROM pg_class WHERE oid = '{TABLE}'::regclass)))"""


@dataclass
class _Statistics:
    frequencies: dict[str, dict[str, float]]  # tsvector column → lexeme → share of documents
    values: dict[str, dict[str, float]]  # filter column → value (as text) → share of documents
    rows: float  # documents in the table (estimate)


@contextlib.contextmanager
def _gin_collect(connection: sa.Connection):
    """Collect matches through a GIN index: no walking a btree in the sort order meanwhile."""
    connection.exec_driver_sql("SET LOCAL enable_indexscan = off")
    yield  # on an error the transaction is over anyway
    connection.exec_driver_sql("SET LOCAL enable_indexscan = on")



class PostgresPlanner:
    """Search planning and execution for ``PostgresBackend`` (a mixin: needs its
    ``_statistics``, ``_counts`` and ``_counts_lock``)."""

    @staticmethod
    def _filters(query: SearchQuery, alias: str = "e") -> tuple[list[str], dict]:
        conditions = [f"{alias}.visibility = ANY(:visibility)"]
        params: dict = {"visibility": sorted(str(v) for v in query.visibility)}
        for column in FILTER_COLUMNS:
            value = getattr(query, column)
            if value is not None:
                conditions.append(f"{alias}.{column} = :{column}")
                params[column] = str(value) if column in ("kind", "status") else value
        if query.created_from is not None:
            conditions.append(f"{alias}.created_at >= :created_from")
            params["created_from"] = query.created_from
        if query.created_before is not None:
            conditions.append(f"{alias}.created_at < :created_before")
            params["created_before"] = query.created_before
        return conditions, params

    def _filter_share(self, connection: sa.Connection, query: SearchQuery) -> float:
        """Estimated share of the documents passing the filters (column statistics)."""
        values = self._lexeme_statistics(connection).values
        share = sum(values.get("visibility", {}).get(str(v), 1.0 / len(Visibility)) for v in query.visibility)
        for column in FILTER_COLUMNS:
            value = getattr(query, column)
            if value is not None:
                share *= values.get(column, {}).get(str(value), UNLISTED_VALUE_SHARE)
        return min(1.0, share)

    def _search(self, connection: sa.Connection, query: SearchQuery, compiled: CompiledQuery,
                page_number: int, per_page: int) -> SearchPage:
        conditions, params = self._filters(query)
        filters = " AND ".join(conditions)
        count_key = (compiled.generation, compiled.match, compiled.match_pairs,
                     tuple(sorted((name, str(value)) for name, value in params.items())))
        offset = (page_number - 1) * per_page
        params.update(match=compiled.match, limit=per_page, offset=offset)
        # ``@@`` can use a GIN index; ts_match_vq() is the same test, evaluated on the row only.
        row_match = "ts_match_vq(e.tsv_fold, CAST(:match AS tsquery))"
        if compiled.match_pairs:
            # Quoted phrases are found through their syllable pairs, then checked on the row.
            params["match_pairs"] = compiled.match_pairs
            match = f"e.tsv_pairs @@ CAST(:match_pairs AS tsquery) AND {row_match}"
        else:
            match = "e.tsv_fold @@ CAST(:match AS tsquery)"
        # The planner estimates tsquery selectivity poorly (it multiplies the frequencies of
        # syllables that always come together) and underrates the cost of reading huge GIN
        # posting lists, so the plan shape is chosen here, from the lexeme statistics:
        # - rare (a few thousand matches expected): one pass through the GIN index counts
        #   the matches and sorts or ranks them;
        # - common (a large share of the documents): no GIN index at all; the count tests
        #   the rows that the filters' btree indexes (or a plain scan) give;
        # - in between: the count collects the matches through the GIN index.
        # When the count goes past COUNT_CAP (matches are then frequent: at least 1 in 100
        # at a million documents), a page is found by walking an index in the requested
        # order and testing each row; relevance ranks a bounded candidate set.
        share, rows = self._match_share(connection, compiled)
        common = share >= COMMON_SHARE
        driver = row_match if common else match
        if query.sort == Sort.NEWEST:
            score, order = "0.0", "created_at DESC, key"
        elif query.sort == Sort.SUPPORTS:
            score, order = "0.0", "support_count DESC, created_at DESC, key"
        else:
            exact_set = None
            if not common:  # the exact matches are few too: find them through GIN
                x_filters = " AND ".join(self._filters(query, alias="x")[0])
                exact_set = f"SELECT x.key FROM {TABLE} x WHERE x.tsv_exact @@ CAST(:exact AS tsquery) AND {x_filters}"
            score, order = self._score(compiled, params, exact_set), "score DESC, created_at DESC, key"
        page = None
        counted = self._cached_count(count_key)
        if counted is None and not common and (
                share * self._filter_share(connection, query) * rows <= SINGLE_PASS_ROWS):
            with _gin_collect(connection):
                page = connection.execute(sa.text(
                    f"WITH matches AS MATERIALIZED (SELECT e.key, e.created_at, e.support_count, {score} AS score "
                    f"  FROM {TABLE} e WHERE {match} AND {filters} LIMIT {COUNT_CAP + 1}) "
                    f"SELECT c.counted, p.key, p.score FROM (SELECT count(*) AS counted FROM matches) AS c "
                    f"LEFT JOIN LATERAL (SELECT key, score FROM matches ORDER BY {order} "
                    f"  LIMIT :limit OFFSET :offset) AS p ON true"
                ), params).all()
            counted = page[0].counted
            page = [row for row in page if row.key is not None]
        elif counted is None:
            # Count at most COUNT_CAP + 1 rows: enough to know whether the total is exact.
            # Common matches without other filters are counted newest first (a walk of the
            # created_at index, whose pages the candidate window then finds in memory; a
            # plain scan of a large table goes through a small ring of buffers). With
            # filters, the planner picks the filter's index.
            newest_first = "ORDER BY e.created_at DESC " if common and len(conditions) == 1 else ""
            counted = connection.execute(
                sa.text(f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} e WHERE {driver} AND {filters} "
                        f"{newest_first}LIMIT {COUNT_CAP + 1}) c"),
                params,
            ).scalar_one()
        self._cache_count(count_key, counted)
        total = min(counted, COUNT_CAP)
        if total == 0 or offset >= total:
            return SearchPage(hits=[], total=total, page=page_number, per_page=per_page)
        if counted > COUNT_CAP:
            if query.sort in (Sort.NEWEST, Sort.SUPPORTS):
                page = connection.execute(sa.text(
                    f"SELECT e.key, 0.0 AS score FROM {TABLE} e WHERE {row_match} AND {filters} "
                    f"ORDER BY {', '.join('e.' + part for part in order.split(', '))} LIMIT :limit OFFSET :offset"
                ), params).all()
            else:
                page = connection.execute(sa.text(self._candidate_statement(
                    connection, compiled, params, row_match, filters, offset + per_page)), params).all()
        elif page is None:
            with contextlib.ExitStack() as stack:
                if not common:
                    stack.enter_context(_gin_collect(connection))
                page = connection.execute(sa.text(
                    f"SELECT * FROM (SELECT e.key, e.created_at, e.support_count, {score} AS score "
                    f"FROM {TABLE} e WHERE {driver} AND {filters}) AS matches "
                    f"ORDER BY {order} LIMIT :limit OFFSET :offset"
                ), params).all()
        return SearchPage(hits=page_hits(connection, compiled, page), total=total,
                          page=page_number, per_page=per_page)

    def _cached_count(self, key: tuple) -> int | None:
        with self._counts_lock:
            entry = self._counts.get(key)
            if entry is None or time.monotonic() - entry[0] > COUNT_CACHE_SECONDS:
                return None
            self._counts.move_to_end(key)
            return entry[1]

    def _cache_count(self, key: tuple, counted: int) -> None:
        with self._counts_lock:
            self._counts[key] = (time.monotonic(), counted)
            self._counts.move_to_end(key)
            while len(self._counts) > COUNT_CACHE_SIZE:
                self._counts.popitem(last=False)

    def _match_share(self, connection: sa.Connection, compiled: CompiledQuery) -> tuple[float, float]:
        """Estimated share of documents matching, and the number of documents (statistics).

        Syllables of a query are seldom independent ("Quảng Ngãi", "chủ tịch công đoàn"):
        per alternative, the larger of (a) the geometric mean of the product of the syllable
        frequencies (independence) and of the rarest one (an upper bound), and (b) the
        frequency of its rarest syllable pair, when the statistics list all its pairs (the
        syllables side by side). A quoted phrase is as frequent as its rarest pair.
        Alternatives add up.
        """
        statistics = self._lexeme_statistics(connection)
        syllables_seen = statistics.frequencies.get("tsv_fold", {})
        pairs_seen = statistics.frequencies.get("tsv_pairs", {})
        if not syllables_seen:
            return 0.0, statistics.rows
        share = 0.0
        for index, group in enumerate(compiled.match_groups):
            if compiled.match_pairs:
                share += alternative_share(syllables_seen, pairs_seen, group, compiled.phrase_groups[index],
                                            phrase=True)
            else:
                share += alternative_share(syllables_seen, pairs_seen, group, compiled.alternative_pairs[index])
        return min(1.0, share), statistics.rows

    @staticmethod
    def _score(compiled: CompiledQuery, params: dict, exact_set: str | None = None) -> str:
        """Relevance: folded cover density, then bonuses acting as tiers (ts_rank_cd is
        normalised into [0, 1)): +4 for the query's words side by side as typed, +2 for its
        syllables typed with diacritics found as typed, +1 for those typed without found
        without ("ca đêm" prefers ca to cả; "cong đoạn" asks for đoạn, any cong), +1 for
        its words side by side folded. Unmarked syllables weigh no more than adjacency: in
        "bữa an giữa ca" the marks of "an" were left out, not meant. ``exact_set``: a subquery of the keys matching the
        exact query through its GIN index, cheaper than reading every candidate's
        tsv_exact when there are thousands.
        """
        score = "ts_rank_cd(e.tsv_fold, CAST(:match AS tsquery), 32)"
        if compiled.exact_phrase:
            score += " + CASE WHEN ts_match_vq(e.tsv_exact, CAST(:exact_phrase AS tsquery)) THEN 4 ELSE 0 END"
            params["exact_phrase"] = compiled.exact_phrase
        if compiled.exact:
            params["exact"] = compiled.exact
            exact = f"e.key IN ({exact_set})" if exact_set else "ts_match_vq(e.tsv_exact, CAST(:exact AS tsquery))"
            score += f" + CASE WHEN {exact} THEN 2 ELSE 0 END"
        if compiled.plain:
            score += " + CASE WHEN ts_match_vq(e.tsv_exact, CAST(:plain AS tsquery)) THEN 1 ELSE 0 END"
            params["plain"] = compiled.plain
        if compiled.adjacency:
            score += " + CASE WHEN ts_match_vq(e.tsv_fold, CAST(:adjacency AS tsquery)) THEN 1 ELSE 0 END"
            params["adjacency"] = compiled.adjacency
        return score

    def _candidate_statement(self, connection: sa.Connection, compiled: CompiledQuery, params: dict,
                             row_match: str, filters: str, needed: int) -> str:
        """Relevance for a query matching more than COUNT_CAP documents (see the module doc)."""
        score = self._score(compiled, params)
        params.update(window=RECENT_WINDOW, strong_limit=STRONG_CANDIDATES)
        ctes = [
            # The newest RECENT_WINDOW documents passing the filters (a walk of a created_at
            # index); their matches are candidates.
            f"recent AS (SELECT e.key FROM (SELECT e.key, e.tsv_fold FROM {TABLE} e WHERE {filters} "
            f"ORDER BY e.created_at DESC LIMIT :window) AS e WHERE {row_match})",
        ]
        strong = self._strong_condition(connection, compiled, params)
        if strong:
            ctes.append(f"strong AS (SELECT e.key FROM {TABLE} e WHERE {strong} AND {row_match} AND {filters} "
                        f"ORDER BY e.created_at DESC LIMIT :strong_limit)")
            ctes.append("candidates AS (SELECT key FROM recent UNION SELECT key FROM strong)")
        else:
            ctes.append("candidates AS (SELECT key FROM recent)")
        ctes.append(f"ranked AS (SELECT e.key, {score} AS score, e.created_at, 0 AS tier "
                    f"FROM candidates c JOIN {TABLE} e ON e.key = c.key)")
        params["rest"] = needed
        ctes.append(f"rest AS (SELECT e.key, 0.0 AS score, e.created_at, 1 AS tier FROM {TABLE} e "
                    f"WHERE {row_match} AND {filters} AND e.key NOT IN (SELECT key FROM candidates) "
                    f"ORDER BY e.created_at DESC, e.key LIMIT :rest)")
        # UNION ALL reads the rest only when the ranked candidates do not fill the page.
        return (f"WITH {', '.join(ctes)} "
                f"(SELECT key, score FROM ranked ORDER BY score DESC, created_at DESC, key "
                f" LIMIT :limit OFFSET :offset) "
                f"UNION ALL "
                f"(SELECT key, score FROM rest ORDER BY created_at DESC, key "
                f" LIMIT :limit OFFSET GREATEST(0, :offset - (SELECT count(*) FROM candidates))) "
                f"LIMIT :limit")

    def _strong_condition(self, connection: sa.Connection, compiled: CompiledQuery, params: dict) -> str | None:
        """An indexable condition for the documents earning the bonuses, if they are rare."""
        statistics = self._lexeme_statistics(connection).frequencies
        if compiled.adjacency_pairs:
            share = self._estimate(statistics.get("tsv_pairs", {}), compiled.pair_groups)
            if share <= STRONG_RARE_SHARE:
                params["adjacency_pairs"] = compiled.adjacency_pairs
                params.setdefault("adjacency", compiled.adjacency)
                return ("e.tsv_pairs @@ CAST(:adjacency_pairs AS tsquery) "
                        "AND ts_match_vq(e.tsv_fold, CAST(:adjacency AS tsquery))")
        if compiled.exact:
            share = self._estimate(statistics.get("tsv_exact", {}), [compiled.exact_lexemes])
            if share <= STRONG_RARE_SHARE:
                return "e.tsv_exact @@ CAST(:exact AS tsquery)"
        return None

    @staticmethod
    def _estimate(frequencies: dict[str, float], groups: list[list[str]]) -> float:
        """Upper bound of the share of documents matching an OR of ANDs of lexemes.

        An AND is at most as frequent as its rarest lexeme; a lexeme missing from the
        statistics is at most as frequent as the least frequent one listed.
        """
        if not frequencies:
            return 0.0
        floor = min(frequencies.values())
        return sum(min((frequencies.get(lexeme, floor) for lexeme in group), default=1.0) for group in groups)

    def _statistics_sql(self) -> str:
        """A column for the first statement of a search: the statistics when they are due
        for a refresh (every STATISTICS_MAX_AGE seconds), else NULL. Riding along keeps the
        number of statements of a search constant."""
        if self._statistics is not None and time.monotonic() - self._statistics[0] <= STATISTICS_MAX_AGE:
            return "NULL"
        return _STATISTICS_SQL

    def _store_statistics(self, value: dict | None) -> None:
        if value is None:
            return
        def pairs(entries):
            return {column: dict(zip(keys or [], shares or [])) for column, (keys, shares) in (entries or {}).items()}
        self._statistics = (time.monotonic(), _Statistics(
            frequencies=pairs(value.get("lexemes")),
            values=pairs(value.get("values")),
            rows=max(float(value.get("rows") or 0), 0.0),
        ))

    def _lexeme_statistics(self, connection: sa.Connection | None = None) -> _Statistics:
        """Share of documents containing each common lexeme, per tsvector column, the shares
        of the filter columns' common values (ANALYZE's statistics), and the number of rows."""
        if self._statistics is None:
            return _Statistics(frequencies={}, values={}, rows=0.0)
        return self._statistics[1]
