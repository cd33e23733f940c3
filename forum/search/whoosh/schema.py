"""The Whoosh schema, how the index is opened, and the field values of a SearchDocument.

Shared by the reading side (filters on ``created_at``), the bulk writer of rebuilds and the
incremental writer of ``WhooshBackend``, so that all of them see one definition of the index.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from whoosh import fields as wfields
from whoosh.filedb.filestore import FileStorage

from forum.search.analysis import FIELD_SEPARATOR, VietnameseAnalyzer
from forum.search.query import nfc
from forum.search.backend import MARK_END, MARK_START, SearchDocument

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_TEXT_CLEAN = str.maketrans({MARK_START: " ", MARK_END: " ", FIELD_SEPARATOR: " "})
_RESERVED_CHARS = re.compile(f"[{MARK_START}{MARK_END}{FIELD_SEPARATOR}]")


def build_schema() -> wfields.Schema:
    """The Whoosh schema (its fields are described in the docstring of ``forum.search.whoosh``)."""
    return wfields.Schema(
        key=wfields.ID(stored=True, unique=True),
        kind=wfields.ID(stored=True),
        entity_id=wfields.STORED(),
        proposal_id=wfields.ID(stored=True),
        forum_id=wfields.ID(stored=True),
        theme_id=wfields.ID(stored=True),
        status=wfields.ID(stored=True),
        visibility=wfields.ID(stored=True),
        author_id=wfields.STORED(),
        created_at=wfields.NUMERIC(numtype=int, bits=64, signed=True, sortable=True, shift_step=0),
        support_count=wfields.NUMERIC(numtype=int, bits=32, signed=True, sortable=True, shift_step=0),
        title=wfields.STORED(),
        body=wfields.STORED(),
        fingerprint=wfields.STORED(),
        text=wfields.TEXT(analyzer=VietnameseAnalyzer(fold=True), phrase=False),
        text_exact=wfields.TEXT(analyzer=VietnameseAnalyzer(fold=False, marked_only=True), phrase=False),
        bigrams=wfields.TEXT(analyzer=VietnameseAnalyzer(bigrams=True), phrase=True),
    )


def open_index(path: str | Path):
    """Open the Whoosh index in ``path``, reading segment files with plain reads.

    Not with mmap: Whoosh wraps every file of a memory-mapped compound segment in a
    BytesIO, which copies it. Each reader opened after a commit would copy the whole
    index into the process's memory (hundreds of MB, ~100 ms at 100,000 documents).
    """
    return FileStorage(str(path), supports_mmap=False).open_index()


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _clean(text: str | None) -> str:
    """NFC, without the characters that have a meaning in the index (highlight marks, field separator)."""
    text = nfc(text or "")
    if _RESERVED_CHARS.search(text):
        text = text.translate(_TEXT_CLEAN)
    return text


def document_fields(doc: SearchDocument) -> dict:
    """The Whoosh field values of one document."""
    title = _clean(doc.title)
    body = _clean(doc.body)
    combined = f"{title}{FIELD_SEPARATOR}{body}"
    return {
        "key": doc.key,
        "kind": str(doc.kind),
        "entity_id": doc.entity_id,
        "proposal_id": str(doc.proposal_id),
        "forum_id": str(doc.forum_id),
        "theme_id": "" if doc.theme_id is None else str(doc.theme_id),
        "status": str(doc.status or ""),
        "visibility": str(doc.visibility),
        "author_id": doc.author_id,
        "created_at": to_micros(doc.created_at),
        "support_count": int(doc.support_count or 0),
        "title": title,
        "body": body,
        "fingerprint": doc.fingerprint,
        "text": combined,
        "text_exact": combined,
        "bigrams": combined,
    }
