"""Snippets of the PostgreSQL backend: ts_headline on ``vi_words`` text, marks laid back
onto the original characters and kept only where the query language's highlight rule
says (``query.Highlight``: exact spellings first), edges restored and the result
shortened for display.

ts_headline runs only for the rows of the page.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from markupsafe import Markup

from forum.search.backend import MARK_END, MARK_START, Kind, SearchHit, render_snippet
from forum.search.postgres.tsquery import WORD, CompiledQuery
from forum.search.query import SYLLABLE, Highlight, exact_first_syllables, highlight_for, nfc
from forum.search.postgres.rows import TABLE

SNIPPET_MAX_CHARS = 240
# ts_headline options: the sentinels mark matches; render_snippet turns them into <mark>.
_TITLE_HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"
# ShortWord=0: the default (3) drops short words at a fragment's edges, and most Vietnamese
# syllables are short (ý, và, các).
_BODY_HEADLINE = (f"StartSel={MARK_START}, StopSel={MARK_END}, MaxFragments=1, MaxWords=40, MinWords=20, "
                  f"ShortWord=0")
_MARKS = MARK_START + MARK_END
_EDGE_CHARS = 20


def page_hits(connection: sa.Connection, compiled: CompiledQuery, ranked: Sequence) -> list[SearchHit]:
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
            f"  hb.lead, hb.tail, "
            # Which exact-first syllables of the query the document contains as written.
            f"  ARRAY(SELECT unnest(tsvector_to_array(e.tsv_exact)) "
            f"        INTERSECT SELECT unnest(CAST(:exact_first AS text[]))) AS present "
            f"FROM {TABLE} e CROSS JOIN (SELECT CAST(:highlight AS tsquery) AS q) AS hq "
            f"CROSS JOIN LATERAL ({_headline_sql('e.title', ':title_options')}) AS ht "
            f"CROSS JOIN LATERAL ({_headline_sql('e.body', ':body_options')}) AS hb "
            f"WHERE e.key = ANY(:keys)"
        ),
        {"keys": [row.key for row in ranked], "highlight": compiled.highlight or "",
         "title_options": _TITLE_HEADLINE, "body_options": _BODY_HEADLINE, "marks": _MARKS,
         "exact_first": exact_first_syllables(compiled.parsed)},
    ).all()
    by_key = {row.key: row for row in rows}
    hits = []
    for key, score in ((row.key, row.score) for row in ranked):
        row = by_key.get(key)
        if row is None:  # pragma: no cover - removed between two statements of one transaction
            continue
        highlight = highlight_for(compiled.parsed, set(row.present or ()))
        title = Markup("")
        if row.kind == Kind.PROPOSAL:
            title = render_snippet(keep_marks(_lay_marks(row.title_headline, row.title_original), highlight))
        body = _with_edges(keep_marks(_lay_marks(row.body_headline, row.body_original), highlight),
                           row.lead, row.tail)
        hits.append(SearchHit(
            kind=row.kind,
            entity_id=row.entity_id,
            proposal_id=row.proposal_id,
            score=float(score),
            title_snippet=title,
            body_snippet=render_snippet(_shorten(body)),
        ))
    return hits

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


def keep_marks(marked: str, highlight: Highlight) -> str:
    """Drop the marks of the marked syllables ``highlight`` leaves alone (ts_headline marks
    every folded match)."""
    if MARK_START not in marked:
        return marked
    out = []
    for index, piece in enumerate(marked.split(MARK_START)):
        if index == 0:
            out.append(piece)
            continue
        inside, end, after = piece.partition(MARK_END)
        found = SYLLABLE.findall(nfc(inside).lower())
        if found and all(map(highlight.matches, found)):
            out.append(MARK_START + inside + end + after)
        else:
            out.append(inside + after)
    return "".join(out)


def _with_edges(headline: str, lead: str | None, tail: str | None) -> str:
    """Put back short punctuation ts_headline dropped at the edges, or mark a cut with "…"."""
    if lead:
        if len(lead) <= _EDGE_CHARS and not WORD.search(lead):
            headline = lead + headline
        else:
            headline = "… " + headline
    if tail:
        if len(tail) <= _EDGE_CHARS and not WORD.search(tail):
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


