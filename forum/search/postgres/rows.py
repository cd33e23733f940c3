"""The ``search_entries`` table names and how a SearchDocument becomes one of its rows.

Shared by the incremental writes (upserts in ``backend``) and the COPY load of
``rebuild``, so both store exactly the same text and syllable pairs.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import sqlalchemy as sa

from forum.search.backend import SearchDocument
from forum.search.postgres.tsquery import pair_set, pairs_literal

TABLE = "search_entries"
BUILD_TABLE = "search_entries_build"  # the fresh table a rebuild loads before the swap
DOCUMENT_COLUMNS = (
    "key", "kind", "entity_id", "proposal_id", "forum_id", "theme_id", "author_id", "status",
    "visibility", "created_at", "support_count", "title", "body", "fingerprint", "tsv_pairs",
)
GENERATION_SEQUENCE = "search_entries_generation"  # bumped after every write (see plans)

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def _clean_document_text(text: str) -> str:
    """NFC (NFD input is stored like NFC) without control characters: no NUL, no sentinels."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", text or ""))


def document_row(document: SearchDocument) -> dict:
    title, body = _clean_document_text(document.title), _clean_document_text(document.body)
    # Pairs never span the title and the body.
    pairs = sorted(pair_set(title) | pair_set(body))
    return {
        "key": document.key,
        "kind": str(document.kind),
        "entity_id": document.entity_id,
        "proposal_id": document.proposal_id,
        "forum_id": document.forum_id,
        "theme_id": document.theme_id,
        "author_id": document.author_id,
        "status": str(document.status),
        "visibility": str(document.visibility),
        "created_at": document.created_at,
        "support_count": document.support_count,
        "title": title,
        "body": body,
        "fingerprint": document.fingerprint,
        "tsv_pairs": pairs_literal(pairs),
    }


def batches(items: Iterable, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def bump_generation(engine: sa.Engine) -> None:
    """After a commit: readers in every process stop using the totals they cached."""
    with engine.connect() as connection:
        connection.exec_driver_sql(f"SELECT nextval('{GENERATION_SEQUENCE}')")
        connection.commit()

