"""Search pages: ``/search`` (full page, or only its results for search.js) and
``/search/similar`` (the "Đã có hiến kế tương tự?" box of the proposal form).

Both only read: no commit. Visibility is decided by the search services.
"""
from __future__ import annotations

import dataclasses
import re

from flask import Blueprint, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from forum.core.rate_limits import user_or_address_key
from forum.extensions import limiter
from forum.forums.services import list_visible_forums_with_themes, tallies_visible
from forum.search import services
from forum.search.backend import Sort
from forum.search.forms import SearchForm
from forum.search.query import clean_query_text

bp = Blueprint("search", __name__)

SEARCH_LIMIT = "60/minute"
SIMILAR_LIMIT = "60/minute"
SIMILAR_MIN_LENGTH = 8  # characters of title before looking for similar proposals
PARTIAL_HEADER = "X-Requested-With"
PARTIAL_VALUE = "fetch"  # static/js/search.js asks for the results fragment only
UNPROCESSABLE = 422
UNAVAILABLE = 503


_ADJACENT_MARKS = re.compile(r"</mark>(\s+)<mark>")
_BOLD_MARKERS = re.compile(r"\*\*")


@bp.app_template_filter("search_snippet")
def search_snippet(snippet: Markup) -> Markup:
    """A highlighted snippet made easier to read: the ``**bold**`` markers of the source
    text go, and ``<mark>công</mark> <mark>đoàn</mark>`` becomes ``<mark>công đoàn</mark>``.
    Only the backend's own tags can match (user text arrives escaped)."""
    if not isinstance(snippet, Markup):
        return snippet  # plain text is left to autoescaping
    text = _BOLD_MARKERS.sub("", str(snippet))
    return Markup(_ADJACENT_MARKS.sub(r"\1", text))


def wants_fragment() -> bool:
    return request.headers.get(PARTIAL_HEADER) == PARTIAL_VALUE


def _page_arg() -> int:
    """``?page=``: anything but a positive number is page 1 (the services cap the top)."""
    page = request.args.get("page", type=int) or 1
    return max(page, 1)


def _fragment_response(body: str, status: int):
    response = make_response(body, status)
    # The page and its fragment share a URL: caches must tell them apart.
    response.vary.add(PARTIAL_HEADER)
    return response


@bp.route("/search")
@limiter.limit(SEARCH_LIMIT, key_func=user_or_address_key)
def index():
    """Search every contribution the viewer may see, with filters, sort and pages."""
    form = SearchForm(request.args, forums=list_visible_forums_with_themes(current_user))
    valid = form.validate()
    criteria = form.criteria()
    sort_note = None
    if criteria.sort == Sort.SUPPORTS:
        # An order by supports would reveal the counts of forums that keep them hidden.
        hiding = {forum.id for forum in form.forums if not tallies_visible(forum, current_user)}
        if hiding and (criteria.forum_id is None or criteria.forum_id in hiding):
            criteria = dataclasses.replace(criteria, sort=Sort.RELEVANCE.value)
            form.sort.data = Sort.RELEVANCE.value
            sort_note = _("Số ủng hộ đang được giữ kín ở diễn đàn này hoặc ở một số diễn đàn, nên kết quả được "
                          "xếp theo mức liên quan.")
    results = None
    if criteria.text:
        results = services.search_contributions(
            current_user,
            text=criteria.text,
            forum_id=criteria.forum_id,
            theme_id=criteria.theme_id,
            kind=criteria.kind,
            status=criteria.status,
            date_from=criteria.date_from,
            date_to=criteria.date_to,
            sort=criteria.sort,
            page=_page_arg(),
        )
    if results is not None and results.unavailable:
        status = UNAVAILABLE
    elif not valid:
        status = UNPROCESSABLE
    else:
        status = 200
    template = "search/_results.html" if wants_fragment() else "search/index.html"
    return _fragment_response(
        render_template(template, form=form, criteria=criteria, results=results, max_page=services.MAX_PAGE,
                        sort_note=sort_note),
        status,
    )


@bp.route("/search/similar")
@limiter.limit(SIMILAR_LIMIT, key_func=user_or_address_key)
def similar():
    """Up to five visible proposals resembling ``?title=`` (an HTML fragment, empty when none)."""
    title = clean_query_text(request.args.get("title"))
    proposals = services.similar_proposals_for(current_user, title) if len(title) >= SIMILAR_MIN_LENGTH else []
    return _fragment_response(render_template("search/_similar.html", similar=proposals), 200)
