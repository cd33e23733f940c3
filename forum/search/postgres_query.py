"""Safe query parsing for the PostgreSQL backend, and tsquery construction.

User text never reaches tsquery syntax: the tokenizer finds quoted phrases, ``OR`` and
``-exclusions``; every literal piece is bound as a parameter and goes through
``plainto_tsquery`` / ``phraseto_tsquery``. Also the Python mirror of the folding and
syllable cutting that PostgreSQL does (``vi_unaccent``, ``vi_words``).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from forum.core.text import normalize_text
from forum.search.backend import MAX_QUERY_LENGTH

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
