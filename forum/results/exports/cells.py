"""Cell safety for every export: text that can neither corrupt a file nor run as a
formula, and the Vietnam-time dates the files show.

A spreadsheet evaluates a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return (CSV injection); such cells get an apostrophe in front (the OWASP
recommendation), which Excel and LibreOffice show as text. XML 1.0 (XLSX, DOCX) forbids
most control characters and every lone surrogate, and UTF-8 cannot encode the latter:
they are removed. Excel holds at most 32,767 characters in a cell."""
import re
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

from forum.core.spreadsheet import FORMULA_STARTS

VIETNAM_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
EXCEL_CELL_LIMIT = 32_767  # characters (UTF-16 code units) in one Excel cell
ELLIPSIS = "…"

# C0 controls but tab and newline (a lone CR goes too: "\r\n" becomes "\n" first),
# DEL, lone surrogates and the two non-characters XML 1.0 excludes.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: object) -> str:
    """``value`` as NFC text without the characters that would corrupt a file.

    Every text of every format goes through it (DOCX and JSON too): decomposed (NFD)
    Vietnamese from macOS keyboards becomes composed, so that every reader, font and
    search sees the same letters."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n")
    text = _FORBIDDEN.sub("", text)
    return unicodedata.normalize("NFC", text)


def _utf16_length(text: str) -> int:
    return len(text) if len(text) * 2 <= EXCEL_CELL_LIMIT else len(text.encode("utf-16-le")) // 2


def fit_cell(text: str, limit: int = EXCEL_CELL_LIMIT) -> str:
    """``text`` cut to ``limit`` UTF-16 code units (Excel counts them), ending in "…"
    when cut."""
    if _utf16_length(text) <= limit:
        return text
    cut = text[: limit - 1]
    while _utf16_length(cut) > limit - 1:  # characters outside the BMP count twice
        cut = cut[: -max(1, (_utf16_length(cut) - (limit - 1)) // 2)]
    return cut + ELLIPSIS


def neutralise(text: str) -> str:
    """``text`` with an apostrophe in front when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_cell(value: object) -> object:
    """A spreadsheet cell (CSV or XLSX) for ``value``: numbers stay numbers (never
    neutralised), ``None`` stays empty, anything else becomes clean, formula-free text
    that fits in an Excel cell."""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    return fit_cell(neutralise(clean_text(value)))


def vietnam_time(moment: datetime) -> datetime:
    """A timezone-aware moment in Vietnam time (naive moments are taken as UTC, the
    database's convention)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(VIETNAM_TIME)


def vietnam_day(moment: datetime | date) -> date:
    """The calendar day of ``moment`` in Vietnam (a ``date`` is returned as is)."""
    return vietnam_time(moment).date() if isinstance(moment, datetime) else moment
