"""Cells for files that open in spreadsheets (CSV exports)."""

# A cell starting with one of these runs as a formula in Excel or LibreOffice
# (CSV injection): such cells are prefixed with an apostrophe, which shows as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """``value`` as text that a spreadsheet shows and never evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
