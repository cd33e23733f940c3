"""PostgreSQL full-text search backend (``SEARCH_BACKEND=postgres``).

Documents live in ``search_entries`` (one row per contribution, see ``postgres_schema``):
``tsv_fold`` (diacritics folded) is what matches, ``tsv_exact`` ranks exact-diacritic
matches first, ``tsv_pairs`` (folded pairs of adjacent syllables) finds phrase candidates.

User text never reaches tsquery syntax: a small tokenizer finds quoted phrases, ``OR``
and ``-exclusions``; every piece of literal text goes through ``plainto_tsquery`` /
``phraseto_tsquery`` (which read every character as text), and the pieces are combined
with the tsquery operators ``&&``, ``||`` and ``!!``.

Latency at a million documents comes from never touching more rows than needed:

- totals are counted up to COUNT_CAP + 1 rows (larger totals are reported as COUNT_CAP),
  and cached per process until the next write (the index generation);
- the plan shape is chosen from the lexeme statistics, not left to the planner: rare
  queries are collected through GIN (counted and ranked in one pass), queries over very
  common syllables test rows instead of reading huge posting lists;
- when the count is exact, every match is ranked (at most COUNT_CAP rows);
- beyond it, relevance ranks a bounded candidate set: the matches among the newest
  RECENT_WINDOW documents (a walk of the ``created_at`` index), plus, when they are
  rare enough, the documents that earn the exact/adjacency bonuses (found through
  their GIN index). Pages past the candidates continue with the other matches, newest
  first. (For such queries, "relevance" is thus relevance among recent documents.)
- quoted phrases are found through their rarest syllable pair, then checked on ``tsv_fold``;
- ``ts_headline`` runs only for the rows of the page;
- every search runs under ``statement_timeout``: on timeout it returns an empty page and
  logs a warning, never an error page.

The backend writes with its own connections (``engine.begin()``), never through the
request session: the indexer calls it after the request's commit.
"""
from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import logging
import math
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import psycopg
import sqlalchemy as sa
from markupsafe import Markup

from forum.core.text import normalize_text
from forum.search.backend import (
    MARK_END,
    MARK_START,
    MAX_QUERY_LENGTH,
    Kind,
    ReindexStats,
    SearchBackend,
    SearchDocument,
    SearchHit,
    SearchPage,
    SearchQuery,
    SimilarProposal,
    Sort,
    Visibility,
    render_snippet,
)

logger = logging.getLogger(__name__)

TABLE = "search_entries"
BUILD_TABLE = "search_entries_build"  # the fresh table a rebuild loads before the swap
DOCUMENT_COLUMNS = (
    "key", "kind", "entity_id", "proposal_id", "forum_id", "theme_id", "author_id", "status",
    "visibility", "created_at", "support_count", "title", "body", "fingerprint", "tsv_pairs",
)
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
SIMILAR_CANDIDATES = 300
UPSERT_BATCH = 500
STATISTICS_MAX_AGE = 600.0  # seconds between reads of the lexeme statistics
# Totals are cached per process, keyed by the index generation (a sequence every write
# bumps after its commit): paging through results or changing the sort does not count
# again. The age limit bounds staleness if a writer died between its commit and the bump.
GENERATION_SEQUENCE = "search_entries_generation"
COUNT_CACHE_SIZE = 4096
COUNT_CACHE_SECONDS = 300.0
SNIPPET_MAX_CHARS = 240
# ts_headline options: the sentinels mark matches; render_snippet turns them into <mark>.
_TITLE_HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"
# ShortWord=0: the default (3) drops short words at a fragment's edges, and most Vietnamese
# syllables are short (ý, và, các).
_BODY_HEADLINE = (f"StartSel={MARK_START}, StopSel={MARK_END}, MaxFragments=1, MaxWords=40, MinWords=20, "
                  f"ShortWord=0")
_MARKS = MARK_START + MARK_END
_EDGE_CHARS = 20

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_QUERY_ITEM = re.compile(r'(?P<negated>-?)"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+)')
_SYLLABLE = re.compile(r"[^\W_]+")


def _fold_table() -> dict[int, str]:
    """Latin letters with diacritics → their base letter (str.translate table), đ/Đ included."""
    table = {}
    for code in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
        if base != char:
            table[code] = base
    table.update({ord("đ"): "d", ord("Đ"): "D"})
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lowercase, strip diacritics and fold ``đ`` → ``d`` (Python mirror of vi_unaccent)."""
    text = unicodedata.normalize("NFC", text).lower().translate(_FOLD)
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


_FOLDED: dict[str, str] = {}  # syllable → folded: a language has few syllables, texts have many


def _fold_syllable(syllable: str) -> str:
    folded = _FOLDED.get(syllable)
    if folded is None:
        if len(_FOLDED) > 200_000:
            _FOLDED.clear()
        folded = _FOLDED[syllable] = fold(syllable)
    return folded


def syllables(text: str) -> list[str]:
    """Folded syllables, cut as PostgreSQL cuts ``vi_words`` text: ``[^\\W_]+`` already
    splits at every ASCII punctuation character, as ``vi_words`` does."""
    return [_fold_syllable(word) for word in _SYLLABLE.findall(text.lower())]


def _pair_set(text: str) -> set[str]:
    words = syllables(text)
    return {f"{a} {b}" for a, b in zip(words, words[1:])}


def syllable_pairs(text: str) -> list[str]:
    """Distinct folded pairs of adjacent syllables: 'Công đoàn cơ sở' → cong doan, doan co, co so."""
    return sorted(_pair_set(text))


def _tsquery_literal(lexemes: Iterable[str], operator: str) -> str:
    """A tsquery in input syntax from lexemes (quoted: never parsed for operators)."""
    quoted = ("'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" for lexeme in lexemes)
    return f" {operator} ".join(quoted)


def _pairs_literal(pairs: list[str]) -> str:
    """A tsvector in input syntax; syllables hold no quote or backslash (``[^\\W_]``)."""
    return "'" + "' '".join(pairs) + "'" if pairs else ""


# Query parsing -------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueryUnit:
    """A piece of literal user text: one word (its syllables ANDed) or a quoted phrase."""

    text: str
    phrase: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """``alternatives`` are ORed, the units inside one are ANDed; ``excluded`` units are NOT.

    ``OR`` binds looser than the implicit AND: ``tiền lương OR bảo hiểm`` is
    ``(tiền lương) OR (bảo hiểm)``. Exclusions apply to the whole query.
    """

    alternatives: tuple[tuple[QueryUnit, ...], ...] = ()
    excluded: tuple[QueryUnit, ...] = ()

    @property
    def positive_units(self) -> list[QueryUnit]:
        return [unit for alternative in self.alternatives for unit in alternative]

    @property
    def adjacency_texts(self) -> list[str]:
        """Each alternative's whole text: its syllables side by side earn the adjacency bonus."""
        return [" ".join(unit.text for unit in alternative) for alternative in self.alternatives]

    @property
    def has_marks(self) -> bool:
        """True when the positive text carries diacritics (then exact matches rank first)."""
        text = unicodedata.normalize("NFC", " ".join(unit.text for unit in self.positive_units)).lower()
        return fold(text) != text


def clean_query_text(text: str) -> str:
    """Normalise (NFC, no control characters, one line) and cut to MAX_QUERY_LENGTH."""
    return normalize_text((text or "")[: MAX_QUERY_LENGTH * 4], multiline=False)[:MAX_QUERY_LENGTH]


def parse_query(text: str) -> ParsedQuery:
    """Split user text into literal words/phrases, ``OR`` and ``-exclusions``.

    Nothing else is an operator: ``field:value``, ``*``, ``?``, ``~``, ``^``, brackets and
    tsquery characters (``& | ! : <->``) stay literal text, of which only the syllables
    count. Unbalanced quotes run to the end of the query.
    """
    alternatives: list[list[QueryUnit]] = [[]]
    excluded: list[QueryUnit] = []
    for match in _QUERY_ITEM.finditer(clean_query_text(text)):
        word = match.group("word")
        if word is not None:
            if word == "OR":
                if alternatives[-1]:
                    alternatives.append([])
                continue
            negated = word.startswith("-")
            unit = QueryUnit(word.lstrip("-"))
        else:
            negated = bool(match.group("negated"))
            unit = QueryUnit(match.group("phrase"), phrase=True)
        if not _SYLLABLE.search(unit.text):
            continue
        (excluded if negated else alternatives[-1]).append(unit)
    return ParsedQuery(tuple(tuple(a) for a in alternatives if a), tuple(excluded))


class _TsqueryBuilder:
    """Builds tsquery SQL from parsed units, binding every piece of user text as a parameter."""

    def __init__(self) -> None:
        self.params: dict[str, str] = {}

    def bind(self, value: str) -> str:
        name = f"q{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def unit(self, unit: QueryUnit, *, folded: bool) -> str:
        text = f"vi_words({self.bind(unit.text)})"
        if folded:
            text = f"vi_unaccent({text})"
        function = "phraseto_tsquery" if unit.phrase else "plainto_tsquery"
        return f"{function}('simple', {text})"

    def query(self, parsed: ParsedQuery, *, folded: bool) -> str:
        alternatives = [
            "(" + " && ".join(self.unit(unit, folded=folded) for unit in alternative) + ")"
            for alternative in parsed.alternatives
        ]
        if not alternatives:
            return "''::tsquery"
        query = "(" + " || ".join(alternatives) + ")"
        return " && ".join([query] + [f"(!! {self.unit(u, folded=folded)})" for u in parsed.excluded])

    def phrases(self, texts: list[str]) -> str:
        if not texts:
            return "''::tsquery"
        return " || ".join(f"phraseto_tsquery('simple', vi_unaccent(vi_words({self.bind(t)})))" for t in texts)

    def lexemes(self, text: str) -> str:
        return f"tsvector_to_array(to_tsvector('simple', vi_unaccent(vi_words({self.bind(text)}))))"


def _pairs_query(groups: list[list[str]]) -> str | None:
    """OR of ANDs of syllable pairs, or None when a group has no pair (nothing to prefilter)."""
    if not groups or any(not group for group in groups):
        return None
    return " | ".join("(" + _tsquery_literal(group, "&") + ")" for group in groups)


@dataclass
class _CompiledQuery:
    match: str  # tsquery on tsv_fold
    match_pairs: str | None  # tsquery on tsv_pairs implied by the match (quoted phrases)
    exact: str | None  # tsquery on tsv_exact (only when the query has diacritics)
    adjacency: str | None  # phrase tsquery on tsv_fold (only with two or more syllables)
    adjacency_pairs: str | None  # tsquery on tsv_pairs implied by the adjacency phrase
    highlight: str  # OR of every positive folded lexeme, for ts_headline
    pair_groups: list[list[str]]  # the adjacency pairs, per alternative (for estimates)
    exact_lexemes: list[str]
    match_groups: list[list[str]]  # folded syllables per alternative (for estimates)
    alternative_pairs: list[list[str]]  # syllable pairs of each alternative's whole text
    generation: int  # of the index, when the query was compiled
    phrase_groups: list[list[str]]  # syllable pairs of the quoted phrases per alternative


# The backend --------------------------------------------------------------------------------

def _alternative_share(syllables_seen: dict[str, float], pairs_seen: dict[str, float], lexemes: list[str],
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


def _clean_document_text(text: str) -> str:
    """NFC (NFD input is stored like NFC) without control characters: no NUL, no sentinels."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", text or ""))


def _document_row(document: SearchDocument) -> dict:
    title, body = _clean_document_text(document.title), _clean_document_text(document.body)
    # Pairs never span the title and the body.
    pairs = sorted(_pair_set(title) | _pair_set(body))
    return {
        "key": document.key,
        "kind": str(document.kind),
        "entity_id": document.entity_id,
        "proposal_id": document.proposal_id,
        "forum_id": document.forum_id,
        "theme_id": document.theme_id,
        "author_id": document.author_id,
        "status": str(document.status),
        "visibility": str(document.visibility),
        "created_at": document.created_at,
        "support_count": document.support_count,
        "title": title,
        "body": body,
        "fingerprint": document.fingerprint,
        "tsv_pairs": _pairs_literal(pairs),
    }


def _batches(items: Iterable, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _bump_generation(engine: sa.Engine) -> None:
    """After a commit: readers in every process stop using the totals they cached."""
    with engine.connect() as connection:
        connection.exec_driver_sql(f"SELECT nextval('{GENERATION_SEQUENCE}')")
        connection.commit()


def _is_timeout(error: sa.exc.DBAPIError) -> bool:
    return isinstance(getattr(error, "orig", None), psycopg.errors.QueryCanceled)


class PostgresBackend(SearchBackend):
    """Full-text search in PostgreSQL on the ``search_entries`` table."""

    name = "postgres"

    def __init__(self, engine: sa.Engine, *, statement_timeout_ms: int = 2000) -> None:
        self.engine = engine
        self.statement_timeout_ms = statement_timeout_ms
        self._statistics: tuple[float, _Statistics] | None = None
        self._counts: collections.OrderedDict[tuple, tuple[float, int]] = collections.OrderedDict()
        self._counts_lock = threading.Lock()

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
            for batch in _batches(documents, UPSERT_BATCH):
                # One row per key (the last wins), in key order so concurrent writers never deadlock.
                rows = sorted({doc.key: _document_row(doc) for doc in batch}.values(), key=lambda r: r["key"])
                with self.engine.begin() as connection:
                    connection.execute(statement, rows)
                written = True
        finally:
            if written:
                _bump_generation(self.engine)

    def remove_documents(self, keys: Iterable[str]) -> None:
        written = False
        try:
            for batch in _batches(keys, 5000):
                with self.engine.begin() as connection:
                    connection.execute(sa.text(f"DELETE FROM {TABLE} WHERE key = ANY(:keys)"),
                                       {"keys": sorted(set(batch))})
                written = True
        finally:
            if written:
                _bump_generation(self.engine)

    def indexed_fingerprints(self) -> dict[str, str]:
        with self.engine.connect() as connection:
            result = connection.execute(sa.text(f"SELECT key, fingerprint FROM {TABLE}"))
            return {key: fingerprint for key, fingerprint in result}

    def rebuild(self, documents: Iterable[SearchDocument], *, total: int,
                progress: Callable[[int], None] | None = None) -> ReindexStats:
        return _rebuild(self.engine, documents, progress=progress)

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
        if not parsed.alternatives or not query.visibility:
            return empty
        try:
            with self.engine.begin() as connection:
                self._begin_read(connection)
                compiled = self._compile(connection, parsed)
                if compiled is None:
                    return empty
                return self._search(connection, query, compiled, page_number, per_page)
        except sa.exc.OperationalError as error:
            if not _is_timeout(error):
                raise
            logger.warning("search timed out after %s ms: %r", self.statement_timeout_ms, clean_query_text(query.text))
            return empty

    def _compile(self, connection: sa.Connection, parsed: ParsedQuery) -> _CompiledQuery | None:
        """Let PostgreSQL turn the parsed units into tsquery texts (one round trip)."""
        builder = _TsqueryBuilder()
        match_sql = builder.query(parsed, folded=True)
        exact_sql = builder.query(parsed, folded=False) if parsed.has_marks else "''::tsquery"
        adjacency_texts = [t for t in parsed.adjacency_texts if len(syllables(t)) >= 2]
        adjacency_sql = builder.phrases(adjacency_texts)
        positive_text = " ".join(unit.text for unit in parsed.positive_units)
        exact_lexemes_sql = (f"tsvector_to_array(to_tsvector('simple', vi_words({builder.bind(positive_text)})))"
                             if parsed.has_marks else "ARRAY[]::text[]")
        row = connection.execute(
            sa.text(
                f"SELECT m::text, querytree(m), ({exact_sql})::text, a::text, numnode(a), "
                f"{builder.lexemes(positive_text)}, {exact_lexemes_sql}, {self._statistics_sql()}, "
                f"(SELECT last_value FROM {GENERATION_SEQUENCE}) "
                f"FROM (SELECT {match_sql} AS m, {adjacency_sql} AS a) AS q "
                # Takes the table's lock now, for the whole search: a rebuild cannot swap
                # tables between this generation and the statements that read rows.
                f"LEFT JOIN (SELECT 1 FROM {TABLE} WHERE false) AS lock ON true"
            ),
            builder.params,
        ).one()
        match, tree, exact, adjacency, adjacency_nodes, lexemes, exact_lexemes, statistics, generation = row
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
        return _CompiledQuery(
            match=match,
            match_pairs=_pairs_query(phrase_groups),
            exact=exact or None,
            adjacency=adjacency if has_adjacency else None,
            adjacency_pairs=_pairs_query(pair_groups) if has_adjacency and len(pair_groups) == len(
                parsed.alternatives) else None,
            highlight=_tsquery_literal(lexemes or [], "|"),
            pair_groups=pair_groups,
            exact_lexemes=list(exact_lexemes or []),
            match_groups=[sorted({s for unit in alternative for s in syllables(unit.text)})
                          for alternative in parsed.alternatives],
            phrase_groups=phrase_groups,
            alternative_pairs=[syllable_pairs(text) for text in parsed.adjacency_texts],
            generation=generation,
        )

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

    def _search(self, connection: sa.Connection, query: SearchQuery, compiled: _CompiledQuery,
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
        return SearchPage(hits=self._hits(connection, compiled, page), total=total,
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

    def _match_share(self, connection: sa.Connection, compiled: _CompiledQuery) -> tuple[float, float]:
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
                share += _alternative_share(syllables_seen, pairs_seen, group, compiled.phrase_groups[index],
                                            phrase=True)
            else:
                share += _alternative_share(syllables_seen, pairs_seen, group, compiled.alternative_pairs[index])
        return min(1.0, share), statistics.rows

    @staticmethod
    def _score(compiled: _CompiledQuery, params: dict, exact_set: str | None = None) -> str:
        """Relevance: folded cover density, +2 for an exact-diacritic match, +1 for adjacency.

        ts_rank_cd is normalised into [0, 1), so the bonuses act as tiers. ``exact_set``: a
        subquery of the keys matching the exact query through its GIN index, cheaper than
        reading every candidate's tsv_exact when there are thousands.
        """
        score = "ts_rank_cd(e.tsv_fold, CAST(:match AS tsquery), 32)"
        if compiled.exact:
            params["exact"] = compiled.exact
            exact = f"e.key IN ({exact_set})" if exact_set else "ts_match_vq(e.tsv_exact, CAST(:exact AS tsquery))"
            score += f" + CASE WHEN {exact} THEN 2 ELSE 0 END"
        if compiled.adjacency:
            score += " + CASE WHEN ts_match_vq(e.tsv_fold, CAST(:adjacency AS tsquery)) THEN 1 ELSE 0 END"
            params["adjacency"] = compiled.adjacency
        return score

    def _candidate_statement(self, connection: sa.Connection, compiled: _CompiledQuery, params: dict,
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

    def _strong_condition(self, connection: sa.Connection, compiled: _CompiledQuery, params: dict) -> str | None:
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

    def _hits(self, connection: sa.Connection, compiled: _CompiledQuery, ranked: Sequence) -> list[SearchHit]:
        """Hits with highlighted snippets; ts_headline runs only for the rows of the page.

        ts_headline reads ``vi_words`` text (so it cuts syllables as the index does and sees
        no HTML tags); the marks are then laid back onto the original characters.
        """
        if not ranked:
            return []
        rows = connection.execute(
            sa.text(
                f"SELECT e.key, e.kind, e.entity_id, e.proposal_id, ht.headline AS title_headline, "
                f"  ht.original AS title_original, hb.headline AS body_headline, hb.original AS body_original, "
                f"  hb.lead, hb.tail "
                f"FROM {TABLE} e CROSS JOIN (SELECT CAST(:highlight AS tsquery) AS q) AS hq "
                f"CROSS JOIN LATERAL ({self._headline_sql('e.title', ':title_options')}) AS ht "
                f"CROSS JOIN LATERAL ({self._headline_sql('e.body', ':body_options')}) AS hb "
                f"WHERE e.key = ANY(:keys)"
            ),
            {"keys": [row.key for row in ranked], "highlight": compiled.highlight or "",
             "title_options": _TITLE_HEADLINE, "body_options": _BODY_HEADLINE, "marks": _MARKS},
        ).all()
        by_key = {row.key: row for row in rows}
        hits = []
        for key, score in ((row.key, row.score) for row in ranked):
            row = by_key.get(key)
            if row is None:  # pragma: no cover - removed between two statements of one transaction
                continue
            title = Markup("")
            if row.kind == Kind.PROPOSAL:
                title = render_snippet(_lay_marks(row.title_headline, row.title_original))
            body = _with_edges(_lay_marks(row.body_headline, row.body_original), row.lead, row.tail)
            hits.append(SearchHit(
                kind=row.kind,
                entity_id=row.entity_id,
                proposal_id=row.proposal_id,
                score=float(score),
                title_snippet=title,
                body_snippet=render_snippet(_shorten(body)),
            ))
        return hits

    @staticmethod
    def _headline_sql(column: str, options: str) -> str:
        """ts_headline of ``column`` plus the original characters it covers and short edges."""
        return (
            f"SELECT h.headline, substr({column}, p.start, p.length) AS original, "
            f"  CASE WHEN p.start > 0 THEN right(left({column}, p.start - 1), {_EDGE_CHARS + 1}) END AS lead, "
            f"  CASE WHEN p.start > 0 THEN substr({column}, p.start + p.length, {_EDGE_CHARS + 1}) END AS tail "
            # OFFSET 0 keeps each subquery from being flattened into its uses, which would
            # run ts_headline once per reference.
            f"FROM (SELECT vi_words({column}) AS words OFFSET 0) AS w "
            f"CROSS JOIN LATERAL (SELECT ts_headline('vi_fold', w.words, hq.q, {options}) AS headline "
            f"  OFFSET 0) AS h "
            f"CROSS JOIN LATERAL (SELECT strpos(w.words, t.plain) AS start, length(t.plain) AS length "
            f"  FROM (SELECT translate(h.headline, :marks, '') AS plain OFFSET 0) AS t OFFSET 0) AS p"
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
        if limit <= 0 or not visibility or not _SYLLABLE.search(text):
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
                every_share = _alternative_share(syllables_seen, statistics.get("tsv_pairs", {}), lexemes,
                                                 syllable_pairs(text))
                rare_share = sum(syllables_seen.get(lexeme, unlisted) for lexeme in rare)
                params: dict = {
                    "every": _tsquery_literal(lexemes, "&"),
                    "rare": _tsquery_literal(rare, "|"),
                    "some": _tsquery_literal(lexemes, "|"),
                    "visibility": sorted(str(v) for v in visibility),
                    "excluded": sorted({int(i) for i in exclude_ids}),
                    "needed": needed,
                    "limit": limit,
                    "cap": SIMILAR_CANDIDATES,
                }
                shared, in_title = [], []
                for index, lexeme in enumerate(lexemes):
                    params[f"l{index}"] = _tsquery_literal([lexeme], "&")
                    params[f"t{index}"] = _tsquery_literal([lexeme], "&") + ":A"  # in the title
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
                        f"  SELECT e.entity_id, e.support_count, e.created_at, {' + '.join(shared)} AS shared,"
                        f"    {' + '.join(in_title)} AS in_title,"
                        f"    ts_rank(e.tsv_fold, CAST(:some AS tsquery), 32) AS rank"
                        f"  FROM candidates c JOIN {TABLE} e ON e.key = c.key) AS ranked "
                        f"WHERE shared >= :needed "
                        f"ORDER BY in_title DESC, shared DESC, rank DESC, support_count DESC, created_at DESC "
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


# Snippets ----------------------------------------------------------------------------------------

def _lay_marks(headline: str | None, original: str | None) -> str:
    """Put ts_headline's sentinels onto the original characters (the headline read vi_words text).

    vi_words maps characters one to one, so the unmarked headline and ``original`` have
    the same length; if they do not (never expected), the headline is kept as it is.
    """
    headline = headline or ""
    if original is None or len(original) != len(headline) - sum(headline.count(m) for m in _MARKS):
        return headline
    characters = iter(original)
    return "".join(char if char in _MARKS else next(characters) for char in headline)


def _with_edges(headline: str, lead: str | None, tail: str | None) -> str:
    """Put back short punctuation ts_headline dropped at the edges, or mark a cut with "…"."""
    if lead:
        if len(lead) <= _EDGE_CHARS and not _SYLLABLE.search(lead):
            headline = lead + headline
        else:
            headline = "… " + headline
    if tail:
        if len(tail) <= _EDGE_CHARS and not _SYLLABLE.search(tail):
            headline += tail
        else:
            headline += " …"
    return headline


def _shorten(snippet: str, limit: int = SNIPPET_MAX_CHARS) -> str:
    """Cut a marked snippet to ``limit`` visible characters at a word boundary, marks balanced."""
    visible = snippet.replace(MARK_START, "").replace(MARK_END, "")
    if len(visible) <= limit:
        return snippet
    out, count = [], 0
    for char in snippet:
        if char not in _MARKS:
            count += 1
            if count > limit:
                break
        out.append(char)
    text = "".join(out)
    if " " in text[-30:]:
        text = text[: text.rindex(" ")]
    if text.count(MARK_START) > text.count(MARK_END):
        text += MARK_END
    text = text.rstrip()
    return text if text.endswith("…") else text + " …"


# Rebuild -------------------------------------------------------------------------------------

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


def _rebuild(engine: sa.Engine, documents: Iterable[SearchDocument], *,
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
                            row = _document_row(document)
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
