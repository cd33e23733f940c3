"""Reading a Whoosh index term-at-a-time: segment views, the posting cache, and the
translation of a ``query.ParsedQuery`` into matching and ranking.

Posting lists are read in bulk from the segments and decoded once per (immutable) segment
into ``POSTING_CACHE`` (one cache per process, shared by every index and every module);
a query is then evaluated with set operations for AND/OR/NOT and filters, one segment at a
time, and scored as a sum of ``idf × stored BM25 impact``. ``WhooshBackend`` holds the
locks and decides which view is current; everything here works on a given view.
"""
from __future__ import annotations

import heapq
import logging
import math
import pickle
import re
import struct
import sys
import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterable
from itertools import accumulate, compress, repeat
from operator import add, ge, itemgetter, mul

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.reading import TermNotFound

from forum.search.backend import SearchQuery, Sort
from forum.search.query import SYLLABLE, ParsedQuery, Unit, fold_syllable, nfc, old_style_tones
from forum.search.whoosh.schema import to_micros

log = logging.getLogger(__name__)

# Scoring: score = Σ idf·weight over the folded syllables
#               + EXACT_BOOST · Σ idf·weight over exact syllables (queries with diacritics)
#               + PROXIMITY_BOOST · Σ idf·weight over adjacent query syllable pairs;
# and before the score, in relevance order, the phrase: a document holding every adjacent
# pair of an alternative of several words (folded) comes before one holding the words
# apart, whatever the field (scattered title words never outrank a phrase in a body).
EXACT_BOOST = 2.0
PROXIMITY_BOOST = 1.5
# For a query with diacritics, the best RERANK_WINDOW documents of that order are then
# ordered by what their stored text holds as typed (see ``AsTyped``); the rest keep the
# order, so pages stay consistent.
RERANK_WINDOW = 30
# Added to the order's key of a document holding the phrase: above any score (a few
# thousand at most: idf below 12, impacts below 2.2, boosts 4.5 together, 24 units).
PHRASE_TIER = 1e6

WEIGHT_SCALE = 100.0  # cached posting weights are integers: impact × 100 (impacts are below 2.2)


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


def read_postings(segreader, fieldname: str, term: str, docnums: list[int]) -> dict[int, int]:
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
    if not wanted:
        return result
    lowest, highest = min(wanted), max(wanted)
    for ids, _weights, values in _blocks(segreader, fieldname, term):
        if ids and (ids[0] > highest or ids[-1] < lowest):
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


class Leaf:
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
        return self._cached((fieldname, term), lambda: read_postings(self.reader, fieldname, term, self.docnums))

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
        pairs = unit.pairs
        if len(pairs) == 1:
            return self.docs("bigrams", pairs[0])
        return self._cached(("#phrase", folded), lambda: self._phrase_docs(pairs))

    def pairs_docs(self, unit: Unit) -> set[int]:
        """Documents holding every pair of the unit's adjacent syllables (folded): the
        phrase, nearly always, read from posting lists alone (no positions: those of a
        common pair cost a decoding of its whole list)."""
        pairs = sorted(set(unit.pairs), key=lambda p: len(self.postings("bigrams", p)))
        if not pairs:
            return set()
        found = set(self.docs("bigrams", pairs[0]))
        for pair in pairs[1:]:
            found.intersection_update(self.docs("bigrams", pair))
        return found

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


class View:
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
            self.leaves.append(Leaf(segreader, segid))
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


# --- matching and ranking ------------------------------------------------------------------


def match_documents(leaf: Leaf, parsed: ParsedQuery) -> set[int]:
    """Documents of a segment matching the boolean structure (deleted and excluded ones removed)."""
    matched: set[int] = set()
    for alternative in parsed.alternatives:
        unit_sets = sorted((leaf.unit_docs(unit) for unit in alternative), key=len)
        if not unit_sets[0]:
            continue
        docs = set(unit_sets[0])
        for other in unit_sets[1:]:
            docs.intersection_update(other)
            if not docs:
                break
        matched |= docs
    for unit in parsed.excluded:
        if not matched:
            break
        matched.difference_update(leaf.unit_docs(unit))
    if leaf.deleted and matched:
        matched -= leaf.deleted
    return matched


def apply_filters(view: View, leaf: Leaf, docs: set[int], query: SearchQuery) -> set[int]:
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


def _scorers(view: View, leaf: Leaf, parsed: ParsedQuery) -> list[tuple[dict, float]]:
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


_VARIANTS = {"a": "aàáảãạăằắẳẵặâầấẩẫậ", "d": "dđ", "e": "eèéẻẽẹêềếểễệ", "i": "iìíỉĩị",
             "o": "oòóỏõọôồốổỗộơờớởỡợ", "u": "uùúủũụưừứửữự", "y": "yỳýỷỹỵ"}


def _pattern(syllable: str, *, as_typed: bool) -> str:
    """A syllable as typed, or any spelling of its folded form."""
    if as_typed:
        return re.escape(syllable)
    return "".join(f"[{_VARIANTS[c]}]" if c in _VARIANTS else re.escape(c) for c in fold_syllable(syllable))


class AsTyped:
    """What a document's text holds of a query with diacritics, as typed (tone placement
    aside: hoà is hòa), from the best to the least (compared as tuples, per alternative):
    the words side by side exactly as typed ("ca đêm", not "cả đêm"); every syllable typed
    with diacritics; the words side by side with those as typed and the others in any
    spelling ("cong đoạn" finds công đoạn, not công đoàn … đoạn); every syllable typed
    without diacritics, without (ca, not cả: last, since in "bữa an giữa ca" the marks of
    "an" were left out, not meant). The index keeps no positions of syllables as typed, so
    these are read from the stored title and body of the few documents at the top.
    """

    def __init__(self, parsed: ParsedQuery):
        self.alternatives = []
        for alternative in parsed.alternatives:
            typed = [old_style_tones(syllable) for unit in alternative for syllable in unit.syllables]
            marked = frozenset(s for s in typed if fold_syllable(s) != s)
            plain = frozenset(s for s in typed if fold_syllable(s) == s)
            strict = re.compile(r"(?<!\w)" + r"\W+".join(_pattern(s, as_typed=True) for s in typed) + r"(?!\w)")
            mixed = re.compile(r"(?<!\w)" + r"\W+".join(_pattern(s, as_typed=s in marked) for s in typed)
                               + r"(?!\w)")
            self.alternatives.append((strict, mixed, marked, plain))

    def tiers(self, title: str, body: str) -> tuple[bool, bool, bool, bool]:
        texts = [old_style_tones(nfc(text).lower()) for text in (title, body) if text]
        present = set().union(*(SYLLABLE.findall(text) for text in texts)) if texts else set()
        best = (False, False, False, False)
        for strict, mixed, marked, plain in self.alternatives:
            has_marked, has_plain = marked <= present, plain <= present
            # A phrase is looked for only where its syllables are (the searches are the cost).
            as_typed = has_marked and has_plain and any(strict.search(text) for text in texts)
            mixed_found = has_marked and any(mixed.search(text) for text in texts)
            best = max(best, (as_typed, has_marked, mixed_found, has_plain))
        return best


def _rerank_as_typed(entries: list, matches, parsed: ParsedQuery) -> list:
    """The top RERANK_WINDOW entries (already in order) reordered by ``AsTyped`` tiers;
    stable, so equal tiers keep the engine's order."""
    window = entries[:RERANK_WINDOW]
    judge = AsTyped(parsed)

    def tiers(entry):
        fields = matches[entry[2]][0].reader.stored_fields(entry[3])
        return judge.tiers(fields.get("title", ""), fields.get("body", ""))

    ranked = sorted(window, key=tiers, reverse=True)
    return ranked + entries[RERANK_WINDOW:]


def _whole_phrases(parsed: ParsedQuery) -> list[Unit]:
    """Each alternative of several words as one phrase (a single word or quoted phrase
    already is one: every match holds it)."""
    return [Unit(tuple(syllable for unit in alternative for syllable in unit.syllables))
            for alternative in parsed.alternatives if len(alternative) > 1]


def rank(view: View, parsed: ParsedQuery, matches, sort: str, needed: int, counts: dict[str, int] | None = None):
    """The best ``needed`` matches as (leaf, docnum, score), in the requested order.

    ``counts``: support counts newer than the index's, by document key.

    Each segment gives its own best ``needed`` (plus those tied with the last), then
    the lists are merged.
    """
    entries = []  # (primary key, secondary key, leaf index, docnum, score)
    relevance = sort not in (Sort.NEWEST, Sort.SUPPORTS)
    phrases = _whole_phrases(parsed) if relevance else []
    as_typed = relevance and parsed.has_marks
    asked, needed = needed, max(needed, RERANK_WINDOW) if as_typed else needed
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
            if counts:
                newer = {docnum: view.column_value("support_count", count)
                         for key, count in counts.items() for docnum in leaf.docs("key", key)}
                supports = [newer.get(docnum, count) for docnum, count in enumerate(supports)] if newer else supports
            best = heapq.nlargest(needed, docs, key=lambda d: (supports[d], created[d]))
            entries += [(supports[d], created[d], index, d, 0.0) for d in best]
        else:
            scores = [0.0] * len(docs)
            for postings, factor in _scorers(view, leaf, parsed):
                weights = map(postings.get, docs, repeat(0))
                scores = list(map(add, scores, map(mul, weights, repeat(factor))))
            keys = scores
            if phrases:
                phrased = set().union(*(leaf.pairs_docs(phrase) for phrase in phrases))
                keys = [score + PHRASE_TIER if docnum in phrased else score for docnum, score in zip(docs, scores)]
            order = heapq.nlargest(needed, range(len(docs)), key=keys.__getitem__)
            threshold = keys[order[-1]]
            tied = compress(range(len(docs)), map(ge, keys, repeat(threshold)))
            entries += [(keys[i], created[docs[i]], index, docs[i], scores[i]) for i in tied]
    if sort == Sort.NEWEST:
        entries.sort(key=itemgetter(0), reverse=True)
        entries = _order_ties_by_key(entries[:needed * 2 + 1], matches, needed)
    else:
        entries.sort(key=itemgetter(0, 1), reverse=True)
        if as_typed:
            entries = _rerank_as_typed(entries[:needed], matches, parsed)
    return [(matches[e[2]][0], e[3], e[4]) for e in entries[:asked]]


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
