"""Row ids as they arrive from outside (URLs, form fields, query strings).

Every table's id is an INTEGER: PostgreSQL refuses a value above 2**31 - 1 ("integer
out of range") and SQLite one above 2**63 - 1 (OverflowError), both as a 500. Ids are
therefore checked at the edge: a URL with an impossible id does not match its route
(404), a form field with one reads as "no such row".
"""
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest value of a PostgreSQL INTEGER column


def parse_id(value) -> int | None:
    """``value`` as a row id (1 … MAX_ID), or None for anything else (text, 0, negative, huge)."""
    if isinstance(value, bool):
        return None
    if not isinstance(value, int):
        digits = str(value).strip().lstrip("0") if value is not None else ""
        # Short ASCII digits only: int() of thousands of digits is slow, then refused.
        if not digits.isascii() or not digits.isdigit() or len(digits) > len(str(MAX_ID)):
            return None
        value = int(digits)
    return value if 1 <= value <= MAX_ID else None


class IdConverter(IntegerConverter):
    """``<id:proposal_id>``: a row id in 1 … MAX_ID; anything else is no match (404)."""

    def __init__(self, map, min: int = 1, max: int = MAX_ID) -> None:  # noqa: A002 (Werkzeug's names)
        super().__init__(map, min=min, max=max)
