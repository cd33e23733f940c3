"""The one place where user-written text becomes HTML.

Bodies are typed as plain text with a light Markdown subset (paragraphs, line breaks,
bold, italic, lists, links). ``render_markup`` turns the source into HTML once, at save
time; bleach then keeps only the allowlist below and links bare URLs, adding
``rel="nofollow ugc noopener"``. Templates show the stored result with ``|markup``;
nothing user-written is marked safe anywhere else.
"""
from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter
from flask import Flask
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a"})
ALLOWED_ATTRIBUTES = {"a": ["href", "rel", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

# Raw HTML is escaped by the parser (html=False); only the listed rules exist.
_markdown = MarkdownIt("zero", {"html": False, "breaks": True, "typographer": False}).enable(
    ["paragraph", "newline", "emphasis", "list", "link", "escape"]
)


def _set_link_rel(attrs, new=False):
    attrs[(None, "rel")] = LINK_REL
    attrs.pop((None, "target"), None)
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_set_link_rel], parse_email=False)],
)


def render_markup(source: str) -> str:
    """Render Markdown-subset source to sanitized HTML (store the result)."""
    if not source:
        return ""
    return _cleaner.clean(_markdown.render(source)).strip()


def markup_to_text(source: str) -> str:
    """The plain text of Markdown-subset source, for files (exports): emphasis marks
    dropped, a list item as "- item" (numbered lists keep their numbers), a link as
    "text (address)" when they differ, paragraphs separated by a blank line."""
    if not source:
        return ""
    lines: list[str] = []
    line = ""
    numbers: list[int | None] = []  # one per open list: the next number, or None (bullets)
    for token in _markdown.parse(source):
        if token.type == "bullet_list_open":
            numbers.append(None)
        elif token.type == "ordered_list_open":
            numbers.append(int(token.attrGet("start") or 1))
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            numbers.pop()
            lines.append("")
        elif token.type == "list_item_open":
            number = numbers[-1] if numbers else None
            line = "  " * (len(numbers) - 1) + (f"{number}. " if number is not None else "- ")
            if number is not None:
                numbers[-1] = number + 1
        elif token.type == "inline":
            href = None
            for child in token.children or []:
                if child.type == "text":
                    line += child.content
                elif child.type in ("softbreak", "hardbreak"):
                    lines.append(line)
                    line = "  " * len(numbers)
                elif child.type == "link_open":
                    href, start = child.attrGet("href"), len(line)
                elif child.type == "link_close" and href:
                    if line[start:].strip() != href:
                        line += f" ({href})"
                    href = None
        elif token.type == "paragraph_close":
            lines.append(line)
            line = ""
            if not numbers:
                lines.append("")
    if line:
        lines.append(line)
    return "\n".join(lines).strip()


def markup_filter(stored_html: str | None) -> Markup:
    """Jinja ``|markup``: show HTML that ``render_markup`` produced at save time."""
    return Markup(stored_html or "")


def init_app(app: Flask) -> None:
    app.add_template_filter(markup_filter, "markup")
