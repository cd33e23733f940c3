"""Field filters and validators shared by every domain's forms.

Text is normalised (NFC, control characters stripped, outer whitespace trimmed) before
it is validated, so that whitespace-only input counts as empty and lengths are measured
on what will be stored. Text that would show nothing is refused by ``VisibleText``.
"""
from wtforms.validators import StopValidation

from forum.core.text import is_visually_blank, normalize_text


def single_line(value):
    """Filter: normalised text on one line (single spaces)."""
    return normalize_text(value, multiline=False) if isinstance(value, str) else value


def multiline(value):
    """Filter: normalised text keeping its line breaks."""
    return normalize_text(value) if isinstance(value, str) else value


class VisibleText:
    """Refuse a value that shows nothing (only spaces or invisible characters), with
    ``message``; other checks of the field are skipped, as after DataRequired."""

    def __init__(self, message, *, markdown: bool = False):
        self.message = message
        self.markdown = markdown

    def __call__(self, form, field):
        if field.data and is_visually_blank(field.data, markdown=self.markdown):
            raise StopValidation(str(self.message))
