"""The PostgreSQL translation of the query language: ``query.ParsedQuery`` → tsquery.

User text never reaches tsquery syntax: every unit's syllables are bound as a parameter
and go through ``phraseto_tsquery`` (which reads every character as text); the pieces
are combined with the tsquery operators ``&&``, ``||`` and ``!!``. Also the Python
mirror of how PostgreSQL cuts ``vi_words`` text into syllables, for the syllable pairs
of ``tsv_pairs``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from forum.search.query import ParsedQuery, Unit, fold_syllable, nfc

# Syllables as PostgreSQL cuts ``vi_words`` text: ``[^\W_]+`` splits at every ASCII
# punctuation character (the underscore included), as ``vi_words`` does.
WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """Folded lowercase syllables, cut as PostgreSQL cuts ``vi_words`` text."""
    return [fold_syllable(word) for word in WORD.findall(nfc(text).lower())]


def pair_set(text: str) -> set[str]:
    found = words(text)
    return {f"{a} {b}" for a, b in zip(found, found[1:])}


def syllable_pairs(text: str) -> list[str]:
    """Distinct folded pairs of adjacent syllables: 'Công đoàn cơ sở' → cong doan, doan co, co so."""
    return sorted(pair_set(text))


def tsquery_literal(lexemes: Iterable[str], operator: str) -> str:
    """A tsquery in input syntax from lexemes (quoted: never parsed for operators)."""
    quoted = ("'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" for lexeme in lexemes)
    return f" {operator} ".join(quoted)


def pairs_literal(pairs: list[str]) -> str:
    """A tsvector in input syntax; syllables hold no quote or backslash (``[^\\W_]``)."""
    return "'" + "' '".join(pairs) + "'" if pairs else ""


class TsqueryBuilder:
    """Builds tsquery SQL from parsed units, binding every piece of user text as a parameter."""

    def __init__(self) -> None:
        self.params: dict[str, str] = {}

    def bind(self, value: str) -> str:
        name = f"q{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def unit(self, unit: Unit, *, folded: bool) -> str:
        """A word or phrase: its syllables side by side (one syllable: just that lexeme)."""
        text = f"vi_words({self.bind(unit.text)})"
        if folded:
            text = f"vi_unaccent({text})"
        return f"phraseto_tsquery('simple', {text})"

    def query(self, parsed: ParsedQuery, *, folded: bool) -> str:
        alternatives = [
            "(" + " && ".join(self.unit(unit, folded=folded) for unit in alternative) + ")"
            for alternative in parsed.alternatives
        ]
        if not alternatives:
            return "''::tsquery"
        query = "(" + " || ".join(alternatives) + ")"
        return " && ".join([query] + [f"(!! {self.unit(u, folded=folded)})" for u in parsed.excluded])

    def marked(self, parsed: ParsedQuery, *, marked: bool) -> str:
        """Per alternative, its syllables typed with diacritics (``marked``), or those typed
        without in a query that has some, each as typed (for tsv_exact): OR of ANDs."""
        alternatives = []
        for alternative in parsed.alternatives:
            chosen = [syllable for unit in alternative for syllable in unit.syllables
                      if (fold_syllable(syllable) != syllable) == marked]
            if chosen:
                alternatives.append("(" + " && ".join(
                    f"phraseto_tsquery('simple', vi_words({self.bind(syllable)}))" for syllable in chosen) + ")")
        return " || ".join(alternatives) if alternatives else "''::tsquery"

    def exact_phrases(self, texts: list[str]) -> str:
        """Each text as a phrase of syllables as typed (for tsv_exact)."""
        if not texts:
            return "''::tsquery"
        return " || ".join(f"phraseto_tsquery('simple', vi_words({self.bind(t)}))" for t in texts)

    def phrases(self, texts: list[str]) -> str:
        if not texts:
            return "''::tsquery"
        return " || ".join(f"phraseto_tsquery('simple', vi_unaccent(vi_words({self.bind(t)})))" for t in texts)

    def lexemes(self, text: str) -> str:
        return f"tsvector_to_array(to_tsvector('simple', vi_unaccent(vi_words({self.bind(text)}))))"


def pairs_query(groups: list[list[str]]) -> str | None:
    """OR of ANDs of syllable pairs, or None when a group has no pair (nothing to prefilter)."""
    if not groups or any(not group for group in groups):
        return None
    return " | ".join("(" + tsquery_literal(group, "&") + ")" for group in groups)


@dataclass
class CompiledQuery:
    match: str  # tsquery on tsv_fold
    match_pairs: str | None  # tsquery on tsv_pairs implied by the match (quoted phrases)
    exact: str | None  # tsquery on tsv_exact: the syllables typed with diacritics, as typed
    plain: str | None  # tsquery on tsv_exact: the syllables typed without, in a query with some
    exact_phrase: str | None  # phrase tsquery on tsv_exact: each alternative as typed
    adjacency: str | None  # phrase tsquery on tsv_fold (only with two or more syllables)
    adjacency_pairs: str | None  # tsquery on tsv_pairs implied by the adjacency phrase
    highlight: str  # OR of every positive folded lexeme, for ts_headline
    pair_groups: list[list[str]]  # the adjacency pairs, per alternative (for estimates)
    exact_lexemes: list[str]
    match_groups: list[list[str]]  # folded syllables per alternative (for estimates)
    alternative_pairs: list[list[str]]  # syllable pairs of each alternative's whole text
    generation: int  # of the index, when the query was compiled
    phrase_groups: list[list[str]]  # syllable pairs of the quoted phrases per alternative
    parsed: ParsedQuery  # what the user asked (its highlight rule)
