"""The embedded search engine: Whoosh (``whoosh-reloaded``), tuned for Vietnamese forum text.

On-disk layout (``index_dir``, by default ``instance/search-index``)::

    index_dir/
        current -> gen-20261123T101500-3f9a1c    relative symlink to the live index
        gen-20261123T101500-3f9a1c/              a Whoosh index (TOC, segments, WRITELOCK)
        .rebuild.lock                            flock held while creating or swapping an index

``rebuild()`` writes a brand-new index into a fresh ``gen-*`` sibling (several processes,
one segment each), then points ``current`` at it with ``os.replace`` of a temporary
symlink — atomic — and deletes the old directory. Processes that still hold a searcher
on the old index keep reading it (every file it needs is already open; Linux keeps
unlinked open files alive); each search first checks where ``current`` points and
reopens when it moved. While a rebuild runs it holds the old index's writer lock, so
incremental updates wait (and fail after ``writer_timeout``, to be retried from the
outbox) instead of landing in an index that is about to be thrown away.

Fields: ``key`` (unique), ``kind``, ``proposal_id``, ``forum_id``, ``theme_id``, ``status``,
``visibility`` (IDs, for filters); ``created_at`` (µs since the epoch) and ``support_count``
(sortable NUMERIC columns); stored ``entity_id``, ``author_id``, ``title``, ``body``,
``fingerprint``; and three analysed, unstored fields over "title FIELD_SEPARATOR body":

* ``text``: folded syllables (``đoàn`` → ``doan``), every query searches it;
* ``text_exact``: the syllables that carry diacritics, as written; searched only when
  the query has diacritics, to rank exact matches first (``đoán`` before ``đoàn``);
* ``bigrams``: folded adjacent syllable pairs with positions: a quoted phrase of n
  syllables is n-1 pairs at consecutive positions, and pairs of adjacent query
  syllables give the proximity boost — much shorter posting lists than positional
  phrase queries over common syllables.

Posting weights are BM25 impacts computed at index time (``analysis.VietnameseAnalyzer``),
so a document's score is a sum of ``idf × stored weight``. Queries never go through
Whoosh's query parser (no field syntax, wildcards, fuzzy or range can be reached): the
user's text is cut into quoted phrases, ``OR``, ``-exclusions`` and literal syllables,
then evaluated term-at-a-time on posting lists read in bulk from the segments, with
set operations for AND/OR/NOT and filters, one segment at a time. Decoded posting lists
are cached per (immutable) segment, so common domain syllables are decoded once per
process and segment, not once per query (``POSTING_CACHE``; the ``SEARCH_POSTING_CACHE``
setting sets its size in postings, default 3,000,000 ≈ 120 MB).

Result counts are exact. Sorting: relevance (ties newest first), supports (ties newest
first), newest (ties by key).

Processes and threads: each process keeps one searcher per index directory, reopened
when the index's generation changes, and serialises its searches on it (segment files
are read with plain file reads, which are not thread-safe). Writers take Whoosh's
writer lock with ``ix.writer(timeout=writer_timeout)``: a second process waits for the
first to commit; after the timeout ``IndexBusyError`` tells the caller to retry later.
Never AsyncWriter/BufferedWriter (they lose updates or hold the lock forever).

Whoosh 2.7 defects worked around here: ``Searcher.refresh()`` reuses segment readers
with stale deletions (deleted documents stay visible), so views are reopened instead;
mmap-ed compound segments are copied whole into memory on every open, so segments are
read without mmap; W3's ``inlinelimit`` crashes (a misspelled method), so the bulk
writer inlines short posting lists itself.
"""
from __future__ import annotations

import atexit
import gc
import heapq
import logging
import math
import multiprocessing
import os
import pickle
import queue
import re
import secrets
import shutil
import struct
import sys
import threading
import time
import traceback
import unicodedata
from array import array
from collections import Counter, OrderedDict, defaultdict, deque
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from itertools import accumulate, chain, compress, repeat
from operator import add, ge, itemgetter, mul, sub
from pathlib import Path

from markupsafe import Markup
from whoosh import fields as wfields
from whoosh import index as windex
from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher
from whoosh.formats import Existence, Positions
from whoosh.filedb.filestore import FileStorage
from whoosh.highlight import Formatter, Fragment, Fragmenter, WholeFragmenter, get_text
from whoosh.highlight import highlight as whoosh_highlight
from whoosh.reading import TermNotFound
from whoosh.system import pack_uint, pack_ushort
from whoosh.writing import SegmentWriter

from forum.search.analysis import FIELD_SEPARATOR, VietnameseAnalyzer, fold_syllable, index_terms, nfc, syllables
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

log = logging.getLogger(__name__)

CURRENT_LINK = "current"
GENERATION_PREFIX = "gen-"
REBUILD_LOCK = ".rebuild.lock"

# Scoring: score = Σ idf·weight over the folded syllables
#               + EXACT_BOOST · Σ idf·weight over exact syllables (queries with diacritics)
#               + PROXIMITY_BOOST · Σ idf·weight over adjacent query syllable pairs.
EXACT_BOOST = 2.0
PROXIMITY_BOOST = 1.5

WEIGHT_SCALE = 100.0  # cached posting weights are integers: impact × 100 (impacts are below 2.2)
MAX_QUERY_UNITS = 24  # distinct terms/phrases looked up per query; the rest is ignored
MAX_PHRASE_SYLLABLES = 16
SNIPPET_CHARS = 240
ELLIPSIS = "…"

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_TEXT_CLEAN = str.maketrans({MARK_START: " ", MARK_END: " ", FIELD_SEPARATOR: " "})
_RESERVED_CHARS = re.compile(f"[{MARK_START}{MARK_END}{FIELD_SEPARATOR}]")


class IndexBusyError(RuntimeError):
    """The index writer lock could not be had in time (another writer, or a rebuild): retry later."""


# --- schema ------------------------------------------------------------------------------


def build_schema() -> wfields.Schema:
    """The Whoosh schema (see the module docstring)."""
    return wfields.Schema(
        key=wfields.ID(stored=True, unique=True),
        kind=wfields.ID(stored=True),
        entity_id=wfields.STORED(),
        proposal_id=wfields.ID(stored=True),
        forum_id=wfields.ID(stored=True),
        theme_id=wfields.ID(stored=True),
        status=wfields.ID(stored=True),
        visibility=wfields.ID(stored=True),
        author_id=wfields.STORED(),
        created_at=wfields.NUMERIC(numtype=int, bits=64, signed=True, sortable=True, shift_step=0),
        support_count=wfields.NUMERIC(numtype=int, bits=32, signed=True, sortable=True, shift_step=0),
        title=wfields.STORED(),
        body=wfields.STORED(),
        fingerprint=wfields.STORED(),
        text=wfields.TEXT(analyzer=VietnameseAnalyzer(fold=True), phrase=False),
        text_exact=wfields.TEXT(analyzer=VietnameseAnalyzer(fold=False, marked_only=True), phrase=False),
        bigrams=wfields.TEXT(analyzer=VietnameseAnalyzer(bigrams=True), phrase=True),
    )


def open_index(path: str | Path):
    """Open the Whoosh index in ``path``, reading segment files with plain reads.

    Not with mmap: Whoosh wraps every file of a memory-mapped compound segment in a
    BytesIO, which copies it. Each reader opened after a commit would copy the whole
    index into the process's memory (hundreds of MB, ~100 ms at 100,000 documents).
    """
    return FileStorage(str(path), supports_mmap=False).open_index()


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _clean(text: str | None) -> str:
    """NFC, without the characters that have a meaning in the index (highlight marks, field separator)."""
    text = nfc(text or "")
    if _RESERVED_CHARS.search(text):
        text = text.translate(_TEXT_CLEAN)
    return text


def document_fields(doc: SearchDocument) -> dict:
    """The Whoosh field values of one document."""
    title = _clean(doc.title)
    body = _clean(doc.body)
    combined = f"{title}{FIELD_SEPARATOR}{body}"
    return {
        "key": doc.key,
        "kind": str(doc.kind),
        "entity_id": doc.entity_id,
        "proposal_id": str(doc.proposal_id),
        "forum_id": str(doc.forum_id),
        "theme_id": "" if doc.theme_id is None else str(doc.theme_id),
        "status": str(doc.status or ""),
        "visibility": str(doc.visibility),
        "author_id": doc.author_id,
        "created_at": to_micros(doc.created_at),
        "support_count": int(doc.support_count or 0),
        "title": title,
        "body": body,
        "fingerprint": doc.fingerprint,
        "text": combined,
        "text_exact": combined,
        "bigrams": combined,
    }


# --- query parsing -----------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A term (one syllable) or a phrase (several adjacent syllables) of a user query."""

    exact: tuple[str, ...]  # lowercase NFC syllables as typed
    quoted: bool = False

    @property
    def folded(self) -> tuple[str, ...]:
        return tuple(fold_syllable(s) for s in self.exact)

    @property
    def bigrams(self) -> list[str]:
        folded = self.folded
        return [f"{a} {b}" for a, b in zip(folded, folded[1:])]


@dataclass
class Clause:
    """Units that must all occur, and units that must not."""

    units: list[Unit] = field(default_factory=list)
    excluded: list[Unit] = field(default_factory=list)


@dataclass
class ParsedQuery:
    """An OR of clauses (``OR`` binds loosest, as in websearch_to_tsquery).

    ``adjacent`` lists the folded syllable pairs typed next to each other: documents
    containing them get the proximity boost.
    """

    clauses: list[Clause] = field(default_factory=list)
    adjacent: list[str] = field(default_factory=list)
    has_marks: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.clauses

    def positive_syllables(self) -> list[str]:
        """Distinct exact syllables of the positive units, in query order."""
        seen: dict[str, None] = {}
        for clause in self.clauses:
            for unit in clause.units:
                for s in unit.exact:
                    seen.setdefault(s, None)
        return list(seen)


_QUERY_TOKEN = re.compile(r'(-?)"([^"]*)(?:"|$)|(\S+)')


def clean_query_text(text: str | None) -> str:
    """NFC, control characters removed, cut to MAX_QUERY_LENGTH characters."""
    text = unicodedata.normalize("NFC", text or "")
    text = _UNSAFE_CHARS.sub(" ", text)
    return text[:MAX_QUERY_LENGTH]


def parse_query(text: str | None) -> ParsedQuery:
    """Turn user text into a ParsedQuery; never raises, never reaches any engine syntax.

    ``"quoted phrase"`` (an unclosed quote runs to the end), ``OR`` between two items,
    ``-term`` / ``-"phrase"`` exclusions; every other character is literal text cut into
    syllables. A word made of several syllables (``hidden:true``, ``công-đoàn``) is a
    phrase of them, as in PostgreSQL's websearch_to_tsquery.
    """
    text = clean_query_text(text)
    # Items: ("unit", Unit, plain) | ("or",) | ("not", Unit) | ("break",)
    items: list[tuple] = []
    for match in _QUERY_TOKEN.finditer(text):
        negated, quoted_text, word = match.group(1), match.group(2), match.group(3)
        if quoted_text is not None:
            sylls = tuple(syllables(quoted_text))[:MAX_PHRASE_SYLLABLES]
            if not sylls:
                items.append(("break",))
                continue
            unit = Unit(sylls, quoted=True)
            items.append(("not", unit) if negated else ("unit", unit, False))
            continue
        if word == "OR":
            items.append(("or",))
            continue
        negate = word.startswith("-")
        sylls = tuple(syllables(word.lstrip("-")))[:MAX_PHRASE_SYLLABLES]
        if not sylls:
            items.append(("break",))
            continue
        if negate:
            items.append(("not", Unit(sylls)))
        else:
            items.append(("unit", Unit(sylls), True))

    parsed = ParsedQuery()
    clause = Clause()
    previous_plain: Unit | None = None  # for adjacency across plain words
    lookups = 0

    def close_clause():
        nonlocal clause
        if clause.units:
            parsed.clauses.append(clause)
        clause = Clause()

    for item in items:
        kind = item[0]
        if kind == "or":
            close_clause()
            previous_plain = None
            continue
        if kind == "break":
            previous_plain = None
            continue
        if lookups >= MAX_QUERY_UNITS:
            break
        unit = item[1]
        if kind == "not":
            previous_plain = None
            if unit not in clause.excluded:
                clause.excluded.append(unit)
                lookups += 1
            continue
        plain = item[2]
        for pair in unit.bigrams:
            if pair not in parsed.adjacent:
                parsed.adjacent.append(pair)
        if plain and previous_plain is not None:
            pair = f"{previous_plain.folded[-1]} {unit.folded[0]}"
            if pair not in parsed.adjacent:
                parsed.adjacent.append(pair)
        previous_plain = unit if plain else None
        if unit not in clause.units:
            clause.units.append(unit)
            lookups += 1
    close_clause()
    parsed.has_marks = any(fold_syllable(s) != s for s in parsed.positive_syllables())
    return parsed


# --- posting access (term-at-a-time) ---------------------------------------------------------


class _LRU:
    """A small LRU bounded by the total size (number of postings) of its values."""

    def __init__(self, max_size: int):
        self.max_size = max_size
        self.size = 0
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key, value, size: int):
        if size > self.max_size:
            return
        with self.lock:
            old = self.data.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self.data[key] = (value, size)
            self.size += size
            while self.size > self.max_size and self.data:
                _, (_, evicted) = self.data.popitem(last=False)
                self.size -= evicted

    def clear(self):
        with self.lock:
            self.data.clear()
            self.size = 0


# Decoded posting lists, doc sets and columns of segments, keyed by segment id: a segment
# never changes once written (deletions are kept apart, in the reader). Sized in postings,
# about 40 bytes each in memory (see _read_postings): the default, 3 million, keeps every
# syllable of the benchmark's query mix decoded at 100,000 contributions (~120 MB per process).
DEFAULT_POSTING_CACHE = 3_000_000
POSTING_CACHE = _LRU(max_size=DEFAULT_POSTING_CACHE)


def _blocks(segreader, fieldname: str, term: str):
    """(local docnums, weights, values) of each posting block of one term in one segment."""
    try:
        matcher = segreader._terms.matcher(fieldname, term.encode("utf-8"), segreader.schema[fieldname].format)
    except (TermNotFound, KeyError):
        return
    if isinstance(matcher, W3LeafMatcher):
        # Whole blocks at a time: a block is a pickled (delta ids, weights, values).
        while True:
            matcher._read_data()
            delta_ids, weights, values = matcher._data
            count = matcher._blocklength
            if weights is None:
                weights = [1.0] * count
            elif isinstance(weights, float):
                weights = [weights] * count
            yield list(accumulate(delta_ids)), weights, values
            if matcher._lastblock:
                break
            matcher._goto(matcher._nextoffset)
    else:  # postings inlined in the term table, or another codec: the generic way
        ids, weights, values = [], [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            values.append(matcher.value())
            matcher.next()
        yield ids, weights, values


def _read_postings(segreader, fieldname: str, term: str, docnums: list[int]) -> dict[int, int]:
    """``{local docnum: weight in 1/WEIGHT_SCALE units}`` for one term in one segment.

    Deleted documents included. Weights are rounded to small integers and document
    numbers replaced by the segment's shared int objects (``docnums``): CPython keeps
    one object per small int, so a cached posting costs a dict slot and nothing more.
    """
    result: dict[int, int] = {}
    shared = docnums.__getitem__
    for ids, weights, _values in _blocks(segreader, fieldname, term):
        result.update(zip(map(shared, ids), map(round, map(mul, weights, repeat(WEIGHT_SCALE)))))
    return result


def _read_positions(segreader, fieldname: str, term: str, wanted) -> dict[int, list[int]]:
    """Token positions of one term in the ``wanted`` documents of one segment."""
    result = {}
    for ids, _weights, values in _blocks(segreader, fieldname, term):
        if ids and (ids[0] > max(wanted) or ids[-1] < min(wanted)):
            continue
        for index, docnum in enumerate(ids):
            if docnum in wanted:
                value = values[index]
                if not value.endswith(b"."):  # Whoosh may strip pickle's STOP opcode
                    value += b"."
                result[docnum] = list(accumulate(pickle.loads(value[4:])))
    return result


def _read_column(segreader, fieldname: str) -> list[int]:
    """All raw (sortable) values of a numeric column of one segment, decoded in bulk."""
    doccount = segreader.doc_count_all()
    column = segreader.schema[fieldname].column_type
    creader = segreader.column_reader(fieldname, translate=False)
    try:
        typecode = column._typecode
        fixedlen = creader._fixedlen
        count = min(creader._count, doccount)
        raw = creader._dbfile.get(creader._basepos, count * fixedlen)
        values = array(typecode)
        values.frombytes(raw)
        if sys.byteorder == "little":
            values.byteswap()
        result = values.tolist()
        result.extend(repeat(column.default_value(), doccount - count))
        return result
    except (AttributeError, struct.error, ValueError):  # another codec: the slow, generic way
        return [creader[i] for i in range(doccount)]


class _Leaf:
    """One segment of a view. Everything here uses the segment's local document numbers."""

    def __init__(self, reader, segid: str):
        self.reader = reader
        self.segid = segid
        self.deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
        self._docnums = None

    @property
    def docnums(self) -> list[int]:
        """One int object per document number, shared by every cached posting list of the segment."""
        if self._docnums is None:
            self._docnums = self._cached(("#docnums",), lambda: list(range(self.reader.doc_count_all())))
        return self._docnums

    def _cached(self, key: tuple, compute):
        full_key = (self.segid, *key)
        hit = POSTING_CACHE.get(full_key)
        if hit is not None:
            return hit[0]
        value = compute()
        POSTING_CACHE.put(full_key, value, len(value) + 1)
        return value

    def postings(self, fieldname: str, term: str) -> dict[int, int]:
        """``{docnum: weight × WEIGHT_SCALE}`` of a term (deleted documents included)."""
        return self._cached((fieldname, term), lambda: _read_postings(self.reader, fieldname, term, self.docnums))

    def docs(self, fieldname: str, value: str):
        return self.postings(fieldname, value).keys()

    def any_of(self, fieldname: str, values: Iterable[str]):
        values = tuple(sorted(set(values)))
        if len(values) == 1:
            return self.docs(fieldname, values[0])

        def union():
            docs: set[int] = set()
            for value in values:
                docs.update(self.docs(fieldname, value))
            return docs

        return self._cached(("#any", fieldname, values), union)

    def column(self, fieldname: str) -> list[int]:
        return self._cached(("#column", fieldname), lambda: _read_column(self.reader, fieldname))

    def unit_docs(self, unit: Unit):
        """Documents containing the unit: a syllable, or syllables adjacent in this order (folded)."""
        folded = unit.folded
        if len(folded) == 1:
            return self.docs("text", folded[0])
        pairs = unit.bigrams
        if len(pairs) == 1:
            return self.docs("bigrams", pairs[0])
        return self._cached(("#phrase", folded), lambda: self._phrase_docs(pairs))

    def _phrase_docs(self, pairs: list[str]) -> set[int]:
        """Documents where the pairs occur at consecutive positions: the phrase itself."""
        distinct = sorted(set(pairs), key=lambda p: len(self.postings("bigrams", p)))
        candidates = set(self.docs("bigrams", distinct[0]))
        for pair in distinct[1:]:
            candidates.intersection_update(self.docs("bigrams", pair))
            if not candidates:
                return candidates
        positions = {pair: _read_positions(self.reader, "bigrams", pair, candidates) for pair in distinct}
        found = set()
        for docnum in candidates:
            later = [set(positions[pair][docnum]) for pair in pairs[1:]]
            for start in positions[pairs[0]][docnum]:
                if all(start + step in later[step - 1] for step in range(1, len(pairs))):
                    found.add(docnum)
                    break
        return found


class _View:
    """One generation of the index as one process sees it."""

    def __init__(self, searcher, target: str):
        self.searcher = searcher
        self.target = target
        self.reader = searcher.reader()
        self.schema = self.reader.schema
        self.doc_count = self.reader.doc_count_all()
        self.leaves = []
        for segreader, _offset in self.reader.leaf_readers():
            segment = segreader.segment()
            segid = segment.segment_id() if segment is not None else f"anon{id(segreader)}"
            self.leaves.append(_Leaf(segreader, segid))
        self._idf: dict = {}
        # Touch every file this view needs, so that it keeps working after a rebuild
        # deleted its directory (open files outlive their unlinking).
        for leaf in self.leaves:
            if leaf.reader.doc_count_all():
                leaf.reader.stored_fields(0)
                leaf.column("created_at")
                leaf.column("support_count")

    def idf(self, fieldname: str, term: str) -> float:
        key = (fieldname, term)
        value = self._idf.get(key)
        if value is None:
            df = self.reader.doc_frequency(fieldname, term)
            n = max(self.doc_count, 1)
            value = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
            if len(self._idf) > 50_000:
                self._idf.clear()
            self._idf[key] = value
        return value

    def column_value(self, fieldname: str, value: int) -> int:
        return self.schema[fieldname].to_column_value(value)

    def close(self):
        try:
            self.searcher.close()
        except Exception:  # pragma: no cover - closing is best effort
            log.debug("closing a stale searcher failed", exc_info=True)


# --- bulk writing ------------------------------------------------------------------------------

TEXT_FIELDS = ("bigrams", "text", "text_exact")
# The standard W3 format, with larger blocks (fewer to decode: we always read whole posting
# lists) and faster compression. Posting lists of up to INLINE_LIMIT documents go inline
# into the term table: no block to write or read for the long tail of rare terms and pairs.
BULK_CODEC = W3Codec(blocklimit=1024, compression=1, inlinelimit=1)
INLINE_LIMIT = 16  # posting lists this short go into the term table: no block to write or seek
BULK_CHUNK = 500  # documents per job sent to an indexing process


class _TrackedFile:
    """A file being written that knows its position without asking the kernel.

    ``BufferedWriter.tell()`` is an lseek() system call, and Whoosh's writers call it
    for every term: hundreds of thousands of calls in a rebuild.
    """

    def __init__(self, raw):
        self._raw = raw
        self._position = raw.tell()

    def write(self, data):
        written = self._raw.write(data)
        self._position += memoryview(data).nbytes
        return written

    def tell(self):
        return self._position

    def seek(self, *args):
        self._position = self._raw.seek(*args)
        return self._position

    def flush(self):
        self._raw.flush()

    def close(self):
        self._raw.close()

    def fileno(self):
        return self._raw.fileno()


class BulkSegmentWriter(SegmentWriter):
    """Writes one ordinary Whoosh segment from SearchDocuments, several times faster.

    Used only by rebuild(). The stock writer pushes every posting through a sorting
    pool and a per-posting writer call, and tokenizes the text once per field; this
    one tokenizes once for the three text fields (``analysis.index_terms``: the same
    terms and weights the analyzers give), keeps each term's postings in lists, and
    writes them block by block. What lands on disk is a standard segment (checked
    against the stock writer in the tests), read and merged by stock Whoosh.
    """

    def __init__(self, ix, **kwargs):
        kwargs.setdefault("codec", BULK_CODEC)
        super().__init__(ix, **kwargs)
        schema = self.schema
        self._analyzers = {name: schema[name].analyzer for name in TEXT_FIELDS}
        self._field_order = sorted(schema.names())
        # Per indexed field: {term: docnums}, {term: weights}, {term: values}, as compact
        # arrays (a few bytes per posting); values are frequencies for Frequency fields,
        # encoded positions for positional ones, nothing for Existence ones. Terms are str
        # for the text fields (encoded when written), bytes for the others.
        self._bulk: dict[str, tuple[defaultdict, defaultdict, defaultdict]] = {
            name: (defaultdict(partial(array, "I")), defaultdict(partial(array, "f")),
                   defaultdict(list) if schema[name].format.fixed_value_size() is None
                   else defaultdict(partial(array, "I")))
            for name in self._field_order if schema[name].indexed
        }
        self._plan = []
        for name in self._field_order:
            field = schema[name]
            if name in TEXT_FIELDS:
                role = "text"
            elif isinstance(field, wfields.NUMERIC):
                role = "numeric"
                assert not field.shift_step, "one term per value"
            elif isinstance(field, wfields.ID):
                role = "id"
                assert isinstance(field.format, Existence) and not getattr(field.analyzer, "lowercase", False)
            else:
                role = "stored"
                assert not field.indexed
            self._plan.append((name, field, role))

    def add_search_document(self, doc: SearchDocument) -> None:
        values = document_fields(doc)
        docnum = self.docnum
        perdoc = self.perdocwriter
        bulk = self._bulk
        analysed = index_terms(values["text"], self._analyzers)
        perdoc.start_doc(docnum)
        try:
            for name, field, role in self._plan:
                value = values[name]
                if role == "text":
                    length, frequencies, weights, positions = analysed[name]
                    ids, weight_arrays, value_lists = bulk[name]
                    # For every term: ids[term].append(docnum) etc., looped in C.
                    deque(map(array.append, map(ids.__getitem__, frequencies), repeat(docnum)), maxlen=0)
                    deque(map(array.append, map(weight_arrays.__getitem__, frequencies),
                              map(weights.__getitem__, frequencies)), maxlen=0)
                    if positions is not None:
                        encoded = map(_encode_positions, map(positions.__getitem__, frequencies))
                        deque(map(list.append, map(value_lists.__getitem__, frequencies), encoded), maxlen=0)
                    else:
                        deque(map(array.append, map(value_lists.__getitem__, frequencies),
                                  frequencies.values()), maxlen=0)
                    if length and field.scorable:
                        perdoc.add_field(name, field, None, length)
                    continue
                if role == "id":
                    term = value.encode("utf-8")
                elif role == "numeric":
                    term = field.to_bytes(value)
                if role != "stored":
                    ids, weight_arrays, _values = bulk[name]
                    ids[term].append(docnum)
                    weight_arrays[term].append(1.0)
                if field.stored:
                    perdoc.add_field(name, field, value, 0)
                if field.column_type is not None:
                    perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        except BaseException:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self):
        self.perdocwriter.close()
        writer = self.fieldwriter
        writer._postfile.file = _TrackedFile(writer._postfile.file)
        writer._tindex.dbfile.file = _TrackedFile(writer._tindex.dbfile.file)
        blocklimit = BULK_CODEC._blocklimit
        for name in self._field_order:
            if name not in self._bulk or not self._bulk[name][0]:
                continue
            all_ids, all_weights, all_values = self._bulk[name]
            field = self.schema[name]
            value_size = field.format.fixed_value_size()  # 0: none, None: variable (positions), 4: frequency
            writer.start_field(name, field)
            postings = writer._postwriter

            def mini_ids(postings=postings):  # delta-encode in C instead of a generator
                ids = postings._ids
                return tuple(map(sub, ids, chain((0,), ids)))

            postings._mini_ids = mini_ids
            for term in sorted(all_ids):  # str sorts like its UTF-8 bytes
                ids, weights = all_ids[term], all_weights[term]
                btext = term.encode("utf-8") if isinstance(term, str) else term
                writer.start_term(btext)
                count = len(ids)
                if count <= INLINE_LIMIT:
                    # Inline the postings into the term table (what W3's inlinelimit means to do;
                    # its own code path calls a misspelled method, so it is never used).
                    if value_size is None:
                        values = tuple(all_values[term])
                    elif value_size:
                        values = tuple(map(pack_uint, all_values[term]))
                    else:
                        values = (None,) * count
                    postings._ids = ids
                    postings._weights = weights
                    postings._maxweight = max(weights)
                    postings._minlength = None
                    postings._maxlength = 0
                    terminfo = postings._terminfo
                    terminfo.add_block(postings)
                    terminfo.set_inlined(ids, weights, values)
                    postings._terminfo = None
                    writer._tindex.add(pack_ushort(writer._fieldid) + btext, terminfo.to_bytes())
                    continue
                for start in range(0, count, blocklimit):
                    end = min(count, start + blocklimit)
                    postings._ids = ids[start:end]
                    postings._weights = weights[start:end]
                    if value_size is None:
                        postings._values = all_values[term][start:end]
                    elif value_size:
                        frequencies = all_values[term][start:end]
                        if sys.byteorder == "little":
                            frequencies.byteswap()  # pack_uint is big-endian
                        postings._values = [frequencies.tobytes()]
                    else:
                        postings._values = []
                    postings._maxweight = max(postings._weights)
                    postings._minlength = None
                    postings._maxlength = 0
                    if end < count:
                        postings._write_block()
                writer.finish_term()
            writer.finish_field()
            for table in self._bulk[name]:
                table.clear()
        writer.close()


_POSITIONS = Positions()
_SINGLE_POSITIONS: dict[int, bytes] = {}


def _encode_positions(positions: tuple) -> bytes:
    """Positions.encode, with the (most common) one-position values memoized."""
    if len(positions) == 1:
        value = _SINGLE_POSITIONS.get(positions[0])
        if value is None:
            value = _SINGLE_POSITIONS[positions[0]] = _POSITIONS.encode(positions)
        return value
    return _POSITIONS.encode(positions)


def _bulk_worker(path: str, jobs, results, parent_pid: int) -> None:
    """An indexing process of rebuild(): one segment from the documents it takes from ``jobs``."""
    try:
        gc.disable()  # millions of small lists: the cyclic collector would rescan them all, again and again
        ix = open_index(path)
        writer = BulkSegmentWriter(ix, _lk=False)
        while True:
            try:
                chunk = jobs.get(timeout=5)
            except queue.Empty:
                if os.getppid() != parent_pid:  # the rebuild process died
                    os._exit(1)
                continue
            if chunk is None:
                break
            for doc in chunk:
                writer.add_search_document(doc)
        if writer._added:
            segment = writer._finalize_segment()
        else:
            writer._close_segment()
            segment = None
        results.put(("ok", segment))
    except BaseException:
        results.put(("error", traceback.format_exc()))



# --- highlighting ----------------------------------------------------------------------------


class SentinelFormatter(Formatter):
    """Marks matches with MARK_START/MARK_END; render_snippet escapes and turns them into <mark>."""

    between = f" {ELLIPSIS} "

    def format_token(self, text, token, replace=False):
        return f"{MARK_START}{get_text(text, token, replace)}{MARK_END}"

    def format_fragment(self, fragment, replace=False):
        out = super().format_fragment(fragment, replace)
        if fragment.startchar > 0:
            out = f"{ELLIPSIS}{out}"
        if fragment.endchar < len(fragment.text):
            out = f"{out}{ELLIPSIS}"
        return out


def _snap_start(text: str, start: int) -> int:
    """Move ``start`` forward to the beginning of a word."""
    if start <= 0:
        return 0
    while start < len(text) and not text[start - 1].isspace():
        start += 1
    return start


def _snap_end(text: str, end: int) -> int:
    """Move ``end`` back to the end of a word."""
    if end >= len(text):
        return len(text)
    while end > 0 and not text[end].isspace():
        end -= 1
    return end


class WindowFragmenter(Fragmenter):
    """One fragment of at most ``maxchars`` characters around the densest cluster of matches."""

    def __init__(self, maxchars: int = SNIPPET_CHARS):
        self.maxchars = maxchars

    def must_retokenize(self):
        return True

    def fragment_tokens(self, text, tokens):
        matches = [t.copy() for t in tokens if t.matched]
        if not matches:
            return
        width = self.maxchars - 2  # room for the ellipses
        best = (0, 0, 0, 0)  # (distinct terms, matches, i, j)
        j = 0
        for i in range(len(matches)):
            j = max(j, i)
            while j + 1 < len(matches) and matches[j + 1].endchar - matches[i].startchar <= width:
                j += 1
            window = matches[i:j + 1]
            score = (len({m.text for m in window}), len(window))
            if score > best[:2]:
                best = (*score, i, j)
        i, j = best[2], best[3]
        chosen = matches[i:j + 1]
        start, end = chosen[0].startchar, chosen[-1].endchar
        if end - start > width:  # a single enormous token
            end = start + width
        slack = width - (end - start)
        before = min(slack // 3, start)
        new_start = _snap_start(text, start - before) if before else start
        if new_start > start:
            new_start = start
        new_end = min(len(text), end + (width - (end - new_start)))
        new_end = max(end, _snap_end(text, new_end))
        yield Fragment(text, chosen, new_start, new_end)


_TITLE_FRAGMENTER = WholeFragmenter()
_BODY_FRAGMENTER = WindowFragmenter()
_FORMATTER = SentinelFormatter()
_HIGHLIGHT_ANALYZER = VietnameseAnalyzer(fold=True, impacts=False)


def _leading_text(text: str, limit: int = SNIPPET_CHARS) -> str:
    if len(text) <= limit:
        return text
    end = _snap_end(text, limit - 1)
    if end <= 0:
        end = limit - 1
    return text[:end].rstrip() + ELLIPSIS


def highlight_title(title: str, folded_terms: frozenset[str]) -> Markup:
    if not title:
        return Markup("")
    marked = whoosh_highlight(title, folded_terms, _HIGHLIGHT_ANALYZER, _TITLE_FRAGMENTER, _FORMATTER, top=1)
    return render_snippet(marked or title)


def highlight_body(body: str, folded_terms: frozenset[str]) -> Markup:
    marked = ""
    if body and folded_terms:
        marked = whoosh_highlight(body, folded_terms, _HIGHLIGHT_ANALYZER, _BODY_FRAGMENTER, _FORMATTER, top=1)
    return render_snippet(marked or _leading_text(body))


# --- per-process state -------------------------------------------------------------------------


class _ProcessState:
    """The searcher of one index directory in this process (guarded by ``lock``)."""

    def __init__(self):
        self.lock = threading.RLock()
        self.view: _View | None = None
        self.ix = None

    def close(self) -> None:
        with self.lock:
            if self.view is not None:
                self.view.close()
            self.view = None
            self.ix = None


# One state per index directory and process. Bounded: a process normally uses one index;
# tests use many, and each open view keeps file descriptors.
_STATES: OrderedDict[tuple[int, str], _ProcessState] = OrderedDict()
_STATES_LOCK = threading.Lock()
_MAX_STATES = 8


def _state_for(index_dir: Path) -> _ProcessState:
    key = (os.getpid(), str(index_dir))
    evicted = []
    with _STATES_LOCK:
        state = _STATES.get(key)
        if state is None:
            state = _STATES[key] = _ProcessState()
            while len(_STATES) > _MAX_STATES:
                evicted.append(_STATES.popitem(last=False)[1])
        else:
            _STATES.move_to_end(key)
    for old in evicted:
        old.close()  # a backend still holding it reopens on its next call
    return state


@atexit.register
def _close_states() -> None:
    with _STATES_LOCK:
        states = [state for (pid, _), state in _STATES.items() if pid == os.getpid()]
    for state in states:
        state.close()


@contextmanager
def _flock(path: Path, timeout: float):
    """An exclusive flock on ``path`` (released by the kernel if the process dies)."""
    import fcntl

    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusyError(f"{path} is locked") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


# --- the backend ----------------------------------------------------------------------------


class WhooshBackend(SearchBackend):
    """Search over a Whoosh index in ``index_dir`` (see the module docstring)."""

    name = "whoosh"

    def __init__(self, index_dir: str | Path, *, writer_timeout: float = 10.0, procs: int | None = None,
                 limitmb: int = 256, posting_cache_size: int | None = None):
        if posting_cache_size is not None:
            POSTING_CACHE.max_size = posting_cache_size  # one cache per process, shared by indexes
        self.index_dir = Path(index_dir).absolute()
        self.writer_timeout = writer_timeout
        self.procs = procs if procs is not None else min(2, os.cpu_count() or 1)
        self.limitmb = limitmb
        self._state = _state_for(self.index_dir)

    def close(self) -> None:
        """Close this process's searcher on the index (reopened by the next call if any)."""
        self._state.close()

    # Layout ------------------------------------------------------------------------------

    @property
    def _link(self) -> Path:
        return self.index_dir / CURRENT_LINK

    def _current_target(self) -> str | None:
        try:
            return os.readlink(self._link)
        except FileNotFoundError:
            return None

    def _swap_to(self, target: str) -> None:
        tmp = self.index_dir / f".{CURRENT_LINK}.{secrets.token_hex(4)}"
        os.symlink(target, tmp)
        os.replace(tmp, self._link)

    def _new_generation_dir(self) -> Path:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        path = self.index_dir / f"{GENERATION_PREFIX}{stamp}-{secrets.token_hex(3)}"
        path.mkdir(parents=True)
        return path

    def _ensure_index(self) -> None:
        """Create an empty index if there is none (under the rebuild lock)."""
        if self._current_target() is not None:
            return
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with _flock(self.index_dir / REBUILD_LOCK, timeout=max(self.writer_timeout, 30.0)):
            if self._current_target() is not None:
                return
            path = self._new_generation_dir()
            FileStorage(str(path), supports_mmap=False).create_index(build_schema())
            self._swap_to(path.name)

    # Reading -----------------------------------------------------------------------------

    def _view(self) -> _View | None:
        """The current view of the index (refreshed); None if there is no index. Hold the state lock."""
        state = self._state
        for _attempt in range(5):
            target = self._current_target()
            if target is None:
                if state.view is not None:
                    state.view.close()
                    state.view = None
                return None
            view = state.view
            try:
                if view is not None and view.target == target:
                    if state.ix.latest_generation() == view.reader.generation():
                        return view
                    # Not Searcher.refresh(): it reuses the open reader of every segment
                    # whose id did not change, and so misses deletions committed since.
                    ix = state.ix
                else:
                    ix = open_index(self.index_dir / target)
                searcher = ix.searcher()
                try:
                    new_view = _View(searcher, target)
                except BaseException:
                    searcher.close()
                    raise
            except (FileNotFoundError, windex.EmptyIndexError, OSError):
                time.sleep(0.05)  # swapped and deleted under our feet: look again
                continue
            if view is not None:
                view.close()
            state.ix = ix
            state.view = new_view
            return new_view
        raise IndexBusyError(f"cannot open the search index in {self.index_dir}")

    def search(self, query: SearchQuery) -> SearchPage:
        page = max(1, int(query.page or 1))
        per_page = max(1, int(query.per_page or 20))
        parsed = parse_query(query.text)
        if parsed.is_empty:
            return SearchPage(hits=[], total=0, page=page, per_page=per_page)
        with self._state.lock:
            view = self._view()
            if view is None:
                return SearchPage(hits=[], total=0, page=page, per_page=per_page)
            matches = []
            total = 0
            for leaf in view.leaves:
                docs = self._apply_filters(view, leaf, self._match(leaf, parsed), query)
                total += len(docs)
                matches.append((leaf, docs))
            start = (page - 1) * per_page
            if start >= total:
                return SearchPage(hits=[], total=total, page=page, per_page=per_page)
            ranked = self._rank(view, parsed, matches, query.sort, start + per_page)
            stored = [(score, leaf.reader.stored_fields(docnum))
                      for leaf, docnum, score in ranked[start:start + per_page]]
        terms = frozenset(fold_syllable(s) for s in parsed.positive_syllables())
        hits = [
            SearchHit(
                kind=fields["kind"],
                entity_id=int(fields["entity_id"]),
                proposal_id=int(fields["proposal_id"]),
                score=float(score),
                title_snippet=highlight_title(fields.get("title", ""), terms),
                body_snippet=highlight_body(fields.get("body", ""), terms),
            )
            for score, fields in stored
        ]
        return SearchPage(hits=hits, total=total, page=page, per_page=per_page)

    @staticmethod
    def _match(leaf: _Leaf, parsed: ParsedQuery) -> set[int]:
        """Documents of a segment matching the boolean structure (deleted and excluded ones removed)."""
        matched: set[int] = set()
        for clause in parsed.clauses:
            unit_sets = sorted((leaf.unit_docs(unit) for unit in clause.units), key=len)
            if not unit_sets[0]:
                continue
            docs = set(unit_sets[0])
            for other in unit_sets[1:]:
                docs.intersection_update(other)
                if not docs:
                    break
            for unit in clause.excluded:
                if not docs:
                    break
                docs.difference_update(leaf.unit_docs(unit))
            matched |= docs
        if leaf.deleted and matched:
            matched -= leaf.deleted
        return matched

    @staticmethod
    def _apply_filters(view: _View, leaf: _Leaf, docs: set[int], query: SearchQuery) -> set[int]:
        if not docs:
            return docs
        filters = [("visibility", [str(v) for v in query.visibility])]
        if query.forum_id is not None:
            filters.append(("forum_id", [str(query.forum_id)]))
        if query.theme_id is not None:
            filters.append(("theme_id", [str(query.theme_id)]))
        if query.kind:
            filters.append(("kind", [str(query.kind)]))
        if query.status:
            filters.append(("status", [str(query.status)]))
        for fieldname, values in filters:
            docs.intersection_update(leaf.any_of(fieldname, values))
            if not docs:
                return docs
        if query.created_from is not None or query.created_before is not None:
            created = leaf.column("created_at")
            low = view.column_value("created_at", to_micros(query.created_from)) if query.created_from else None
            high = view.column_value("created_at", to_micros(query.created_before)) if query.created_before else None
            if low is not None:
                docs = {d for d in docs if created[d] >= low}
            if high is not None:
                docs = {d for d in docs if created[d] < high}
        return docs

    @staticmethod
    def _scorers(view: _View, leaf: _Leaf, parsed: ParsedQuery) -> list[tuple[dict, float]]:
        """(posting dict, factor) pairs whose weighted sum is a document's relevance."""
        scorers = []
        exact = []
        for syllable in parsed.positive_syllables():
            folded = fold_syllable(syllable)
            scorers.append((leaf.postings("text", folded), view.idf("text", folded) / WEIGHT_SCALE))
            if parsed.has_marks and folded != syllable:
                exact.append(syllable)
        for syllable in exact:
            scorers.append((leaf.postings("text_exact", syllable),
                            EXACT_BOOST * view.idf("text_exact", syllable) / WEIGHT_SCALE))
        for pair in parsed.adjacent:
            scorers.append((leaf.postings("bigrams", pair), PROXIMITY_BOOST * view.idf("bigrams", pair) / WEIGHT_SCALE))
        return [(postings, factor) for postings, factor in scorers if postings]

    def _rank(self, view: _View, parsed: ParsedQuery, matches, sort: str, needed: int):
        """The best ``needed`` matches as (leaf, docnum, score), in the requested order.

        Each segment gives its own best ``needed`` (plus those tied with the last), then
        the lists are merged.
        """
        entries = []  # (primary key, secondary key, leaf index, docnum, score)
        for index, (leaf, docs) in enumerate(matches):
            if not docs:
                continue
            docs = list(docs)
            created = leaf.column("created_at")
            if sort == Sort.NEWEST:
                best = heapq.nlargest(needed, docs, key=created.__getitem__)
                boundary = created[best[-1]]
                chosen = set(best).union(d for d in docs if created[d] == boundary)
                entries += [(created[d], 0, index, d, 0.0) for d in chosen]
            elif sort == Sort.SUPPORTS:
                supports = leaf.column("support_count")
                best = heapq.nlargest(needed, docs, key=lambda d: (supports[d], created[d]))
                entries += [(supports[d], created[d], index, d, 0.0) for d in best]
            else:
                scores = [0.0] * len(docs)
                for postings, factor in self._scorers(view, leaf, parsed):
                    weights = map(postings.get, docs, repeat(0))
                    scores = list(map(add, scores, map(mul, weights, repeat(factor))))
                order = heapq.nlargest(needed, range(len(docs)), key=scores.__getitem__)
                threshold = scores[order[-1]]
                tied = compress(range(len(docs)), map(ge, scores, repeat(threshold)))
                entries += [(scores[i], created[docs[i]], index, docs[i], scores[i]) for i in tied]
        if sort == Sort.NEWEST:
            entries.sort(key=itemgetter(0), reverse=True)
            entries = self._order_ties_by_key(entries[:needed * 2 + 1], matches, needed)
        else:
            entries.sort(key=itemgetter(0, 1), reverse=True)
        return [(matches[e[2]][0], e[3], e[4]) for e in entries[:needed]]

    @staticmethod
    def _order_ties_by_key(entries, matches, needed):
        """Within runs of equal creation times, order by document key (read only for those runs)."""
        result = []
        i = 0
        while i < len(entries) and len(result) < needed:
            j = i + 1
            while j < len(entries) and entries[j][0] == entries[i][0]:
                j += 1
            run = entries[i:j]
            if len(run) > 1:
                run.sort(key=lambda e: matches[e[2]][0].reader.stored_fields(e[3])["key"])
            result += run
            i = j
        return result

    # Similar proposals -----------------------------------------------------------------------

    def similar_proposals(self, title: str, *, visibility: frozenset[str], limit: int = 5,
                          exclude_ids: Iterable[int] = ()) -> list[SimilarProposal]:
        words = list(dict.fromkeys(fold_syllable(s) for s in syllables(clean_query_text(title))))
        words = words[:MAX_QUERY_UNITS]
        if not words or limit <= 0:
            return []
        needed = max(math.ceil(len(words) * 0.5), 2 if len(words) >= 2 else 1)
        exclude_keys = [f"{Kind.PROPOSAL}:{int(i)}" for i in exclude_ids]
        with self._state.lock:
            view = self._view()
            if view is None:
                return []
            idfs = [view.idf("text", w) for w in words]
            scale = 3.0 * (sum(idfs) or 1.0)
            scored = []
            for leaf in view.leaves:
                allowed = set(leaf.docs("kind", Kind.PROPOSAL))
                allowed.intersection_update(leaf.any_of("visibility", [str(v) for v in visibility]))
                allowed -= leaf.deleted
                for key in exclude_keys:
                    allowed.difference_update(leaf.docs("key", key))
                if not allowed:
                    continue
                postings = [leaf.postings("text", w) for w in words]
                counts: Counter = Counter()
                for docs in postings:
                    counts.update(allowed.intersection(docs.keys()))
                for docnum, count in counts.items():
                    if count >= needed:
                        bm25 = sum(p.get(docnum, 0) * idf for p, idf in zip(postings, idfs)) / WEIGHT_SCALE
                        # How many syllables are shared decides; BM25 orders equal counts.
                        scored.append((count + min(bm25 / scale, 0.99), leaf.segid, docnum, leaf))
            best = heapq.nlargest(limit, scored, key=itemgetter(0, 1, 2))
            stored = [(score, leaf.reader.stored_fields(docnum)) for score, _segid, docnum, leaf in best]
        return [SimilarProposal(proposal_id=int(fields["proposal_id"]), score=score) for score, fields in stored]

    # Verification --------------------------------------------------------------------------------

    def indexed_fingerprints(self) -> dict[str, str]:
        with self._state.lock:
            view = self._view()
            if view is None:
                return {}
            return {f["key"]: f["fingerprint"] for f in view.reader.all_stored_fields()}

    # Writing ----------------------------------------------------------------------------------

    @contextmanager
    def _writer(self):
        """A writer on the current index; waits up to writer_timeout for the lock."""
        self._ensure_index()
        deadline = time.monotonic() + self.writer_timeout
        while True:
            target = self._current_target()
            remaining = max(0.0, deadline - time.monotonic())
            try:
                ix = open_index(self.index_dir / target)
                writer = ix.writer(timeout=remaining, delay=0.02)
            except windex.LockError:
                raise IndexBusyError(f"the search index writer lock is busy ({self.index_dir})") from None
            except (FileNotFoundError, windex.EmptyIndexError, TypeError, OSError):
                if time.monotonic() >= deadline:
                    raise IndexBusyError(f"the search index moved while opening it ({self.index_dir})") from None
                time.sleep(0.02)
                continue
            if self._current_target() != target:  # swapped while we waited for the lock
                writer.cancel()
                continue
            break
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        else:
            writer.commit()

    def index_documents(self, documents: Iterable[SearchDocument]) -> None:
        latest: dict[str, SearchDocument] = {}
        for doc in documents:
            latest[doc.key] = doc
        if not latest:
            return
        with self._writer() as writer:
            for doc in latest.values():
                writer.update_document(**document_fields(doc))

    def remove_documents(self, keys: Iterable[str]) -> None:
        keys = list(dict.fromkeys(keys))
        if not keys:
            return
        with self._state.lock:
            view = self._view()
            present = [k for k in keys if view is not None and view.reader.doc_frequency("key", k)]
        if not present:
            return
        with self._writer() as writer:
            for key in present:
                writer.delete_by_term("key", key)

    def rebuild(self, documents: Iterable[SearchDocument], *, total: int,
                progress: Callable[[int], None] | None = None) -> ReindexStats:
        started = time.perf_counter()
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with _flock(self.index_dir / REBUILD_LOCK, timeout=max(self.writer_timeout, 30.0)):
            old_target = self._current_target()
            self._remove_stale_generations(keep={old_target})
            old_lock = None
            if old_target is not None and (self.index_dir / old_target).is_dir():
                # Hold the old index's writer lock for the whole rebuild: incremental
                # updates wait (and are retried later) instead of being lost on the swap.
                old_lock = FileStorage(str(self.index_dir / old_target)).lock(f"{windex._DEF_INDEX_NAME}_WRITELOCK")
                deadline = time.monotonic() + max(self.writer_timeout, 30.0)
                while not old_lock.acquire():
                    if time.monotonic() >= deadline:
                        raise IndexBusyError("an index writer kept the lock; rebuild not started")
                    time.sleep(0.05)
            new_dir = self._new_generation_dir()
            try:
                count, duplicates, procs = self._build(new_dir, documents, total, progress)
                self._swap_to(new_dir.name)
            except BaseException:
                shutil.rmtree(new_dir, ignore_errors=True)
                raise
            finally:
                if old_lock is not None:
                    old_lock.release()
            if old_target is not None:
                shutil.rmtree(self.index_dir / old_target, ignore_errors=True)
        seconds = time.perf_counter() - started
        extra = {"index_dir": str(new_dir), "procs": procs, "duplicates": duplicates,
                 "docs_per_second": round(count / seconds, 1) if seconds else None}
        return ReindexStats(documents=count, seconds=seconds, extra=extra)

    def _build(self, path: Path, documents, total: int, progress) -> tuple[int, int, int]:
        """Write ``documents`` into a new index in ``path``: (documents, duplicates skipped, processes)."""
        ix = FileStorage(str(path), supports_mmap=False).create_index(build_schema())
        procs = self.procs if total >= 2_000 else 1
        count = duplicates = 0
        seen: set[str] = set()

        def unique(documents):
            nonlocal count, duplicates
            for doc in documents:
                if doc.key in seen:
                    duplicates += 1
                    continue
                seen.add(doc.key)
                count += 1
                yield doc
                if progress is not None and count % BULK_CHUNK == 0:
                    progress(count)

        if procs <= 1:
            writer = BulkSegmentWriter(ix, limitmb=self.limitmb)
            collecting = gc.isenabled()
            gc.disable()
            try:
                for doc in unique(documents):
                    writer.add_search_document(doc)
                writer.commit(merge=False)
            except BaseException:
                writer.cancel()
                raise
            finally:
                if collecting:
                    gc.enable()
        else:
            self._build_in_processes(ix, path, unique(documents), procs)
        if progress is not None:
            progress(count)
        return count, duplicates, procs

    @staticmethod
    def _build_in_processes(ix, path: Path, documents, procs: int) -> None:
        """Index ``documents`` with ``procs`` processes, one segment each, then commit them together."""
        parent = ix.writer()  # the new index's lock, and its TOC writer
        context = multiprocessing.get_context("fork")
        jobs = context.Queue(maxsize=procs * 4)
        results = context.Queue()
        workers = [context.Process(target=_bulk_worker, args=(str(path), jobs, results, os.getpid()), daemon=True)
                   for _ in range(procs)]
        for worker in workers:
            worker.start()

        def failure() -> RuntimeError:
            try:
                status, payload = results.get(timeout=1)
                if status != "ok":
                    return RuntimeError(f"an indexing process failed:\n{payload}")
            except queue.Empty:
                pass
            return RuntimeError("an indexing process died during the rebuild")

        def put(item):
            while True:
                try:
                    jobs.put(item, timeout=1)
                    return
                except queue.Full:
                    if not all(w.is_alive() for w in workers):
                        raise failure() from None

        try:
            chunk: list[SearchDocument] = []
            for doc in documents:
                chunk.append(doc)
                if len(chunk) >= BULK_CHUNK:
                    put(chunk)
                    chunk = []
            if chunk:
                put(chunk)
            for _ in workers:
                put(None)
            segments = []
            for _ in workers:
                while True:
                    try:
                        status, payload = results.get(timeout=1)
                        break
                    except queue.Empty:
                        if not any(w.is_alive() for w in workers) and results.empty():
                            raise RuntimeError("an indexing process died during the rebuild") from None
                if status != "ok":
                    raise RuntimeError(f"an indexing process failed:\n{payload}")
                if payload is not None:
                    segments.append(payload)
            for worker in workers:
                worker.join()
        except BaseException:
            for worker in workers:
                if worker.is_alive():
                    worker.kill()
                worker.join()
            # Nobody will read what is still buffered: without this, the queue's feeder
            # thread blocks on the full pipe and the process hangs when it exits.
            jobs.cancel_join_thread()
            results.cancel_join_thread()
            parent.cancel()
            raise
        finally:
            jobs.close()
            results.close()
        parent._close_segment()
        parent._commit_toc(segments)
        parent._finish()

    def _remove_stale_generations(self, keep: set) -> None:
        """Delete leftovers of interrupted rebuilds (called under the rebuild lock)."""
        for entry in self.index_dir.iterdir():
            if entry.name.startswith(GENERATION_PREFIX) and entry.name not in keep and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            elif entry.name.startswith(f".{CURRENT_LINK}.") and entry.is_symlink():
                entry.unlink(missing_ok=True)
