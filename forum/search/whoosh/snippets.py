"""Highlighted snippets of search hits: the title whole, the body as one window around the matches.

Which syllables are marked is the query language's rule (``query.Highlight``); Whoosh's
highlighter marks them with MARK_START/MARK_END sentinels and picks the window;
``backend.render_snippet`` escapes the text and turns the sentinels into ``<mark>``.
"""
from __future__ import annotations

from markupsafe import Markup
from whoosh.analysis import Analyzer, Token
from whoosh.highlight import Formatter, Fragment, Fragmenter, WholeFragmenter, get_text
from whoosh.highlight import highlight as whoosh_highlight

from forum.search.backend import MARK_END, MARK_START, render_snippet
from forum.search.query import (
    SYLLABLE,
    Highlight,
    ParsedQuery,
    exact_first_syllables,
    fold_syllable,
    highlight_for,
    nfc,
    syllables,
)

SNIPPET_CHARS = 240
ELLIPSIS = "…"


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
_UNMARKED = "\x00"  # the token text of syllables the highlight leaves alone (never a query term)


class MarkingAnalyzer(Analyzer):
    """Syllables of a text for Whoosh's highlighter: a marked syllable's token text is
    its folded form (a query term), any other's is _UNMARKED. Offsets refer to the
    (NFC) text."""

    def __init__(self, highlight: Highlight):
        self.highlight = highlight

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        matches = self.highlight.matches
        for pos, match in enumerate(SYLLABLE.finditer(value), start_pos):
            lower = match.group().lower()
            token.text = fold_syllable(lower) if matches(lower) else _UNMARKED
            token.stopped = False
            token.boost = 1.0
            if keeporiginal:
                token.original = match.group()
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token


def _leading_text(text: str, limit: int = SNIPPET_CHARS) -> str:
    if len(text) <= limit:
        return text
    end = _snap_end(text, limit - 1)
    if end <= 0:
        end = limit - 1
    return text[:end].rstrip() + ELLIPSIS


class Highlighter:
    """The title and body snippets of the hits of one query."""

    def __init__(self, parsed: ParsedQuery):
        self.parsed = parsed
        self.terms = frozenset(map(fold_syllable, parsed.positive_syllables()))
        self.exact_first = exact_first_syllables(parsed)

    def snippets(self, title: str, body: str) -> tuple[Markup, Markup]:
        title, body = nfc(title or ""), nfc(body or "")
        present: set[str] = set()
        if self.exact_first:
            written = set(syllables(title)).union(syllables(body))
            present = {s for s in self.exact_first if s in written}
        analyzer = MarkingAnalyzer(highlight_for(self.parsed, present))
        return self._title(title, analyzer), self._body(body, analyzer)

    def _title(self, title: str, analyzer: MarkingAnalyzer) -> Markup:
        if not title:
            return Markup("")
        marked = whoosh_highlight(title, self.terms, analyzer, _TITLE_FRAGMENTER, _FORMATTER, top=1)
        return render_snippet(marked or title)

    def _body(self, body: str, analyzer: MarkingAnalyzer) -> Markup:
        marked = ""
        if body and self.terms:
            marked = whoosh_highlight(body, self.terms, analyzer, _BODY_FRAGMENTER, _FORMATTER, top=1)
        return render_snippet(marked or _leading_text(body))
