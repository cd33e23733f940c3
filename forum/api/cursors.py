"""Opaque cursors of the API's keyset pages: the sort and the position of the last item
of a page, as URL-safe base64 of a small JSON array. A client only passes back what it
was given; anything else (edited, truncated, from another sort) is refused as
``invalid_cursor`` before it reaches a query."""
import base64
import binascii
import json
from datetime import UTC, datetime

from forum.core.ids import MAX_ID
from forum.proposals.keyset import KeysetSort, position_types

MAX_COUNT = 2**31 - 1  # supports and comments are INTEGER columns


class InvalidCursor(ValueError):
    """The cursor was not made by this API for this sort."""


def encode_cursor(sort: KeysetSort, position: tuple) -> str:
    values = [value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value for value in position]
    raw = json.dumps([sort.value, *values], separators=(",", ":")).encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, sort: KeysetSort) -> tuple:
    """The position in ``cursor``, checked value by value against ``sort``'s columns."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw.decode("ascii"))
    except (binascii.Error, UnicodeError, ValueError) as error:
        raise InvalidCursor("unreadable") from error
    types = position_types(sort)
    if not isinstance(data, list) or len(data) != len(types) + 1 or data[0] != sort.value:
        raise InvalidCursor("not a cursor of this sort")
    position = []
    for value, expected in zip(data[1:], types):
        if expected is datetime:
            if not isinstance(value, str):
                raise InvalidCursor("not a moment")
            try:
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    raise InvalidCursor("a moment without its offset")
                position.append(moment.astimezone(UTC))
            except (ValueError, OverflowError) as error:  # year 1 moved to UTC overflows
                raise InvalidCursor("not a moment") from error
        else:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= max(MAX_ID, MAX_COUNT):
                raise InvalidCursor("not a count or an id")
            position.append(value)
    return tuple(position)
