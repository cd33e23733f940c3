"""Search for the views: the backend of the app, what a user may see, and searches that
come back with their database rows.

Backends only know visibility levels; this module maps users to levels and re-checks
every hit against the database before a view shows it (defence in depth: a hit the
viewer may not see can only mean a stale index, and it is dropped).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask
from markupsafe import Markup

from forum.core.permissions import is_active_user
from forum.extensions import db
from forum.forums.moderators import ALL_FORUMS, moderated_forum_ids
from forum.proposals.models import Comment, Proposal
from forum.search import indexer, outbox, spelling
from forum.search.backend import Kind, SearchQuery, Sort, Visibility
from forum.search.documents import comment_visibility, proposal_visibility
from forum.search.engines import check_backend_setting, get_backend
from forum.search.query import clean_query_text, fold_syllable, syllables

logger = logging.getLogger(__name__)

LOCAL_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_PER_PAGE = 100
MAX_PAGE = 500  # deeper pages cost the engine more than anyone reads


def init_app(app: Flask) -> None:
    """Check the setting, attach the outbox listeners and the inline drain hooks."""
    check_backend_setting(app)
    outbox.register_listeners()
    indexer.init_app(app)


# Who sees what ------------------------------------------------------------------------
def visibility_for(user, forum_id: int | None = None) -> frozenset[str]:
    """Anonymous and delegates: public; organizers and admins: all. Moderators see hidden
    and withdrawn content (staff) only where they moderate: a moderator of every forum
    always, a moderator of some forums in a search limited to one of theirs
    (``forum_id``); elsewhere they search as delegates do."""
    if not is_active_user(user):
        return frozenset({Visibility.PUBLIC.value})
    if user.is_organizer:
        return frozenset(v.value for v in Visibility)
    if user.is_moderator:
        scope = moderated_forum_ids(user)
        if scope is ALL_FORUMS or (forum_id is not None and forum_id in scope):
            return frozenset({Visibility.PUBLIC.value, Visibility.STAFF.value})
    return frozenset({Visibility.PUBLIC.value})


# Searching ----------------------------------------------------------------------------
def local_day_bounds(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """Local (Asia/Ho_Chi_Minh) calendar days, ``date_to`` inclusive → UTC ``[from, before)``."""
    created_from = created_before = None
    if date_from is not None:
        created_from = datetime.combine(date_from, time.min, tzinfo=LOCAL_TIMEZONE).astimezone(UTC)
    if date_to is not None:
        created_before = datetime.combine(date_to + timedelta(days=1), time.min,
                                          tzinfo=LOCAL_TIMEZONE).astimezone(UTC)
    return created_from, created_before


@dataclass(frozen=True)
class ResultHit:
    """One search result with its database rows (``comment`` is None for a proposal)."""

    kind: str
    proposal: Proposal
    comment: Comment | None
    title_snippet: Markup
    body_snippet: Markup
    score: float

    @property
    def forum(self):
        return self.proposal.forum


@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: list[ResultHit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 20
    unavailable: bool = False  # the engine failed: the view says so instead of a 500
    # The typed query found nothing and had typos: these are the results of ``corrected``.
    corrected: str | None = None
    # The typed query's results, and a corrected query that finds others ("Có phải…?").
    suggestion: str | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _load_proposals(ids) -> dict[int, Proposal]:
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(Proposal)
        .where(Proposal.id.in_(sorted(set(ids))))
        .options(so.joinedload(Proposal.forum), so.joinedload(Proposal.theme), so.joinedload(Proposal.author))
    )
    return {proposal.id: proposal for proposal in rows}


def _load_comments(ids) -> dict[int, Comment]:
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(Comment)
        .where(Comment.id.in_(sorted(set(ids))))
        .options(so.joinedload(Comment.author), so.joinedload(Comment.parent))
    )
    return {comment.id: comment for comment in rows}


def _current_proposal_visibility(proposal: Proposal) -> str:
    return proposal_visibility(forum_phase=proposal.forum.current_phase, is_hidden=proposal.is_hidden,
                               status=proposal.status)


def _current_comment_visibility(comment: Comment, proposal: Proposal) -> str:
    return comment_visibility(
        forum_phase=proposal.forum.current_phase, proposal_hidden=proposal.is_hidden, status=proposal.status,
        is_hidden=comment.is_hidden, parent_hidden=comment.parent.is_hidden if comment.parent else None,
    )


def _matches_filters(proposal: Proposal, query: SearchQuery) -> bool:
    return (
        (query.forum_id is None or proposal.forum_id == query.forum_id)
        and (query.theme_id is None or proposal.theme_id == query.theme_id)
        and (query.status is None or proposal.status == query.status)
    )


def search_contributions(
    user,
    *,
    text: str | None,
    forum_id: int | None = None,
    theme_id: int | None = None,
    kind: str | None = None,
    status: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    sort: str = Sort.RELEVANCE,
    page: int = 1,
    per_page: int = 20,
) -> SearchResults:
    """One page of contributions ``user`` may see, each with its rows, in three queries
    at most (proposals with forum, theme and author; comments with author and parent)."""
    text = clean_query_text(text)
    page = min(max(1, int(page or 1)), MAX_PAGE)
    per_page = min(max(1, int(per_page or 20)), MAX_PER_PAGE)
    if not text:
        return SearchResults(query=text, page=page, per_page=per_page)
    created_from, created_before = local_day_bounds(date_from, date_to)
    allowed = visibility_for(user, forum_id)
    query = SearchQuery(
        text=text,
        visibility=allowed,
        forum_id=forum_id,
        theme_id=theme_id,
        kind=kind if kind in (Kind.PROPOSAL, Kind.COMMENT) else None,
        status=status or None,
        created_from=created_from,
        created_before=created_before,
        sort=sort if sort in tuple(Sort) else Sort.RELEVANCE,
        page=page,
        per_page=per_page,
    )
    try:
        tolerant = spelling.search_tolerating_typos(get_backend(), query)
    except Exception:
        logger.exception("search: the backend failed on %r", text)
        return SearchResults(query=text, page=page, per_page=per_page, unavailable=True)
    result = tolerant.page

    comments = _load_comments(hit.entity_id for hit in result.hits if hit.kind == Kind.COMMENT)
    proposals = _load_proposals(
        [hit.proposal_id for hit in result.hits] + [comment.proposal_id for comment in comments.values()]
    )
    hits: list[ResultHit] = []
    for hit in result.hits:
        comment = comments.get(hit.entity_id) if hit.kind == Kind.COMMENT else None
        proposal = proposals.get(comment.proposal_id if comment else hit.proposal_id)
        if proposal is None or (hit.kind == Kind.COMMENT and comment is None):
            visible = None
        elif comment is not None:
            visible = _current_comment_visibility(comment, proposal)
        else:
            visible = _current_proposal_visibility(proposal)
        if visible not in allowed or not _matches_filters(proposal, query):
            logger.warning("search: dropped stale hit %s (the index is behind the database)", hit.key)
            continue
        hits.append(ResultHit(kind=hit.kind, proposal=proposal, comment=comment,
                              title_snippet=hit.title_snippet, body_snippet=hit.body_snippet, score=hit.score))
    dropped = len(result.hits) - len(hits)
    return SearchResults(query=text, hits=hits, total=max(0, result.total - dropped), page=page,
                         per_page=per_page, corrected=tolerant.corrected, suggestion=tolerant.suggestion)


def similar_proposals_for(user, title: str | None, *, exclude_ids=(), limit: int = 5) -> list[Proposal]:
    """Up to ``limit`` existing proposals resembling ``title`` that ``user`` may see, best
    first, each with its forum loaded (for "Đã có hiến kế tương tự?")."""
    title = clean_query_text(title)
    if not title:
        return []
    allowed = visibility_for(user)
    try:
        similar = get_backend().similar_proposals(
            title, visibility=allowed, limit=limit, exclude_ids=tuple(exclude_ids)
        )
    except Exception:
        logger.exception("search: similar proposals failed for %r", title)
        return []
    proposals = _load_proposals([item.proposal_id for item in similar])
    found = []
    for item in similar:
        proposal = proposals.get(item.proposal_id)
        if proposal is not None and _current_proposal_visibility(proposal) in allowed:
            found.append(proposal)
    return found[:limit]


def title_words(title: str | None) -> frozenset[str]:
    """The distinct folded syllables of a title (the similar-proposals analysis)."""
    title = clean_query_text(title)
    return frozenset(fold_syllable(syllable) for syllable in syllables(title)) if title else frozenset()


def similar_title_scores(title: str | None, *, exclude_ids=(), limit: int = 5) -> list[tuple[int, float]]:
    """``(proposal id, likeness)`` of public proposals that may duplicate one titled
    ``title``, best first: the engine's similar proposals (the "Đã có hiến kế tương tự?"
    analysis, which also matches bodies) ranked by how alike the two titles are, the
    Jaccard index of their folded syllables (0–1). For the moderators' duplicates."""
    words = title_words(title)
    if not words:
        return []
    found = get_backend().similar_proposals(
        clean_query_text(title), visibility=frozenset({Visibility.PUBLIC.value}), limit=limit,
        exclude_ids=tuple(exclude_ids),
    )
    proposals = _load_proposals([item.proposal_id for item in found])
    scores = []
    for item in found:
        proposal = proposals.get(item.proposal_id)
        if proposal is not None:
            other = title_words(proposal.title)
            scores.append((proposal.id, len(words & other) / len(words | other)))
    return sorted(scores, key=lambda pair: (-pair[1], pair[0]))
