"""Read-side queries of the forum pages: the forum list with its counts and one forum's
proposal list. Every function issues a fixed number of queries, whatever the number of
forums or proposals, so the pages stay fast as the forums grow.

Public counts (proposals, participants, per-theme counts) cover only what every reader
can see: proposals that are neither hidden nor withdrawn, and comments that are not hidden.
"""
import enum
import time
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination

from forum.auth.models import User
from forum.core.text import sort_vietnamese
from forum.extensions import db
from forum.forums.models import Forum
from forum.proposals.models import Comment, Proposal, ProposalStatus
from forum.votes.models import Support

# Pages beyond this are not a real request (a typo or a probe); the view answers 404.
MAX_PAGE = 100_000


class ProposalSort(enum.StrEnum):
    """Orders of a forum's proposal list (``?sort=``); pinned proposals always come first."""

    SUPPORTS = "supports"
    NEWEST = "newest"
    DISCUSSED = "discussed"

    @property
    def label(self) -> str:
        return str(SORT_LABELS[self])

    @classmethod
    def parse(cls, value: str | None) -> "ProposalSort":
        """The sort named by ``value``; anything unknown falls back to most supported."""
        try:
            return cls(value)
        except ValueError:
            return cls.SUPPORTS


SORT_LABELS = {
    ProposalSort.SUPPORTS: _l("Nhiều ủng hộ nhất"),
    ProposalSort.NEWEST: _l("Mới nhất"),
    ProposalSort.DISCUSSED: _l("Nhiều ý kiến nhất"),
}


@dataclass(frozen=True)
class ForumSummary:
    """A forum with its public counts, as shown on the home page."""

    forum: Forum
    proposal_count: int
    participant_count: int


def _is_staff(user) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_moderator
    )


def _public_proposal():
    """Condition for proposals that count publicly (not hidden, not withdrawn)."""
    return sa.and_(Proposal.is_hidden.is_(False), Proposal.status != ProposalStatus.WITHDRAWN.value)


def count_public_proposals_by_forum(forum_ids) -> dict[int, int]:
    """``{forum_id: number of public proposals}`` in one GROUP BY query."""
    ids = list(forum_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Proposal.forum_id, sa.func.count(Proposal.id))
        .where(Proposal.forum_id.in_(ids), _public_proposal())
        .group_by(Proposal.forum_id)
    )
    return {forum_id: count for forum_id, count in rows}


def count_participants_by_forum(forum_ids) -> dict[int, int]:
    """``{forum_id: distinct users who proposed, commented or supported}`` in one query.

    Only public contributions count: a user whose only proposal was hidden or withdrawn,
    or whose only comment was hidden, is not counted.
    """
    ids = list(forum_ids)
    if not ids:
        return {}
    public = sa.and_(Proposal.forum_id.in_(ids), _public_proposal())
    authors = sa.select(Proposal.forum_id.label("forum_id"), Proposal.author_id.label("user_id")).where(public)
    commenters = (
        sa.select(Proposal.forum_id, Comment.author_id)
        .join(Proposal, Comment.proposal_id == Proposal.id)
        .where(public, Comment.is_hidden.is_(False))
    )
    supporters = sa.select(Proposal.forum_id, Support.user_id).join(Proposal, Support.proposal_id == Proposal.id).where(public)
    # UNION (not UNION ALL) already removes duplicate (forum, user) pairs.
    participation = sa.union(authors, commenters, supporters).subquery()
    rows = db.session.execute(
        sa.select(participation.c.forum_id, sa.func.count(participation.c.user_id)).group_by(participation.c.forum_id)
    )
    return {forum_id: count for forum_id, count in rows}


def _cached_forum_counts(forum_ids: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Public proposal and participant counts of ``forum_ids``, cached per process.

    Both counts scan every proposal, comment and support (about a second at a million
    contributions), and they are the same for every visitor, so the home page reuses
    them for ``FORUM_COUNTS_CACHE_SECONDS`` (default 60; 0 switches the cache off).
    """
    ttl = current_app.config["FORUM_COUNTS_CACHE_SECONDS"]
    key = tuple(forum_ids)
    cache = current_app.extensions.setdefault("forum_counts_cache", {})
    cached = cache.get("counts")
    now = time.monotonic()
    if ttl > 0 and cached is not None and cached[0] == key and now < cached[1]:
        return cached[2], cached[3]
    proposals = count_public_proposals_by_forum(forum_ids)
    participants = count_participants_by_forum(forum_ids)
    cache["counts"] = (key, now + ttl, proposals, participants)
    return proposals, participants


def list_forums_with_counts(user) -> list[ForumSummary]:
    """The forums ``user`` may see, in number order, with their public counts.

    Three queries (the forums, then the two GROUP BY counts) whatever the number of
    forums; one while the counts are cached.
    """
    forums = db.session.scalars(sa.select(Forum).order_by(Forum.number)).all()
    proposals, participants = _cached_forum_counts([forum.id for forum in forums])
    return [
        ForumSummary(forum, proposals.get(forum.id, 0), participants.get(forum.id, 0))
        for forum in forums
        if forum.is_visible_to(user)
    ]


def get_visible_forum(slug: str, user) -> Forum | None:
    """The forum at ``slug`` with its themes, or None when missing or not visible to ``user``."""
    forum = db.session.scalar(
        sa.select(Forum).where(Forum.slug == slug).options(so.selectinload(Forum.themes))
    )
    if forum is None or not forum.is_visible_to(user):
        return None
    return forum


def count_public_proposals_by_theme(forum: Forum) -> dict[int, int]:
    """``{theme_id: number of public proposals}`` for one forum in one GROUP BY query."""
    rows = db.session.execute(
        sa.select(Proposal.theme_id, sa.func.count(Proposal.id))
        .where(Proposal.forum_id == forum.id, Proposal.theme_id.is_not(None), _public_proposal())
        .group_by(Proposal.theme_id)
    )
    return {theme_id: count for theme_id, count in rows}


def list_participating_units(forum: Forum) -> list[str]:
    """The distinct units (đơn vị) of the authors of ``forum``'s public proposals, in
    Vietnamese alphabetical order. One query; authors of hidden or withdrawn proposals
    only are left out, as in the public counts."""
    units = db.session.scalars(
        sa.select(User.unit)
        .distinct()
        .join(Proposal, Proposal.author_id == User.id)
        .where(Proposal.forum_id == forum.id, _public_proposal(), User.unit.is_not(None), User.unit != "")
    )
    return sort_vietnamese(units)


def parse_theme_id(forum: Forum, value: str | None) -> int | None:
    """The id of one of ``forum``'s themes named by ``value``; None for anything else."""
    try:
        theme_id = int(value or "")
    except ValueError:
        return None
    return theme_id if any(theme.id == theme_id for theme in forum.themes) else None


def _proposal_order(sort: ProposalSort) -> list:
    newest = [Proposal.created_at.desc(), Proposal.id.desc()]
    if sort is ProposalSort.NEWEST:
        return [Proposal.is_pinned.desc(), *newest]
    if sort is ProposalSort.DISCUSSED:
        return [Proposal.is_pinned.desc(), Proposal.comment_count.desc(), *newest]
    return [Proposal.is_pinned.desc(), Proposal.support_count.desc(), *newest]


def list_proposals(
    forum: Forum,
    *,
    user,
    sort: ProposalSort = ProposalSort.SUPPORTS,
    theme_id: int | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Pagination:
    """One page of ``forum``'s proposals as ``user`` may see them, pinned first.

    Withdrawn proposals are never listed; hidden ones only for moderators and above.
    Authors and themes are loaded with the page (no query per proposal). A page past the
    end shows the last page; ``page`` must be at most ``MAX_PAGE`` (the view checks).
    """
    query = (
        sa.select(Proposal)
        .where(Proposal.forum_id == forum.id, Proposal.status != ProposalStatus.WITHDRAWN.value)
        .options(so.selectinload(Proposal.author), so.selectinload(Proposal.theme))
        .order_by(*_proposal_order(sort))
    )
    if not _is_staff(user):
        query = query.where(Proposal.is_hidden.is_(False))
    if theme_id is not None:
        query = query.where(Proposal.theme_id == theme_id)
    page = max(1, min(page, MAX_PAGE))
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    if pagination.pages and page > pagination.pages:
        pagination = db.paginate(query, page=pagination.pages, per_page=per_page, error_out=False)
    return pagination
