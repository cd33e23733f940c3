"""Forum pages: the list of the ten forums and one forum with its proposals.

The views compose services of several domains: the forums' own rows, the proposal lists
and counts, and the supports.
"""
import time
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from forum.forums import services
from forum.forums.models import Forum
from forum.proposals import services as proposals
from forum.proposals.services import ProposalSort
from forum.votes import services as votes

bp = Blueprint("forums", __name__)


@dataclass(frozen=True)
class ForumSummary:
    """A forum with its public counts, as shown on the home page."""

    forum: Forum
    proposal_count: int
    participant_count: int


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
    proposal_counts = proposals.count_public_proposals_by_forum(forum_ids)
    participant_counts = votes.count_participants_by_forum(forum_ids)
    cache["counts"] = (key, now + ttl, proposal_counts, participant_counts)
    return proposal_counts, participant_counts


def list_forums_with_counts(user) -> list[ForumSummary]:
    """The forums ``user`` may see, in number order, with their public counts.

    Three queries (the forums, then the two GROUP BY counts) whatever the number of
    forums; one while the counts are cached.
    """
    forums = services.list_visible_forums(user)
    proposal_counts, participant_counts = _cached_forum_counts([forum.id for forum in forums])
    return [
        ForumSummary(forum, proposal_counts.get(forum.id, 0), participant_counts.get(forum.id, 0))
        for forum in forums
    ]


@bp.route("/")
def index():
    """The forums the visitor may see, with their public counts."""
    summaries = list_forums_with_counts(current_user)
    return render_template(
        "forums/index.html",
        summaries=summaries,
        has_sample=any(summary.forum.is_sample for summary in summaries),
    )


def _page_arg() -> int:
    """``?page=``: non-numeric or below 1 means page 1; absurdly large values are a 404."""
    page = request.args.get("page", type=int) or 1
    if page > proposals.MAX_PAGE:
        abort(404)
    return max(page, 1)


@bp.route("/forums/<slug>")
def detail(slug: str):
    """One forum: what it is about, what is possible now, and its proposals."""
    forum = services.get_visible_forum(slug, current_user)
    if forum is None:
        abort(404)
    sort = ProposalSort.parse(request.args.get("sort"))
    theme_id = services.parse_theme_id(forum, request.args.get("theme"))
    pagination = proposals.list_proposals(
        forum,
        user=current_user,
        sort=sort,
        theme_id=theme_id,
        page=_page_arg(),
        per_page=current_app.config["PROPOSALS_PER_PAGE"],
    )
    return render_template(
        "forums/detail.html",
        forum=forum,
        theme_counts=proposals.count_public_proposals_by_theme(forum),
        units=proposals.list_participating_units(forum),
        pagination=pagination,
        sort=sort,
        sorts=list(ProposalSort),
        theme_id=theme_id,
        supported_ids=votes.supported_proposal_ids(current_user, [p.id for p in pagination.items]),
    )
