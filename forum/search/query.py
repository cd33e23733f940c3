"""The query language of search, one for both engines.

User text becomes a ``ParsedQuery`` here, and only here; each engine translates that
structure into its own operations (``whoosh/reading.py``: posting-list sets;
``postgres/tsquery.py``: tsquery expressions with every piece of text bound as a
parameter). Nothing the user types ever reaches an engine's own syntax.

The language: literal words; ``"quoted phrases"`` (an unclosed quote runs to the end);
``OR`` between two items (binds looser than the implicit AND); ``-word`` / ``-"phrase"``
exclusions, which apply to the whole query. A word made of several syllables
(``công-đoàn``, ``hidden:true``) is a phrase of them, as in websearch_to_tsquery. Every
other character is literal text of which only the syllables count.

Also here: the text model both engines share. A syllable is a ``\\w+`` run of the NFC
text, lowercased; folding strips every combining mark after NFD and maps ``đ``/``Đ`` to
``d``/``D`` explicitly (they have no decomposition). And the curated abbreviations of
union vocabulary (``CĐCS`` ↔ *Công đoàn cơ sở*), expanded at query time into an OR
alternative, so that either spelling finds both.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from forum.core.text import normalize_text
from forum.search.backend import MAX_QUERY_LENGTH

MAX_QUERY_UNITS = 24  # distinct words/phrases looked up per query; the rest is ignored
MAX_PHRASE_SYLLABLES = 16
MAX_ALTERNATIVES = 8  # abbreviation expansions never multiply a query beyond this

SYLLABLE_PATTERN = r"\w+"
SYLLABLE = re.compile(SYLLABLE_PATTERN)

# Common abbreviations of Vietnamese trade-union texts and what they stand for. A query
# for either side also finds the other (see ``_with_abbreviations``).
ABBREVIATIONS = {
    "CĐCS": "Công đoàn cơ sở",
    "LĐLĐ": "Liên đoàn Lao động",
    "TLĐ": "Tổng Liên đoàn",
    "NLĐ": "người lao động",
    "NSDLĐ": "người sử dụng lao động",
    "BCH": "Ban Chấp hành",
    "UBKT": "Ủy ban Kiểm tra",
    "CNVCLĐ": "công nhân, viên chức, lao động",
    "CNLĐ": "công nhân lao động",
    "ĐVCĐ": "đoàn viên công đoàn",
    "KPCĐ": "kinh phí công đoàn",
    "TƯLĐTT": "thỏa ước lao động tập thể",
    "HĐLĐ": "hợp đồng lao động",
    "BHXH": "bảo hiểm xã hội",
    "BHYT": "bảo hiểm y tế",
    "BHTN": "bảo hiểm thất nghiệp",
    "ATVSLĐ": "an toàn, vệ sinh lao động",
    "KCN": "khu công nghiệp",
    "KCX": "khu chế xuất",
    "DNNN": "doanh nghiệp nhà nước",
    "FDI": "đầu tư trực tiếp nước ngoài",
}


# Text ------------------------------------------------------------------------------------------

_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})  # NFD does not decompose đ (U+0111) / Đ (U+0110)
_FOLD_CACHE: dict[str, str] = {}
_FOLD_CACHE_LIMIT = 200_000


def nfc(text: str) -> str:
    """NFC form of ``text`` (cheap when it already is NFC)."""
    if unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def _fold_uncached(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def fold(text: str) -> str:
    """Remove Vietnamese diacritics: 'Công đoàn cơ sở' → 'Cong doan co so'."""
    if text.isascii():
        return text
    return _fold_uncached(text)


def fold_syllable(syllable: str) -> str:
    """``fold`` with a cache: the syllables of a language are few, texts are many."""
    folded = _FOLD_CACHE.get(syllable)
    if folded is None:
        folded = syllable if syllable.isascii() else _fold_uncached(syllable)
        if len(_FOLD_CACHE) >= _FOLD_CACHE_LIMIT:
            _FOLD_CACHE.clear()
        _FOLD_CACHE[syllable] = folded
    return folded


def fold_cache_get(syllable: str) -> str | None:
    """The cached fold of ``syllable``, or None (for loops that fold millions of syllables)."""
    return _FOLD_CACHE.get(syllable)


def has_marks(text: str) -> bool:
    """Whether ``text`` carries any diacritic (or đ) that folding would remove."""
    text = nfc(text)
    return fold(text) != text


def syllables(text: str) -> list[str]:
    """The lowercase NFC syllables of ``text``, as every analyzer sees them."""
    return [s.lower() for s in SYLLABLE.findall(nfc(text))]


# New-style tone placement on an open "oa", "oe", "uy" (hoà, khoẻ, thuỷ) and the old style
# the forum writes (hòa, khỏe, thủy): the same word. Not after "q" (quý: the u belongs to the onset).
_NEW_STYLE_TONE = re.compile(r"(?<![qQ])([oO])([àáảãạèéẻẽẹ])(?!\w)|(?<![qQ])([uU])([ỳýỷỹỵ])(?!\w)")
# A vowel with its tone → (the combining tone mark, the bare vowel): grave, acute, hook, tilde, dot.
_TONE_OF = {char: (tone, base) for marked, base in (("àáảãạ", "a"), ("èéẻẽẹ", "e"), ("ỳýỷỹỵ", "y"))
            for tone, char in zip("\u0300\u0301\u0309\u0303\u0323", marked)}


def _old_style(match: re.Match) -> str:
    glide, marked = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    tone, base = _TONE_OF[marked]
    return unicodedata.normalize("NFC", glide + tone) + base


def old_style_tones(text: str) -> str:
    """``text`` (NFC) with new-style tone placement written the old way: 'hoà' → 'hòa'."""
    return _NEW_STYLE_TONE.sub(_old_style, text)


def cut_query_text(text: str | None) -> tuple[str, bool]:
    """Query text on one line (NFC, no control or invisible format characters), cut to
    MAX_QUERY_LENGTH characters; and whether it had to be cut."""
    cleaned = normalize_text((text or "")[: MAX_QUERY_LENGTH * 4], multiline=False)
    return cleaned[:MAX_QUERY_LENGTH].strip(), len(cleaned) > MAX_QUERY_LENGTH


def clean_query_text(text: str | None) -> str:
    """The text every search sees: see ``cut_query_text``."""
    return cut_query_text(text)[0]


# The parsed query -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Unit:
    """A word (one or more syllables, adjacent) or a quoted phrase of a query."""

    syllables: tuple[str, ...]  # lowercase NFC, as typed
    phrase: bool = False  # typed in quotes

    @property
    def text(self) -> str:
        return " ".join(self.syllables)

    @property
    def folded(self) -> tuple[str, ...]:
        return tuple(map(fold_syllable, self.syllables))

    @property
    def pairs(self) -> list[str]:
        """Folded pairs of adjacent syllables: 'công đoàn cơ' → 'cong doan', 'doan co'."""
        folded = self.folded
        return [f"{a} {b}" for a, b in zip(folded, folded[1:])]


@dataclass(frozen=True)
class ParsedQuery:
    """``alternatives`` are ORed, the units inside one are ANDed; a document containing
    any ``excluded`` unit never matches.

    ``adjacent``: folded syllable pairs typed next to each other (inside a word or phrase,
    or in consecutive words): documents containing them rank higher. ``has_marks``: the
    typed text carries diacritics (then exact-diacritic matches rank and highlight first).
    """

    alternatives: tuple[tuple[Unit, ...], ...] = ()
    excluded: tuple[Unit, ...] = ()
    adjacent: tuple[str, ...] = ()
    has_marks: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.alternatives

    @property
    def positive_units(self) -> list[Unit]:
        return [unit for alternative in self.alternatives for unit in alternative]

    def positive_syllables(self) -> list[str]:
        """Distinct syllables of the positive units, in query order."""
        return list(dict.fromkeys(s for unit in self.positive_units for s in unit.syllables))

    @property
    def alternative_texts(self) -> list[str]:
        """Each alternative's syllables side by side (the text its proximity bonus looks for)."""
        return [" ".join(unit.text for unit in alternative) for alternative in self.alternatives]


_QUERY_ITEM = re.compile(r'(-?)"([^"]*)(?:"|$)|(\S+)')


def parse_query(text: str | None) -> ParsedQuery:
    """Turn user text into a ParsedQuery; never raises, never reaches any engine syntax."""
    # Items: ("unit", Unit, plain) | ("not", Unit) | ("or",) | ("break",)
    items: list[tuple] = []
    for match in _QUERY_ITEM.finditer(clean_query_text(text)):
        negated, quoted_text, word = match.group(1), match.group(2), match.group(3)
        if quoted_text is None and word == "OR":
            items.append(("or",))
            continue
        if quoted_text is None:
            negated = "-" if word.startswith("-") else ""
            quoted_text_or_word = word.lstrip("-")
        else:
            quoted_text_or_word = quoted_text
        found = tuple(syllables(quoted_text_or_word))[:MAX_PHRASE_SYLLABLES]
        if not found:
            items.append(("break",))
            continue
        unit = Unit(found, phrase=quoted_text is not None)
        items.append(("not", unit) if negated else ("unit", unit, quoted_text is None))

    alternatives: list[list[Unit]] = [[]]
    excluded: list[Unit] = []
    adjacent: dict[str, None] = {}
    previous_plain: Unit | None = None  # for adjacency across plain words
    lookups = 0
    for item in items:
        kind = item[0]
        if kind == "or":
            if alternatives[-1]:
                alternatives.append([])
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
            if unit not in excluded:
                excluded.append(unit)
                lookups += 1
            continue
        plain = item[2]
        adjacent.update(dict.fromkeys(unit.pairs))
        if plain and previous_plain is not None:
            adjacent[f"{previous_plain.folded[-1]} {unit.folded[0]}"] = None
        previous_plain = unit if plain else None
        if unit not in alternatives[-1]:
            alternatives[-1].append(unit)
            lookups += 1
    typed = [tuple(alternative) for alternative in alternatives if alternative]
    marked = any(fold_syllable(s) != s for alternative in typed for unit in alternative for s in unit.syllables)
    expanded = _with_abbreviations(typed)
    for alternative in expanded[len(typed):]:
        for unit in alternative:
            adjacent.update(dict.fromkeys(unit.pairs))
    return ParsedQuery(tuple(expanded), tuple(excluded), tuple(adjacent), marked)


# Abbreviations ----------------------------------------------------------------------------------

def _abbreviation_table() -> tuple[dict[tuple[str, ...], Unit], dict[tuple[str, ...], Unit]]:
    """{folded abbreviation: expansion phrase} and {folded expansion: abbreviation}."""
    expansions, abbreviations = {}, {}
    for short, long in ABBREVIATIONS.items():
        short_unit, long_unit = Unit(tuple(syllables(short))), Unit(tuple(syllables(long)), phrase=True)
        expansions[short_unit.folded] = long_unit
        abbreviations[long_unit.folded] = short_unit
    return expansions, abbreviations


_EXPANSIONS, _ABBREVIATED = _abbreviation_table()


def is_abbreviation(folded_syllable: str) -> bool:
    """Whether a folded syllable is one of the curated abbreviations (``cdcs``)."""
    return (folded_syllable,) in _EXPANSIONS
_LONGEST_EXPANSION = max(len(folded) for folded in _ABBREVIATED)


def _rewrites(alternative: tuple[Unit, ...]) -> list[tuple[int, int, Unit]]:
    """Where the alternative's abbreviations can be written the other way, as (start, end,
    replacement) over its units, left to right and not overlapping."""
    rewrites = []
    index = 0
    while index < len(alternative):
        rewrite = _rewrite_at(alternative, index)
        if rewrite is None:
            index += 1
        else:
            rewrites.append(rewrite)
            index = rewrite[1]
    return rewrites


def _rewrite_at(alternative: tuple[Unit, ...], index: int) -> tuple[int, int, Unit] | None:
    """An abbreviation (a word or a phrase) at ``index`` → its expansion as a phrase; an
    expansion starting there (a phrase, or consecutive words) → the abbreviation."""
    other_way = _EXPANSIONS.get(alternative[index].folded) or _ABBREVIATED.get(alternative[index].folded)
    if other_way is not None:
        return index, index + 1, other_way
    run: tuple[str, ...] = ()
    for end in range(index, len(alternative)):
        if alternative[end].phrase or len(run) >= _LONGEST_EXPANSION:
            return None
        run += alternative[end].folded
        abbreviation = _ABBREVIATED.get(run)
        if abbreviation is not None and end > index:
            return index, end + 1, abbreviation
    return None


def _variants(alternative: tuple[Unit, ...]) -> list[tuple[Unit, ...]]:
    """The same alternative with each abbreviation found written the other way, one at a
    time, then all of them at once ("BCH CĐCS" also finds "Ban Chấp hành Công đoàn cơ sở")."""
    rewrites = _rewrites(alternative)
    chosen_sets = [[rewrite] for rewrite in rewrites]
    if len(rewrites) > 1:
        chosen_sets.append(rewrites)
    variants = []
    for chosen in chosen_sets:
        units, position = [], 0
        for start, end, replacement in chosen:
            units += alternative[position:start]
            units.append(replacement)
            position = end
        units += alternative[position:]
        variants.append(tuple(units))
    return variants


def _with_abbreviations(alternatives: list[tuple[Unit, ...]]) -> list[tuple[Unit, ...]]:
    """The alternatives, then their variants with abbreviations rewritten (bounded)."""
    result = list(alternatives)
    for alternative in alternatives:
        for variant in _variants(alternative):
            if len(result) >= MAX_ALTERNATIVES:
                return result
            if variant not in result:
                result.append(variant)
    return result


# Highlights -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Highlight:
    """Which syllables of a document's text a search marks.

    A query syllable typed with diacritics (or any syllable of a query that has some)
    marks its exact spelling, and other spellings with the same folded form only in a
    document where the exact one does not occur: a search for "cơ sở" marks "cơ", not
    every "có" of the text; a search for "co so" marks both.
    """

    exact: frozenset[str]  # lowercase NFC syllables marked as written
    folded: frozenset[str]  # folded syllables marked in any spelling

    def matches(self, syllable: str) -> bool:
        """Whether a lowercase NFC syllable of the text is marked."""
        return syllable in self.exact or fold_syllable(syllable) in self.folded


def exact_first_syllables(parsed: ParsedQuery) -> list[str]:
    """The positive syllables highlighted exactly when the document contains them as written."""
    return [s for s in parsed.positive_syllables() if parsed.has_marks or fold_syllable(s) != s]


def highlight_for(parsed: ParsedQuery, present: set[str] | frozenset[str]) -> Highlight:
    """The Highlight of a document; ``present``: which of ``exact_first_syllables`` it contains."""
    exact, folded = set(), set()
    exact_first = set(exact_first_syllables(parsed))
    for syllable in parsed.positive_syllables():
        if syllable in exact_first and syllable in present:
            exact.add(syllable)
        else:
            folded.add(fold_syllable(syllable))
    return Highlight(frozenset(exact), frozenset(folded))
