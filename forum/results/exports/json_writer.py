"""JSON export: the whole result as one document, streamed one proposal at a time.

The shape (keys are English and stable; texts are in the export's language)::

    {
      "title": "Kết quả Diễn đàn số 1",
      "generated_at": "2023-11-30T14:05:00+07:00",
      "date_from": "2023-10-01" | null,
      "date_to": "2023-11-30" | null,
      "forums": [
        {"number": 1, "title": "…", "official_name": "Diễn đàn số 1: …",
         "closed_at": "2023-11-30T17:00:00+07:00" | null,
         "digest": "<64 hex digits>" | null}
      ],
      "filters": ["Trạng thái: Được tiếp thu"],
      "proposals": [
        {"rank": 1, "forum_number": 1, "forum_title": "…", "theme": "…", "id": 42,
         "title": "…", "text": "…", "author": "…", "unit": "…", "province": "…",
         "supports": 12 | null,
         "supports_by_province": {"Hà Nội": 12} | null,
         "supports_by_level": {"Cơ sở": 12} | null,
         "comments": 3, "status": "accepted", "status_label": "Được tiếp thu",
         "answer": "…", "url": "https://…/proposals/42",
         "submitted_at": "2023-11-02T09:30:00+07:00",
         "co_authors": ["…"], "merged_ids": [7, 9],
         "main_comments": [{"author": "…", "unit": "…",
                            "created_at": "2023-11-03T10:00:00+07:00", "text": "…"}],
         "hidden": false, "hidden_reason": ""},
        {"rank": null, "forum_number": 1, "id": 57, "supports": 2 | null,
         "supports_by_province": null, "supports_by_level": null,
         "status": "withdrawn", "status_label": "Đã rút", "hidden": false, "hidden_reason": "", …},
        {"rank": null, "forum_number": 1, "id": 61, "status": "published", "status_label": "Đã đăng",
         "hidden": true, "hidden_reason": "Trùng lặp, quảng cáo", …}
      ]
    }

Dates and moments are ISO 8601 (moments in Vietnam time, with their offset); numbers
are JSON numbers; ``supports`` and its breakdowns are ``null`` while a forum hides its
tallies. ``digest`` is ``null`` for a live (not frozen) ranking.

Only when the organizer asks for them, hidden and withdrawn proposals follow the ranked
ones of their forum (overall: all ranked ones), oldest first, with ``"rank": null``:
``hidden`` is ``true`` for a hidden one (``hidden_reason``: why, for the organizer;
``""`` when no reason was given), a withdrawn one has ``"status": "withdrawn"``; their
``supports`` is a number only where the forum's counts may be exported (``null`` while
it hides its tallies and has not closed), their breakdowns are always ``null`` (counted
for the ranking only). Every proposal has ``hidden`` and ``hidden_reason`` (``false``
and ``""`` for a ranked one). A merged proposal is never an item of its own: its id is
in ``merged_ids`` of the proposal it was merged into.

Texts are plain, NFC, without control characters, and not prefixed against formulas
(JSON is not a spreadsheet)."""
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from forum.results.exports.cells import clean_text, vietnam_time
from forum.results.rows import ForumSection, ResultHeader, ResultRow


def _moment(value: datetime | None) -> str | None:
    return None if value is None else vietnam_time(value).isoformat()


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _tally(tally: dict[str, int]) -> dict[str, int]:
    return {clean_text(name): count for name, count in tally.items()}


def forum_object(forum: ForumSection) -> dict:
    """A forum of the header, as the ``forums`` list holds it."""
    return {
        "number": forum.number,
        "title": clean_text(forum.title),
        "official_name": clean_text(forum.official_name),
        "closed_at": _moment(forum.closed_at),
        "digest": forum.digest,
    }


def proposal_object(row: ResultRow) -> dict:
    """A row, as the ``proposals`` list holds it."""
    hidden = row.supports is None or not row.ranked  # no breakdown to give
    return {
        "rank": row.rank,
        "forum_number": row.forum_number,
        "forum_title": clean_text(row.forum_title),
        "theme": clean_text(row.theme),
        "id": row.proposal_id,
        "title": clean_text(row.title),
        "text": clean_text(row.text),
        "author": clean_text(row.author),
        "unit": clean_text(row.unit),
        "province": clean_text(row.province),
        "supports": row.supports,
        "supports_by_province": None if hidden else _tally(row.supports_by_province),
        "supports_by_level": None if hidden else _tally(row.supports_by_level),
        "comments": row.comments,
        "status": clean_text(row.status),
        "status_label": clean_text(row.status_label),
        "answer": clean_text(row.answer),
        "url": clean_text(row.url),
        "submitted_at": _moment(row.submitted_at),
        "co_authors": [clean_text(name) for name in row.co_authors],
        "merged_ids": list(row.merged_ids),
        "main_comments": [
            {
                "author": clean_text(comment.author),
                "unit": clean_text(comment.unit),
                "created_at": _moment(comment.created_at),
                "text": clean_text(comment.text),
            }
            for comment in row.main_comments
        ],
        "hidden": row.hidden,
        "hidden_reason": clean_text(row.hidden_reason),
    }


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_json(header: ResultHeader, rows: Iterable[ResultRow]) -> Iterator[bytes]:
    """The JSON document of ``rows`` (shape above), streamed: one ``json.dumps`` per
    proposal, so that memory stays flat however many there are."""
    head = {
        "title": clean_text(header.title),
        "generated_at": _moment(header.generated_at),
        "date_from": _day(header.date_from),
        "date_to": _day(header.date_to),
        "forums": [forum_object(forum) for forum in header.forums],
        "filters": [clean_text(text) for text in header.filters],
    }
    opening = _dumps(head)[:-1] + ', "proposals": ['
    yield opening.encode("utf-8")
    separator = "\n"
    for row in rows:
        yield (separator + _dumps(proposal_object(row))).encode("utf-8")
        separator = ",\n"
    yield b"\n]}\n"
