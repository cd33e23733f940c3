"""Field filters shared by every domain's forms.

Text is normalised (NFC, control characters stripped, outer whitespace trimmed) before
it is validated, so that whitespace-only input counts as empty and lengths are measured
on what will be stored.
"""
from forum.core.text import normalize_text


def single_line(value):
    """Filter: normalised text on one line (single spaces)."""
    return normalize_text(value, multiline=False) if isinstance(value, str) else value


def multiline(value):
    """Filter: normalised text keeping its line breaks."""
    return normalize_text(value) if isinstance(value, str) else value
