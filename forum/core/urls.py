"""URL helpers shared by the domains."""
from urllib.parse import urlsplit


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
