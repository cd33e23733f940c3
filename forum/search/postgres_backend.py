"""PostgreSQL full-text search backend (``SEARCH_BACKEND=postgres``).

Documents live in ``search_entries`` (one row per contribution). Its generated columns
``tsv_fold`` (diacritics folded with ``vi_unaccent``) and ``tsv_exact`` carry the
tsvectors, each with a GIN index (see ``postgres_schema``). Matching uses ``tsv_fold``;
``tsv_exact`` only ranks exact-diacritic matches first.

User text never reaches tsquery syntax: a small tokenizer finds quoted phrases, ``OR``
and ``-exclusions``, and every piece of literal text goes through ``plainto_tsquery`` /
``phraseto_tsquery`` (which treat every character as text); the pieces are combined
with the tsquery operators ``&&``, ``||`` and ``!!``.

The backend writes with its own connections (``engine.begin()``), never through the
request session: the indexer calls it after the request's commit.
"""
from __future__ import annotations

import logging
import math
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

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
    render_snippet,
)

logger = logging.getLogger(__name__)

TABLE = "search_entries"
BUILD_TABLE = "search_entries_build"  # the fresh table a rebuild loads before the swap
DOCUMENT_COLUMNS = (
    "key", "kind", "entity_id", "proposal_id", "forum_id", "theme_id", "author_id", "status",
    "visibility", "created_at", "support_count", "title", "body", "fingerprint",
)
COUNT_CAP = 10_000  # totals beyond this are reported as COUNT_CAP ("10.000+")
UPSERT_BATCH = 500
SIMILAR_CANDIDATES = 2000
FREQUENCIES_MAX_AGE = 600.0  # seconds
SNIPPET_MAX_CHARS = 240
# ts_headline options: the sentinels mark matches; render_snippet turns them into <mark>.
_TITLE_HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"
_BODY_HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxFragments=1, MaxWords=40, MinWords=20"

# ts_headline drops anything that looks like an HTML tag; these control characters stand
# in for "<" and ">" while it runs (stored text never contains control characters).
_TAG_STAND_INS = "\x04\x05"
_EDGE_CHARS = 20
_RESTORE_TAGS = str.maketrans({"\x04": "<", "\x05": ">"})
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_QUERY_ITEM = re.compile(r'(?P<negated>-?)"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+)')
_SYLLABLE = re.compile(r"[^\W_]+")


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
        """Per alternative of two or more syllables, its text: adjacent syllables earn a bonus."""
        texts = [" ".join(unit.text for unit in alternative) for alternative in self.alternatives]
        return [text for text in texts if len(_SYLLABLE.findall(text)) >= 2]

    @property
    def has_marks(self) -> bool:
        """True when the positive text carries diacritics (then exact matches rank first)."""
        text = " ".join(unit.text for unit in self.positive_units)
        return fold(text) != text.lower()


def fold(text: str) -> str:
    """Strip every combining mark after NFD and fold ``đ``/``Đ`` (Python mirror of vi_unaccent)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d")


def clean_query_text(text: str) -> str:
    """Normalise (NFC, no control characters, one line) and cut to MAX_QUERY_LENGTH."""
    return normalize_text((text or "")[: MAX_QUERY_LENGTH * 4], multiline=False)[:MAX_QUERY_LENGTH]


def parse_query(text: str) -> ParsedQuery:
    """Split user text into literal words/phrases, ``OR`` and ``-exclusions``.

    Nothing else is an operator: ``field:value``, ``*``, ``?``, ``~``, ``^``, brackets and
    tsquery characters (``& | ! : <->``) stay literal text, and PostgreSQL's parser later
    keeps only their syllables. Unbalanced quotes run to the end of the query.
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

    def _bind(self, value: str) -> str:
        name = f"q{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def unit(self, unit: QueryUnit, *, folded: bool) -> str:
        text = self._bind(unit.text)
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
        return " || ".join(f"phraseto_tsquery('simple', vi_unaccent({self._bind(t)}))" for t in texts)

    def lexemes(self, text: str) -> str:
        return f"tsvector_to_array(to_tsvector('simple', vi_unaccent({self._bind(text)})))"


def _tsquery_literal(lexemes: Iterable[str], operator: str) -> str:
    """A tsquery in input syntax from lexemes PostgreSQL produced itself (quoted, never parsed)."""
    quoted = ("'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" for lexeme in lexemes)
    return f" {operator} ".join(quoted)


@dataclass
class _CompiledQuery:
    match: str  # tsquery text on tsv_fold
    exact: str | None  # tsquery text on tsv_exact (only when the query has diacritics)
    adjacency: str | None  # phrase tsquery text on tsv_fold (only with >= 2 syllables)
    highlight: str  # OR of every positive folded lexeme, for ts_headline
    extra: dict = field(default_factory=dict)


# The backend --------------------------------------------------------------------------------

def _clean_document_text(text: str) -> str:
    """NFC (NFD input is stored like NFC) without control characters: no NUL, no sentinels."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", text or ""))


def _document_row(document: SearchDocument) -> dict:
    return {
        "key": document.key,
        "kind": document.kind,
        "entity_id": document.entity_id,
        "proposal_id": document.proposal_id,
        "forum_id": document.forum_id,
        "theme_id": document.theme_id,
        "author_id": document.author_id,
        "status": document.status,
        "visibility": str(document.visibility),
        "created_at": document.created_at,
        "support_count": document.support_count,
        "title": _clean_document_text(document.title),
        "body": _clean_document_text(document.body),
        "fingerprint": document.fingerprint,
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


class PostgresBackend(SearchBackend):
    """Full-text search in PostgreSQL on the ``search_entries`` table."""

    name = "postgres"

    def __init__(self, engine: sa.Engine, *, statement_timeout_ms: int = 2000) -> None:
        self.engine = engine
        self.statement_timeout_ms = statement_timeout_ms
        self._frequencies: tuple[float, dict[str, float]] | None = None

    # Writing ----------------------------------------------------------------------------------

    def index_documents(self, documents: Iterable[SearchDocument]) -> None:
        statement = sa.text(
            f"INSERT INTO {TABLE} ({', '.join(DOCUMENT_COLUMNS)}) "
            f"VALUES ({', '.join(':' + c for c in DOCUMENT_COLUMNS)}) "
            "ON CONFLICT (key) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in DOCUMENT_COLUMNS if c != "key")
            + f" WHERE {TABLE}.fingerprint IS DISTINCT FROM excluded.fingerprint"
        )
        for batch in _batches(documents, UPSERT_BATCH):
            # One row per key (the last wins), in key order so concurrent writers never deadlock.
            rows = sorted({doc.key: _document_row(doc) for doc in batch}.values(), key=lambda r: r["key"])
            with self.engine.begin() as connection:
                connection.execute(statement, rows)

    def remove_documents(self, keys: Iterable[str]) -> None:
        for batch in _batches(keys, 5000):
            with self.engine.begin() as connection:
                connection.execute(sa.text(f"DELETE FROM {TABLE} WHERE key = ANY(:keys)"),
                                   {"keys": sorted(set(batch))})

    def indexed_fingerprints(self) -> dict[str, str]:
        with self.engine.connect() as connection:
            result = connection.execute(sa.text(f"SELECT key, fingerprint FROM {TABLE}"))
            return {key: fingerprint for key, fingerprint in result}

    def rebuild(self, documents: Iterable[SearchDocument], *, total: int,
                progress: Callable[[int], None] | None = None) -> ReindexStats:
        return _rebuild(self.engine, documents, total=total, progress=progress)

    # Searching --------------------------------------------------------------------------------

    def _compile(self, connection: sa.Connection, parsed: ParsedQuery) -> _CompiledQuery | None:
        """Let PostgreSQL turn the parsed units into tsquery texts (one round trip)."""
        builder = _TsqueryBuilder()
        match_sql = builder.query(parsed, folded=True)
        exact_sql = builder.query(parsed, folded=False) if parsed.has_marks else "''::tsquery"
        adjacency_sql = builder.phrases(parsed.adjacency_texts)
        positive_text = " ".join(unit.text for unit in parsed.positive_units)
        row = connection.execute(
            sa.text(
                f"SELECT m::text, querytree(m), ({exact_sql})::text, a::text, numnode(a), "
                f"{builder.lexemes(positive_text)} "
                f"FROM (SELECT {match_sql} AS m, {adjacency_sql} AS a) AS q"
            ),
            builder.params,
        ).one()
        match, tree, exact, adjacency_query, adjacency_nodes, lexemes = row
        if not match or tree in ("", "T"):  # nothing searchable, or only exclusions
            return None
        return _CompiledQuery(
            match=match,
            exact=exact or None,
            # A phrase of one lexeme (numnode 1) adds nothing over the match itself.
            adjacency=adjacency_query if adjacency_nodes and adjacency_nodes > 1 else None,
            highlight=_tsquery_literal(lexemes or [], "|"),
        )

    @staticmethod
    def _filters(query: SearchQuery) -> tuple[list[str], dict]:
        conditions = ["e.visibility = ANY(:visibility)"]
        params: dict = {"visibility": sorted(str(v) for v in query.visibility)}
        for column in ("forum_id", "theme_id", "kind", "status"):
            value = getattr(query, column)
            if value is not None:
                conditions.append(f"e.{column} = :{column}")
                params[column] = str(value) if column in ("kind", "status") else value
        if query.created_from is not None:
            conditions.append("e.created_at >= :created_from")
            params["created_from"] = query.created_from
        if query.created_before is not None:
            conditions.append("e.created_at < :created_before")
            params["created_before"] = query.created_before
        return conditions, params

    def search(self, query: SearchQuery) -> SearchPage:
        page_number, per_page = max(1, query.page), max(1, query.per_page)
        empty = SearchPage(hits=[], total=0, page=page_number, per_page=per_page)
        parsed = parse_query(query.text)
        if not parsed.alternatives or not query.visibility:
            return empty
        try:
            with self.engine.begin() as connection:
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(self.statement_timeout_ms)}")
                connection.exec_driver_sql("SET LOCAL client_min_messages = warning")
                compiled = self._compile(connection, parsed)
                if compiled is None:
                    return empty
                return self._search(connection, query, compiled, page_number, per_page)
        except sa.exc.OperationalError as error:
            if not _is_timeout(error):
                raise
            logger.warning("search timed out after %s ms: %r", self.statement_timeout_ms, query.text[:MAX_QUERY_LENGTH])
            return empty

    def _search(self, connection: sa.Connection, query: SearchQuery, compiled: _CompiledQuery,
                page_number: int, per_page: int) -> SearchPage:
        conditions, params = self._filters(query)
        conditions.insert(0, "e.tsv_fold @@ CAST(:match AS tsquery)")
        params["match"] = compiled.match
        where = " AND ".join(conditions)
        total = connection.execute(
            sa.text(f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} e WHERE {where} LIMIT {COUNT_CAP}) c"),
            params,
        ).scalar_one()
        offset = (page_number - 1) * per_page
        if total == 0 or offset >= total:
            return SearchPage(hits=[], total=total, page=page_number, per_page=per_page)

        score = "ts_rank_cd(e.tsv_fold, CAST(:match AS tsquery), 32)"
        if compiled.exact:
            score += (" + CASE WHEN e.tsv_exact @@ CAST(:exact AS tsquery) THEN 2 ELSE 0 END"
                      " + ts_rank_cd(e.tsv_exact, CAST(:exact AS tsquery), 32)")
            params["exact"] = compiled.exact
        if compiled.adjacency:
            score += " + CASE WHEN e.tsv_fold @@ CAST(:adjacency AS tsquery) THEN 1 ELSE 0 END"
            params["adjacency"] = compiled.adjacency
        if query.sort == Sort.NEWEST:
            score, order = "0.0", "created_at DESC, key"
        elif query.sort == Sort.SUPPORTS:
            score, order = "0.0", "support_count DESC, created_at DESC, key"
        else:
            order = "score DESC, created_at DESC, key"
        params.update(limit=per_page, offset=offset, highlight=compiled.highlight or "",
                      title_options=_TITLE_HEADLINE, body_options=_BODY_HEADLINE, tag_chars=_TAG_STAND_INS,
                      marks=MARK_START + MARK_END)
        rows = connection.execute(
            sa.text(
                f"WITH page AS ("
                f"  SELECT * FROM (SELECT e.key, e.created_at, e.support_count, {score} AS score"
                f"    FROM {TABLE} e WHERE {where}) AS matches"
                f"  ORDER BY {order} LIMIT :limit OFFSET :offset"
                f"), hq AS (SELECT CAST(:highlight AS tsquery) AS hq) "
                f"SELECT e.kind, e.entity_id, e.proposal_id, page.score, "
                f"  CASE WHEN e.kind = 'proposal' THEN ts_headline('vi_fold', translate(e.title, '<>', :tag_chars), hq.hq, :title_options) "
                f"  ELSE '' END AS title_snippet, "
                f"  h.headline AS body_snippet, b.lead, b.tail "
                f"FROM page JOIN {TABLE} e ON e.key = page.key CROSS JOIN hq "
                f"CROSS JOIN LATERAL (SELECT translate(e.body, '<>', :tag_chars) AS body) AS t "
                f"CROSS JOIN LATERAL (SELECT ts_headline('vi_fold', t.body, hq.hq, :body_options) AS headline) AS h "
                f"CROSS JOIN LATERAL (SELECT strpos(t.body, translate(h.headline, :marks, '')) AS start, "
                f"  length(translate(h.headline, :marks, '')) AS length) AS p "
                # The text around the fragment when it is short (ts_headline drops leading and
                # trailing punctuation), so that the snippet can show it or an ellipsis.
                f"CROSS JOIN LATERAL (SELECT "
                f"  CASE WHEN p.start > 0 THEN right(left(t.body, p.start - 1), {_EDGE_CHARS + 1}) END AS lead, "
                f"  CASE WHEN p.start > 0 THEN substr(t.body, p.start + p.length, {_EDGE_CHARS + 1}) END AS tail) AS b "
                f"ORDER BY {', '.join('page.' + part for part in order.split(', '))}"
            ),
            params,
        ).all()
        hits = [
            SearchHit(
                kind=row.kind,
                entity_id=row.entity_id,
                proposal_id=row.proposal_id,
                score=float(row.score),
                title_snippet=_snippet(row.title_snippet) if row.kind == Kind.PROPOSAL else Markup(""),
                body_snippet=_snippet(_shorten(_with_edges(row.body_snippet, row.lead, row.tail))),
            )
            for row in rows
        ]
        return SearchPage(hits=hits, total=total, page=page_number, per_page=per_page)

    # Similar proposals --------------------------------------------------------------------------

    def similar_proposals(
        self, title: str, *, visibility: frozenset[str], limit: int = 5, exclude_ids: Iterable[int] = ()
    ) -> list[SimilarProposal]:
        """Proposals sharing most of the title's folded syllables (at least half, and two or more).

        Two bounded candidate sets keep this fast on common words: proposals containing
        every syllable, and proposals containing one of the rarest syllables (any proposal
        with enough shared syllables contains one of them); each is capped at
        SIMILAR_CANDIDATES rows, then ranked by shared syllables.
        """
        text = clean_query_text(title)
        if limit <= 0 or not visibility or not _SYLLABLE.search(text):
            return []
        try:
            with self.engine.begin() as connection:
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(self.statement_timeout_ms)}")
                connection.exec_driver_sql("SET LOCAL client_min_messages = warning")
                lexemes = connection.execute(
                    sa.text("SELECT tsvector_to_array(to_tsvector('simple', vi_unaccent(:text)))"), {"text": text}
                ).scalar_one() or []
                if not lexemes:
                    return []
                needed = 1 if len(lexemes) == 1 else max(2, math.ceil(len(lexemes) / 2))
                frequencies = self._lexeme_frequencies(connection)
                rarest = sorted(lexemes, key=lambda lexeme: frequencies.get(lexeme, 0.0))
                params: dict = {
                    "every": _tsquery_literal(lexemes, "&"),
                    "rare": _tsquery_literal(rarest[: len(lexemes) - needed + 1], "|"),
                    "some": _tsquery_literal(lexemes, "|"),
                    "visibility": sorted(str(v) for v in visibility),
                    "excluded": sorted({int(i) for i in exclude_ids}),
                    "needed": needed,
                    "limit": limit,
                    "cap": SIMILAR_CANDIDATES,
                }
                shared = []
                for index, lexeme in enumerate(lexemes):
                    params[f"l{index}"] = _tsquery_literal([lexeme], "&")
                    shared.append(f"(e.tsv_fold @@ CAST(:l{index} AS tsquery))::int")
                where = ("e.kind = 'proposal' AND e.visibility = ANY(:visibility) "
                         "AND NOT (e.entity_id = ANY(:excluded))")
                rows = connection.execute(
                    sa.text(
                        f"WITH candidates AS ("
                        f"  (SELECT e.key FROM {TABLE} e WHERE e.tsv_fold @@ CAST(:every AS tsquery) AND {where}"
                        f"   LIMIT :cap) UNION "
                        f"  (SELECT e.key FROM {TABLE} e WHERE e.tsv_fold @@ CAST(:rare AS tsquery) AND {where}"
                        f"   LIMIT :cap)) "
                        f"SELECT entity_id, shared + rank AS score FROM ("
                        f"  SELECT e.entity_id, e.support_count, e.created_at, {' + '.join(shared)} AS shared,"
                        f"    ts_rank(e.tsv_fold, CAST(:some AS tsquery), 32) AS rank"
                        f"  FROM candidates c JOIN {TABLE} e ON e.key = c.key) AS ranked "
                        f"WHERE shared >= :needed "
                        f"ORDER BY shared DESC, rank DESC, support_count DESC, created_at DESC LIMIT :limit"
                    ),
                    params,
                ).all()
        except sa.exc.OperationalError as error:
            if not _is_timeout(error):
                raise
            logger.warning("similar proposals timed out after %s ms", self.statement_timeout_ms)
            return []
        return [SimilarProposal(proposal_id=row.entity_id, score=float(row.score)) for row in rows]

    def _lexeme_frequencies(self, connection: sa.Connection) -> dict[str, float]:
        """Share of documents containing each common lexeme (ANALYZE statistics, cached)."""
        now = time.monotonic()
        if self._frequencies is None or now - self._frequencies[0] > FREQUENCIES_MAX_AGE:
            row = connection.execute(sa.text(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
                "WHERE schemaname = current_schema() AND tablename = :table AND attname = 'tsv_fold'"
            ), {"table": TABLE}).first()
            frequencies = dict(zip(row[0], row[1])) if row and row[0] else {}
            self._frequencies = (now, frequencies)
        return self._frequencies[1]


def _is_timeout(error: sa.exc.OperationalError) -> bool:
    return isinstance(getattr(error, "orig", None), psycopg.errors.QueryCanceled)


def _snippet(headline: str) -> Markup:
    return render_snippet(headline.translate(_RESTORE_TAGS))


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
        if char not in (MARK_START, MARK_END):
            count += 1
            if count > limit:
                break
        out.append(char)
    text = "".join(out)
    if " " in text[-30:]:
        text = text[: text.rindex(" ")]
    if text.count(MARK_START) > text.count(MARK_END):
        text += MARK_END
    return text.rstrip() + ("" if text.rstrip().endswith("…") else " …")


# Rebuild -------------------------------------------------------------------------------------

_INDEX_DEFINITION = re.compile(r"^CREATE (?P<unique>UNIQUE )?INDEX (?P<name>\S+) ON (?P<table>\S+) (?P<rest>USING .*)$")
REBUILD_LOCK_ID = 0x5E_A2C4  # pg_advisory_lock key: one rebuild at a time
SWAP_LOCK_TIMEOUT_MS = 10_000


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


def _rebuild(engine: sa.Engine, documents: Iterable[SearchDocument], *, total: int,
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
                cursor.execute("SET maintenance_work_mem = '256MB'")
                for statement in index_statements:
                    cursor.execute(statement)
                cursor.execute("RESET maintenance_work_mem")
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
