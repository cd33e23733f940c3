"""Forum pages: the list of the ten forums and one forum with its proposals.

The views compose services of several domains: the forums' own rows, the proposal lists
and counts, and the supports.
"""
from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from forum.core.pagecache import cached_page
from forum.forums import services
from forum.proposals import services as proposals
from forum.proposals.services import ProposalSort
from forum.votes import services as votes

bp = Blueprint("forums", __name__)
FEATURED_SHOWN = 4  # proposals in the home page's "Tiêu điểm"


@bp.app_template_global("tallies_visible")
def tallies_visible_to_viewer(forum) -> bool:
    """For templates: may the visitor see ``forum``'s support counts (services.tallies_visible)?"""
    return services.tallies_visible(forum, current_user)


@bp.route("/")
def index():
    """The forums the visitor may see, with their public counts."""
    summaries, version = services.list_forums_with_counts_for_page(current_user)
    return cached_page(
        version,
        lambda: render_template(
            "forums/index.html",
            summaries=summaries,
            has_sample=any(summary.forum.is_sample for summary in summaries),
            # "Tiêu điểm": the proposals moderators feature, one query, at most FEATURED_SHOWN.
            featured=proposals.list_featured_proposals(
                [summary.forum.id for summary in summaries], limit=FEATURED_SHOWN
            ),
        ),
        *(summary.forum.page_state for summary in summaries),
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
    forum, version = services.get_visible_forum_for_page(slug, current_user)
    if forum is None:
        abort(404)
    page = _page_arg()
    return cached_page(version, lambda: _render_detail(forum, page), forum.page_state)


def _render_detail(forum, page: int) -> str:
    sort = ProposalSort.parse(request.args.get("sort"))
    sorts = list(ProposalSort)
    sort_note = None
    show_tallies = services.tallies_visible(forum, current_user)
    if not show_tallies:
        # An order by supports would reveal the hidden counts.
        sorts.remove(ProposalSort.SUPPORTS)
        if sort is ProposalSort.SUPPORTS:
            sort = ProposalSort.NEWEST
            if "sort" in request.args:
                sort_note = _("Số ủng hộ đang được giữ kín nên hiến kế được xếp theo thời gian gửi.")
    theme_id = services.parse_theme_id(forum, request.args.get("theme"))
    theme_counts = services.count_public_proposals_by_theme(forum)
    pagination = proposals.list_proposals(
        forum,
        user=current_user,
        sort=sort,
        theme_id=theme_id,
        page=page,
        per_page=current_app.config["PROPOSALS_PER_PAGE"],
        public_total=forum.proposal_count if theme_id is None else theme_counts.get(theme_id, 0),
    )
    return render_template(
        "forums/detail.html",
        forum=forum,
        theme_counts=theme_counts,
        units=services.list_participating_units(forum),
        pagination=pagination,
        sort=sort,
        sorts=sorts,
        sort_note=sort_note,
        show_tallies=show_tallies,
        theme_id=theme_id,
        supported_ids=votes.supported_proposal_ids(current_user, [p.id for p in pagination.items]),
    )
