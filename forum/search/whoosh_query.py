"""The safe query language of the Whoosh backend: user text to a small query model.

Queries never reach Whoosh's own query parser (no field syntax, wildcards, fuzzy or ranges):
``parse_query`` cuts the text into quoted phrases, ``OR``, ``-exclusions`` and literal
syllables, and the reading side (``whoosh_reading``) evaluates the resulting ParsedQuery.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from forum.search.analysis import fold_syllable, syllables
from forum.search.backend import MAX_QUERY_LENGTH

MAX_QUERY_UNITS = 24  # distinct terms/phrases looked up per query; the rest is ignored
MAX_PHRASE_SYLLABLES = 16

_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


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
