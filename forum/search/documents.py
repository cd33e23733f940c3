"""Search documents built from the current database state.

The indexer, ``flask search reindex`` and ``flask search verify`` all read the database
through this module, so the index always describes the rows exactly as the visibility
rules below see them. Queries select plain columns (no ORM objects): they are faster,
and a long-lived session's identity map can never hand back stale values. Without an
explicit ``session`` they run in short sessions of their own, never in ``db.session``.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.extensions import db
from forum.forums.models import SCHEDULE_EVENTS, Forum, Phase, decide_phase
from forum.proposals.models import Comment, Proposal, ProposalStatus
from forum.search.backend import Kind, SearchDocument, Visibility, document_key

# Statuses that take a proposal (and its comments) out of public view.
STAFF_ONLY_STATUSES = frozenset({ProposalStatus.WITHDRAWN.value, ProposalStatus.MERGED.value})
ID_CHUNK = 500  # ids per IN (...) list: far below every database's parameter limit


def proposal_visibility(*, forum_phase: str, is_hidden: bool, status: str) -> str:
    """Who may find a proposal: draft forums → organizers; hidden, withdrawn, merged → staff."""
    if forum_phase == Phase.DRAFT:
        return Visibility.ORGANIZER.value
    if is_hidden or status in STAFF_ONLY_STATUSES:
        return Visibility.STAFF.value
    return Visibility.PUBLIC.value


def comment_visibility(*, forum_phase: str, proposal_hidden: bool, status: str,
                       is_hidden: bool, parent_hidden: bool | None) -> str:
    """A comment is at most as visible as its proposal; hidden itself or under a hidden
    top-level comment → staff."""
    visibility = proposal_visibility(forum_phase=forum_phase, is_hidden=proposal_hidden, status=status)
    if visibility == Visibility.PUBLIC and (is_hidden or parent_hidden):
        return Visibility.STAFF.value
    return visibility


def as_utc(moment: datetime) -> datetime:
    """Aware UTC (SQLite hands back naive UTC datetimes, PostgreSQL aware ones)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_key(key: str) -> tuple[str, int] | None:
    kind, _, number = key.partition(":")
    if kind not in (Kind.PROPOSAL, Kind.COMMENT) or not number.isdigit():
        return None
    return kind, int(number)


@contextmanager
def _reading(session: so.Session | None) -> Iterator[so.Session]:
    """The caller's session, or a short one of our own: never ``db.session``, whose open
    transaction (``BEGIN IMMEDIATE`` on SQLite outside requests) would make the drainer's
    own connections wait."""
    if session is not None:
        yield session
        return
    with so.Session(db.engine) as own:
        yield own


def _chunks(ids: Iterable[int], size: int = ID_CHUNK) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


# One SELECT per kind; the joins bring the forum phase and the parent's hidden flag.
# Built on first use: aliasing a mapped class at import time would configure the mappers
# before every model is imported.
def _proposal_select() -> sa.Select:
    return sa.select(
        Proposal.id, Proposal.forum_id, Proposal.theme_id, Proposal.author_id, Proposal.status,
        Proposal.is_hidden, Proposal.created_at, Proposal.support_count, Proposal.title, Proposal.body,
        Proposal.answer_body, *_forum_phase_columns(),
    ).join(Forum, Forum.id == Proposal.forum_id)


def _comment_select() -> sa.Select:
    parent = so.aliased(Comment, name="parent_comment")
    return (
        sa.select(
            Comment.id, Comment.proposal_id, Comment.author_id, Comment.is_hidden, Comment.created_at,
            Comment.body, parent.is_hidden, Proposal.forum_id, Proposal.theme_id, Proposal.status,
            Proposal.is_hidden, *_forum_phase_columns(),
        )
        .join(Proposal, Proposal.id == Comment.proposal_id)
        .join(Forum, Forum.id == Proposal.forum_id)
        .outerjoin(parent, parent.id == Comment.parent_id)
    )


def _forum_phase_columns() -> tuple:
    return (Forum.phase, Forum.phase_set_at, *(getattr(Forum, column) for column, _phase in SCHEDULE_EVENTS))


def _phase_in_force(phase, phase_set_at, *moments) -> str:
    """The forum's phase when the document is built (its schedule may have moved it)."""
    return decide_phase(phase, phase_set_at, dict(zip((c for c, _p in SCHEDULE_EVENTS), moments)))[0].value


def _proposal_document(row) -> SearchDocument:
    (id_, forum_id, theme_id, author_id, status, is_hidden, created_at, support_count, title, body, answer,
     *forum_phase) = row
    phase = _phase_in_force(*forum_phase)
    return SearchDocument(
        kind=Kind.PROPOSAL.value, entity_id=id_, proposal_id=id_, forum_id=forum_id, theme_id=theme_id,
        author_id=author_id, status=status,
        visibility=proposal_visibility(forum_phase=phase, is_hidden=is_hidden, status=status),
        created_at=as_utc(created_at), support_count=support_count, title=title,
        body=proposal_text(body, answer),
    )


def proposal_text(body: str, answer: str | None) -> str:
    """What a proposal's document holds besides its title: the body, then the forum's
    official answer when one is published (so the answer's words find the proposal)."""
    return f"{body}\n\n{answer}" if answer else body


def _comment_document(row) -> SearchDocument:
    (id_, proposal_id, author_id, is_hidden, created_at, body, parent_hidden, forum_id, theme_id,
     status, proposal_hidden, *forum_phase) = row
    phase = _phase_in_force(*forum_phase)
    return SearchDocument(
        kind=Kind.COMMENT.value, entity_id=id_, proposal_id=proposal_id, forum_id=forum_id, theme_id=theme_id,
        author_id=author_id, status=status,
        visibility=comment_visibility(forum_phase=phase, proposal_hidden=proposal_hidden, status=status,
                                      is_hidden=is_hidden, parent_hidden=parent_hidden),
        created_at=as_utc(created_at), support_count=0, title="", body=body,
    )


def build_documents(keys: Iterable[str], *, session: so.Session | None = None) -> dict[str, SearchDocument]:
    """``{key: document}`` for the keys whose rows exist; absent keys are not in the result.

    One query per kind and per 500 ids, whatever the number of keys.
    """
    ids: dict[str, set[int]] = {Kind.PROPOSAL: set(), Kind.COMMENT: set()}
    for key in keys:
        parsed = parse_key(key)
        if parsed:
            ids[parsed[0]].add(parsed[1])
    documents: dict[str, SearchDocument] = {}
    with _reading(session) as session:
        for chunk in _chunks(ids[Kind.PROPOSAL]):
            for row in session.execute(_proposal_select().where(Proposal.id.in_(chunk))):
                document = _proposal_document(row)
                documents[document.key] = document
        for chunk in _chunks(ids[Kind.COMMENT]):
            for row in session.execute(_comment_select().where(Comment.id.in_(chunk))):
                document = _comment_document(row)
                documents[document.key] = document
    return documents


def thread_keys(proposal_ids: Iterable[int], *, session: so.Session | None = None) -> set[str]:
    """The keys of these proposals and of every comment they have now."""
    proposal_ids = set(proposal_ids)
    keys = {document_key(Kind.PROPOSAL, proposal_id) for proposal_id in proposal_ids}
    with _reading(session) as session:
        for chunk in _chunks(proposal_ids):
            comment_ids = session.scalars(sa.select(Comment.id).where(Comment.proposal_id.in_(chunk)))
            keys.update(document_key(Kind.COMMENT, comment_id) for comment_id in comment_ids)
    return keys


def forum_keys(forum_ids: Iterable[int], *, session: so.Session | None = None) -> set[str]:
    """The keys of every proposal and comment in these forums now."""
    keys: set[str] = set()
    with _reading(session) as session:
        for chunk in _chunks(forum_ids):
            proposal_ids = session.scalars(sa.select(Proposal.id).where(Proposal.forum_id.in_(chunk)))
            keys.update(document_key(Kind.PROPOSAL, proposal_id) for proposal_id in proposal_ids)
            comment_ids = session.scalars(
                sa.select(Comment.id).join(Proposal, Proposal.id == Comment.proposal_id)
                .where(Proposal.forum_id.in_(chunk))
            )
            keys.update(document_key(Kind.COMMENT, comment_id) for comment_id in comment_ids)
    return keys


def count_documents(*, session: so.Session | None = None) -> int:
    """How many documents a full reindex produces."""
    with _reading(session) as session:
        proposals = session.scalar(sa.select(sa.func.count()).select_from(Proposal))
        comments = session.scalar(sa.select(sa.func.count()).select_from(Comment))
    return (proposals or 0) + (comments or 0)


def iter_all_documents(*, chunk_size: int = 1000) -> Iterator[SearchDocument]:
    """Every document, proposals then comments, each by id, in bounded memory.

    Keyset pagination with one short transaction per chunk rather than one long
    cursor: on SQLite a CLI transaction is ``BEGIN IMMEDIATE`` and would block every
    writer for the whole reindex, and on PostgreSQL a long snapshot holds back vacuum.
    Rows changed while the stream runs may be read before or after the change; their
    outbox rows are still pending (reindex keeps the outbox), so the drain that follows
    brings them up to date.
    """
    for select, id_column, make in (
        (_proposal_select, Proposal.id, _proposal_document),
        (_comment_select, Comment.id, _comment_document),
    ):
        last_id = 0
        while True:
            with so.Session(db.engine) as session:
                rows = session.execute(
                    select().where(id_column > last_id).order_by(id_column).limit(chunk_size)
                ).all()
            if not rows:
                break
            for row in rows:
                yield make(row)
            last_id = rows[-1][0]
