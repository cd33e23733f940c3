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


def markup_filter(stored_html: str | None) -> Markup:
    """Jinja ``|markup``: show HTML that ``render_markup`` produced at save time."""
    return Markup(stored_html or "")


def init_app(app: Flask) -> None:
    app.add_template_filter(markup_filter, "markup")
