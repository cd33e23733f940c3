"""URL helpers shared by the domains: the URL converters and safe ``?next=`` targets."""
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.routing import BaseConverter

from forum.core.ids import IdConverter


def safe_next_url(target: str | None, *, default: str) -> str:
    """Return ``target`` only if it is a path on this site; otherwise ``default``.

    Guards ``?next=`` against open redirects (``//evil.example``, ``https://…``,
    backslash tricks).
    """
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(char) < 32 for char in target) or "\\" in target:
        return default
    return target


class SegmentConverter(BaseConverter):
    """The default ``<name>`` converter: one path segment without control characters.

    PostgreSQL text cannot hold NUL, and no slug, code or name of this site contains a
    control character: such a URL does not match any route (404) instead of reaching a
    query (500).
    """

    regex = r"[^/\x00-\x1f\x7f-\x9f]+"


def init_app(app: Flask) -> None:
    """Register the URL converters; must run before the first route is added."""
    app.url_map.converters["default"] = SegmentConverter
    app.url_map.converters["string"] = SegmentConverter
    app.url_map.converters["id"] = IdConverter
