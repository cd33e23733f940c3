"""Highlighted snippets of search hits: the title whole, the body as one window around the matches.

Whoosh's highlighter marks the matched syllables with MARK_START/MARK_END sentinels;
``backend.render_snippet`` escapes the text and turns the sentinels into ``<mark>``.
"""
from __future__ import annotations

from markupsafe import Markup
from whoosh.highlight import Formatter, Fragment, Fragmenter, WholeFragmenter, get_text
from whoosh.highlight import highlight as whoosh_highlight

from forum.search.analysis import VietnameseAnalyzer
from forum.search.backend import MARK_END, MARK_START, render_snippet

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
