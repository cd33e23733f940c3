"""Vietnamese text analysis for the Whoosh engine (the text model itself, syllables and
folding, is in ``query.py``, shared with the PostgreSQL engine).

KEEP THIS IMPORT PATH STABLE: Whoosh pickles the analyzer objects into every index's
table of contents, so moving or renaming these classes makes existing indexes
unreadable (fix: ``flask search reindex``).

Vietnamese is written in syllables separated by spaces, so a token is a syllable:
NFC-normalise (``\\w`` does not match the combining marks of NFD text), split on
``\\w+``, lowercase. No stemming (syllables do not inflect) and no stop words at index
time (generic lists drop *người*, *cơ*, *ý*…).

Two families of analyzers live here:

* the composable ones from the research note (``NFCTokenizer | LowercaseFilter |
  FoldFilter``, plus ``SyllableBigramFilter``), readable and used as the reference in
  tests;
* ``VietnameseAnalyzer``, one fused class producing exactly the same tokens in a single
  pass, used by the index schema because it is several times faster, and because it
  can turn token boosts into BM25 "impacts" at index time (see its docstring).
"""
from __future__ import annotations

from collections import Counter
from itertools import compress
from operator import ne

from whoosh.analysis import Analyzer, Filter, LowercaseFilter, RegexTokenizer, Token, Tokenizer

from forum.search.query import SYLLABLE, SYLLABLE_PATTERN, fold_cache_get, fold_syllable, nfc

# Separates the title from the body in combined fields. A control character:
# forum.core.text.normalize_text strips these from every stored text.
FIELD_SEPARATOR = "\x1e"


# --- Composable analyzers (the research note's design) -------------------------------


class NFCTokenizer(Tokenizer):
    """``\\w+`` tokens of the NFC form of the text; character offsets refer to that form.

    A FIELD_SEPARATOR in the text adds a gap of one position, so phrases and bigrams
    never span the title and the body.
    """

    def __init__(self, expression: str = SYLLABLE_PATTERN):
        self.inner = RegexTokenizer(expression=expression, gaps=False)

    def __eq__(self, other):
        return type(self) is type(other) and self.inner == other.inner

    def __hash__(self):
        return hash((type(self), self.inner.expression.pattern))

    def __call__(self, value, positions=False, chars=False, start_pos=0, start_char=0, **kwargs):
        value = nfc(value)
        pos = start_pos
        offset = 0
        for part in value.split(FIELD_SEPARATOR):
            for token in self.inner(part, positions=positions, chars=chars, start_pos=pos,
                                    start_char=start_char + offset, **kwargs):
                if positions:
                    pos = token.pos + 1
                yield token
            pos += 1
            offset += len(part) + 1


class FoldFilter(Filter):
    """Remove Vietnamese diacritics from token text; startchar/endchar still point at the original."""

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __call__(self, tokens):
        for token in tokens:
            token.text = fold_syllable(token.text)
            yield token


class SyllableBigramFilter(Filter):
    """Replace the syllable stream by adjacent pairs: 'cong doan co so' → 'cong doan', 'doan co', 'co so'.

    A pair's position is its first syllable's, so a phrase of n syllables is n-1 pairs at
    consecutive positions. Pairs never join tokens separated by a gap in positions.
    """

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __call__(self, tokens):
        previous = None  # (text, pos, startchar)
        for token in tokens:
            pos = getattr(token, "pos", None)
            current = (token.text, pos, getattr(token, "startchar", None))
            if previous is not None and (pos is None or previous[1] is None or pos == previous[1] + 1):
                token.text = f"{previous[0]} {current[0]}"
                if pos is not None:
                    token.pos = previous[1]
                if current[2] is not None:
                    token.startchar = previous[2]
                previous = current
                yield token
            else:
                previous = current


def vi_exact_analyzer():
    """NFC → syllables → lowercase."""
    return NFCTokenizer() | LowercaseFilter()


def vi_fold_analyzer():
    """NFC → syllables → lowercase → fold diacritics."""
    return NFCTokenizer() | LowercaseFilter() | FoldFilter()


def vi_bigram_analyzer():
    """Folded syllable pairs (for phrases and adjacency)."""
    return NFCTokenizer() | LowercaseFilter() | FoldFilter() | SyllableBigramFilter()


# --- The fused analyzer used by the index ------------------------------------------------


def _syllable_parts(value: str, with_chars: bool):
    """[(weight index, [(lower, folded, startchar, endchar), ...]), ...] for each FIELD_SEPARATOR part.

    Character offsets (only ``with_chars``) refer to ``value``, which must already be NFC.
    """
    fold_fn = fold_syllable
    parts = []
    offset = 0
    for part in value.split(FIELD_SEPARATOR):
        if with_chars:
            items = []
            for m in SYLLABLE.finditer(part):
                lower = m.group().lower()
                items.append((lower, fold_fn(lower), offset + m.start(), offset + m.end()))
        else:
            items = [(lower, fold_fn(lower), None, None) for lower in map(str.lower, SYLLABLE.findall(part))]
        parts.append(items)
        offset += len(part) + 1
    return parts


class VietnameseAnalyzer(Analyzer):
    """One-pass Vietnamese analyzer; the same tokens as the composable chains above.

    ``fold``: fold diacritics (the "folded" fields). ``marked_only``: keep only the tokens
    that carry diacritics (the exact-diacritic field: a query syllable without marks is
    answered by the folded field alone). ``bigrams``: emit adjacent syllable pairs.

    ``impacts``: when the indexer asks for token boosts, set them so that the posting
    weight Whoosh stores (the sum of a term's token boosts) is the term's BM25 impact in
    this document: ``tf·(k1+1) / (tf + k1·(1-b+b·len/avg_length))``, where title tokens
    count ``title_weight`` times (the title comes before FIELD_SEPARATOR) and ``len`` is
    the number of syllables. Searching then only multiplies stored weights by idf,
    without reading document lengths.
    """

    def __init__(self, *, fold: bool = True, marked_only: bool = False, bigrams: bool = False,
                 impacts: bool = True, title_weight: float = 2.5, k1: float = 1.2, b: float = 0.5,
                 avg_length: float = 60.0):
        self.fold = fold
        self.marked_only = marked_only
        self.bigrams = bigrams
        self.impacts = impacts
        self.title_weight = title_weight
        self.k1 = k1
        self.b = b
        self.avg_length = avg_length

    def __eq__(self, other):
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self):
        return hash((type(self), tuple(sorted(self.__dict__.items()))))

    def __repr__(self):
        options = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({options})"

    def emitted(self, parts):
        """(text, pos, startchar, endchar, weight) of every token this analyzer emits, and the syllable count."""
        out = []
        pos = 0
        weighted_title = len(parts) > 1
        total = 0
        for index, items in enumerate(parts):
            weight = self.title_weight if (weighted_title and index == 0) else 1.0
            total += len(items)
            if self.bigrams:
                for i in range(1, len(items)):
                    first, second = items[i - 1], items[i]
                    out.append((f"{first[1]} {second[1]}", pos + i - 1, first[2], second[3], weight))
            elif self.marked_only:
                out += [(it[0], pos + i, it[2], it[3], weight) for i, it in enumerate(items) if it[0] != it[1]]
            elif self.fold:
                out += [(it[1], pos + i, it[2], it[3], weight) for i, it in enumerate(items)]
            else:
                out += [(it[0], pos + i, it[2], it[3], weight) for i, it in enumerate(items)]
            pos += len(items) + 1  # a gap between title and body
        return out, total

    def impact(self, weighted_tf: float, total_syllables: int) -> float:
        """The BM25 term-frequency component stored as a posting's weight."""
        k1 = self.k1
        norm = k1 * (1.0 - self.b + self.b * total_syllables / self.avg_length)
        return weighted_tf * (k1 + 1.0) / (weighted_tf + norm)

    def _impact_boosts(self, tokens, total_syllables: int) -> list[float]:
        tf: Counter = Counter()
        for text, _pos, _start, _end, weight in tokens:
            tf[text] += weight
        per_unit = {text: self.impact(f, total_syllables) / f for text, f in tf.items()}
        return [per_unit[t[0]] * t[4] for t in tokens]

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", boosts=False, **kwargs):
        if not tokenize:
            # Whoosh asks to treat the value as one token (never happens with our fields).
            token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
            token.text = value
            token.boost = 1.0
            if keeporiginal:
                token.original = value
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        value = nfc(value)
        tokens, total = self.emitted(_syllable_parts(value, chars))
        token_boosts = self._impact_boosts(tokens, total) if (boosts and self.impacts) else None
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for index, (text, pos, start, end, _weight) in enumerate(tokens):
            token.text = text
            token.stopped = False
            token.boost = token_boosts[index] if token_boosts is not None else 1.0
            if keeporiginal:
                token.original = value[start:end] if chars else text
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def _pair(first: str, second: str) -> str:
    return f"{first} {second}"


def index_terms(value: str, analyzers: dict[str, VietnameseAnalyzer]):
    """Index-time terms of ``value`` for several VietnameseAnalyzer fields, tokenizing once.

    Returns ``{field: (token count, frequencies, weights, positions)}``, three dicts keyed
    by term: exactly what the field's analyzer makes Whoosh index (a weight is the
    impact, the sum of the token boosts), so the bulk writer can skip the per-token
    machinery. Positions (tuples) are given for the bigram fields only, the only
    positional ones; else None.
    """
    fold_get = fold_cache_get
    lowers_parts = []
    folded_parts = []
    for part in nfc(value).split(FIELD_SEPARATOR):
        lowers = list(map(str.lower, SYLLABLE.findall(part)))
        folded = list(map(fold_get, lowers))
        if None in folded:
            folded = [f if f is not None else fold_syllable(s) for s, f in zip(lowers, folded)]
        lowers_parts.append(lowers)
        folded_parts.append(folded)
    total = sum(map(len, lowers_parts))
    weighted_title = len(lowers_parts) > 1
    result = {}
    for fieldname, analyzer in analyzers.items():
        count = 0
        pos = 0
        freq: dict[str, int] = {}
        weighted: dict[str, float] = {}
        positions: dict[str, tuple] | None = {} if analyzer.bigrams else None
        for index, (lowers, folded) in enumerate(zip(lowers_parts, folded_parts)):
            weight = analyzer.title_weight if (weighted_title and index == 0) else 1.0
            if analyzer.bigrams:
                sequence = list(map(_pair, folded[:-1], folded[1:]))
            elif analyzer.marked_only:
                sequence = list(compress(lowers, map(ne, lowers, folded)))
            else:
                sequence = folded if analyzer.fold else lowers
            start = pos
            pos += len(lowers) + 1
            if not sequence:
                continue
            count += len(sequence)
            part_freq = Counter(sequence)
            if positions is not None:
                if len(part_freq) == len(sequence):  # no repeated pair: one position each, built in C
                    found = dict(zip(sequence, zip(range(start, start + len(sequence)))))
                else:
                    lists: dict[str, list[int]] = {}
                    for i, term in enumerate(sequence, start):
                        lists.setdefault(term, []).append(i)
                    found = {term: tuple(where) for term, where in lists.items()}
                if positions:
                    for term, where in found.items():
                        positions[term] = positions[term] + where if term in positions else where
                else:
                    positions = found
            if not freq:
                freq = part_freq
                weighted = {t: f * weight for t, f in part_freq.items()} if weight != 1.0 else dict(part_freq)
            else:
                for term, f in part_freq.items():
                    freq[term] = freq.get(term, 0) + f
                    weighted[term] = weighted.get(term, 0.0) + f * weight
        if analyzer.impacts:
            k1 = analyzer.k1
            norm = k1 * (1.0 - analyzer.b + analyzer.b * total / analyzer.avg_length)
            weights = {t: w * (k1 + 1.0) / (w + norm) for t, w in weighted.items()}
        else:
            weights = {t: float(f) for t, f in freq.items()}
        result[fieldname] = (count, freq, weights, positions)
    return result
