"""Typo tolerance for both engines: "doan vein nu" finds "đoàn viên nữ".

A query syllable is a typo candidate when it cannot be a Vietnamese syllable (an onset
and a rhyme of the language, diacritics folded) and the index does not know it either
("online", "zalo" and other borrowed words are left alone as long as someone wrote
them). Its corrections are the Vietnamese syllables one slip away: two letters swapped
("vein"), one missing ("ngoi"), one doubled or extra ("ddoan", Telex's "nguoif") —
Damerau–Levenshtein distance 1 without substitutions, which would add hundreds of
candidates for little gain. Among them the index decides: the correction whose pair
with a neighbouring query syllable occurs in the most documents ("doan vien"), else the
one in the most documents. Counts come from the engine (``SearchBackend.document_counts``),
so both engines correct alike.

``search_tolerating_typos`` runs a search and, when the query has a correction: with no
result at all it shows the corrected query's results (saying so: exact and folded
matches always come first, since there are none), otherwise it offers the corrected
query as "Có phải bạn muốn tìm: …?".
"""
from __future__ import annotations

import dataclasses
import re
import string

from forum.search.backend import SearchBackend, SearchPage, SearchQuery
from forum.search.query import SYLLABLE, clean_query_text, fold_syllable, is_abbreviation, nfc

# Onsets, longest first (folded: đ is d), and the rhymes of Vietnamese, folded (ă/â → a,
# ê → e, ô/ơ → o, ư → u). A little more than the language allows is harmless: an
# invented syllable that nobody wrote is never chosen, the index counts are zero.
ONSETS = ("ngh", "ng", "gh", "gi", "kh", "ch", "nh", "ph", "th", "tr", "qu",
          "b", "c", "d", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "")
_OPEN_RHYMES = ("a", "e", "i", "o", "u", "y", "ia", "ua", "oa", "oe", "ue", "uy", "uya",
                "ai", "ay", "ao", "au", "eo", "eu", "iu", "oi", "ui", "uu", "oai", "oay", "oao", "uai",
                "uay", "uoi", "uou", "ieu", "yeu", "uyu", "oeo", "ue")
_CLOSED_NUCLEI = {
    "a": ("m", "n", "ng", "nh", "p", "t", "c", "ch"),
    "e": ("m", "n", "ng", "nh", "p", "t", "c", "ch"),
    "i": ("m", "n", "nh", "p", "t", "ch", "c"),
    "o": ("m", "n", "ng", "p", "t", "c"),
    "oo": ("ng", "c"),
    "u": ("m", "n", "ng", "p", "t", "c"),
    "ie": ("m", "n", "ng", "p", "t", "c"),
    "ye": ("m", "n", "ng", "p", "t"),
    "uo": ("m", "n", "ng", "p", "t", "c"),
    "oa": ("m", "n", "ng", "nh", "p", "t", "c", "ch"),
    "oe": ("n", "t"),
    "ue": ("nh", "ch", "n"),
    "ua": ("n", "ng", "t"),
    "uy": ("n", "nh", "t", "ch"),
    "uye": ("n", "t"),
}
RHYMES = frozenset(_OPEN_RHYMES) | frozenset(
    nucleus + coda for nucleus, codas in _CLOSED_NUCLEI.items() for coda in codas
)
_LETTERS = string.ascii_lowercase
MAX_SYLLABLE_LENGTH = 8  # "nghieng" is 7; longer words are not Vietnamese syllables anyway
MAX_CHECKED_SYLLABLES = 12  # a longer query is checked on its first syllables
MAX_CORRECTED_SYLLABLES = 4  # typos corrected per query (each costs a few candidates' counts)


def is_vietnamese_syllable(folded: str) -> bool:
    """Whether a folded lowercase syllable is an onset followed by a rhyme of Vietnamese."""
    if not folded.isascii() or not folded.isalpha() or len(folded) > MAX_SYLLABLE_LENGTH:
        return False
    return any(folded.startswith(onset) and folded[len(onset):] in RHYMES for onset in ONSETS)


def slips_from(folded: str) -> list[str]:
    """The Vietnamese syllables one slip away from ``folded``: two neighbouring letters
    swapped back, a missing letter put in, a doubled or extra letter taken out."""
    edits = set()
    for index in range(len(folded)):
        edits.add(folded[:index] + folded[index + 1:])
        if index + 1 < len(folded):
            edits.add(folded[:index] + folded[index + 1] + folded[index] + folded[index + 2:])
    for index in range(len(folded) + 1):
        for letter in _LETTERS:
            edits.add(folded[:index] + letter + folded[index:])
    edits.discard(folded)
    return sorted(edit for edit in edits if edit and is_vietnamese_syllable(edit))


def query_syllables(text: str) -> list[str]:
    """The folded lowercase syllables of the query as typed, in order (not the OR operator)."""
    return [fold_syllable(token.lower()) for token in SYLLABLE.findall(nfc(clean_query_text(text)))
            if token != "OR"]


def correct_query(backend: SearchBackend, text: str, *, found_nothing: bool) -> str | None:
    """``text`` with its typos corrected, or None when there is nothing to correct.

    Suspects: the syllables that cannot be Vietnamese; failing those, when the query
    ``found_nothing``, the syllables next to a pair of query syllables that no document
    has side by side ("ngoi lao dong": "ngồi" is a word, "ngoi lao" is nobody's). A
    suspect is replaced by the slip of it with the most documents holding it next to its
    neighbours (then holding it at all), when that beats the syllable as typed; a real
    syllable is replaced only on the evidence of such a pair.
    """
    sequence = query_syllables(text)[:MAX_CHECKED_SYLLABLES]
    checkable = [index for index, syllable in enumerate(sequence)
                 if not syllable.isdigit() and not is_abbreviation(syllable)]
    suspects = {index for index in checkable if not is_vietnamese_syllable(sequence[index])}
    own_pairs = {index: _neighbour_pairs(sequence, index, sequence[index]) for index in checkable}
    if not suspects and not found_nothing:
        return None
    own_counts, own_pair_counts = backend.document_counts(
        sorted({sequence[index] for index in checkable}),
        sorted({pair for pairs in own_pairs.values() for pair in pairs}),
    )
    if not suspects:
        suspects = {index for index in checkable
                    if any(own_pair_counts.get(pair, 0) == 0 for pair in own_pairs[index])}
    suspects = sorted(suspects)[:MAX_CORRECTED_SYLLABLES]
    candidates = {index: slips_from(sequence[index]) for index in suspects}
    candidate_pairs = {index: {candidate: _neighbour_pairs(sequence, index, candidate) for candidate in found}
                       for index, found in candidates.items()}
    syllable_counts, pair_counts = backend.document_counts(
        sorted({candidate for found in candidates.values() for candidate in found}),
        sorted({pair for by_candidate in candidate_pairs.values() for pairs in by_candidate.values()
                for pair in pairs}),
    )
    corrections = {}
    for index, found in candidates.items():
        typed = sequence[index]
        as_typed = (sum(own_pair_counts.get(pair, 0) for pair in own_pairs[index]), own_counts.get(typed, 0))
        best = max(((sum(pair_counts.get(pair, 0) for pair in candidate_pairs[index][candidate]),
                     syllable_counts.get(candidate, 0), candidate) for candidate in found), default=None)
        if best is None or best[1] == 0 or best[:2] <= as_typed:
            continue
        if is_vietnamese_syllable(typed) and best[0] == 0:
            continue
        corrections[typed] = best[2]
    if not corrections:
        return None
    return apply_corrections(text, corrections)


def _neighbour_pairs(sequence: list[str], index: int, syllable: str) -> list[str]:
    """The pairs ``syllable`` makes at ``index`` with the query syllables before and after it."""
    pairs = []
    if index > 0:
        pairs.append(f"{sequence[index - 1]} {syllable}")
    if index + 1 < len(sequence):
        pairs.append(f"{syllable} {sequence[index + 1]}")
    return pairs


def apply_corrections(text: str, corrections: dict[str, str]) -> str:
    """``text`` with each syllable whose fold is a typo replaced by its correction; the
    rest (quotes, OR, minus signs, other words) stays as typed."""
    def replace(match: re.Match) -> str:
        return corrections.get(fold_syllable(match.group(0).lower()), match.group(0))

    return SYLLABLE.sub(replace, nfc(clean_query_text(text)))


@dataclasses.dataclass(frozen=True)
class TolerantPage:
    """A page of results, and what the spelling check made of the query: ``corrected``
    when the page shows the results of the corrected query (the typed one found
    nothing), ``suggestion`` when the typed query's results are shown and a corrected
    one is offered."""

    page: SearchPage
    corrected: str | None = None
    suggestion: str | None = None


def search_tolerating_typos(backend: SearchBackend, query: SearchQuery) -> TolerantPage:
    """The search, corrected when the typed query finds nothing and has typos. A
    correction is offered only when it finds something this user may see (the counts
    that chose it include documents they may not)."""
    page = backend.search(query)
    correction = correct_query(backend, query.text, found_nothing=not page.total)
    if correction is None:
        return TolerantPage(page)
    if page.total:  # a suggestion: whether it finds anything is all that is asked
        found = backend.search(dataclasses.replace(query, text=correction, page=1, per_page=1)).total
        return TolerantPage(page, suggestion=correction) if found else TolerantPage(page)
    corrected = backend.search(dataclasses.replace(query, text=correction))
    return TolerantPage(corrected, corrected=correction) if corrected.total else TolerantPage(page)
