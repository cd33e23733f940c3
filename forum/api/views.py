"""The open read-only API at ``/api/v1/`` (flask-smorest): forums and themes, proposals
(filters, sorts, keyset cursors), a proposal with its discussion, search, and the
published results. The OpenAPI document (``/api/v1/openapi.json``) is generated from the
schemas that serialize the responses; ``/api/v1/docs`` is the browsable documentation,
a page from ``static/``.

A request reads as its visitor: anonymous, or the delegate or staff member whose session
cookie comes with it, under the pages' own rules (forums in draft, hidden proposals and
comments, hidden tallies). GET only; no CORS header is ever sent, so other sites' scripts
cannot read it through a visitor's browser. Errors are JSON in one shape
(``schemas.ErrorSchema``) whatever the client accepts; requests are rate limited per
user or address (``API_RATE_LIMIT``).
"""
from pathlib import Path

from flask import Flask, Response, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Api, Blueprint
from werkzeug.exceptions import HTTPException

from forum.api import schemas
from forum.api.cursors import InvalidCursor, decode_cursor, encode_cursor
from forum.api.presenters import present_comment, present_forum, present_proposal
from forum.core.database import as_utc
from forum.core.errors import answer_errors_under
from forum.core.ids import MAX_ID, IdConverter
from forum.core.rate_limits import user_or_address_key
from forum.core.request_id import current_request_id
from forum.extensions import limiter
from forum.forums.moderators import can_moderate
from forum.forums.services import get_forum_by_number, list_visible_forums_with_themes, tallies_visible
from forum.forums.statuses import custom_status_choices
from forum.proposals import services as proposals
from forum.proposals.keyset import KeysetSort, list_proposals_after, position_of
from forum.proposals.models import ProposalStatus
from forum.results import snapshots
from forum.search import services as search
from forum.search.backend import Sort
from forum.search.query import clean_query_text

PREFIX = "/api/v1"

ERROR_CODES = {
    400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 406: "not_acceptable",
    413: "too_large", 422: "invalid_parameters", 429: "rate_limited", 500: "server_error", 503: "unavailable",
}


class HienKeApi(Api):
    """flask-smorest's Api, with our error shape documented and served (its own handler
    would answer every error of the site, pages included, in its shape)."""

    ERROR_SCHEMA = schemas.ErrorSchema

    def _register_error_handlers(self):
        answer_errors_under(self._app, PREFIX + "/", render_error)


class ApiRefusal(HTTPException):
    """A refusal with its own stable code and message (``invalid_cursor``…)."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None):
        super().__init__(description=message)
        self.code = status
        self.api_code = code
        self.details = details


def refuse_parameter(name: str, message: str):
    """422 for one query parameter, in the shape webargs gives its own validation errors."""
    raise ApiRefusal(422, "invalid_parameters", _("Tham số không hợp lệ."), {"query": {name: [message]}})


def render_error(status: int, title: str, message: str, error: Exception | None):
    """Every error under /api/v1/ as ``ErrorSchema``: the site's title and message, a
    stable code, and the per-parameter messages of a refused query."""
    payload = {"status": status, "code": getattr(error, "api_code", None) or ERROR_CODES.get(status, "error"),
               "title": title, "message": message, "request_id": current_request_id()}
    if isinstance(error, ApiRefusal):
        payload["message"] = error.description
        if error.details:
            payload["details"] = error.details
    else:
        data = getattr(error, "data", None) or {}
        if data.get("messages"):  # webargs: {location: {field: [messages]}}
            payload["message"] = _("Tham số không hợp lệ.")
            payload["details"] = _plain(data["messages"])
    headers = dict(getattr(error, "data", None) or {}).get("headers") or {}
    if isinstance(error, HTTPException) and error.code == 405:
        headers = {**headers, "Allow": ", ".join(error.valid_methods or ())}
    return payload, status, headers


def _plain(messages: dict) -> dict:
    """Validation messages as ``{location: {field: [messages]}}`` of plain text (a field's
    own message may be one lazy text rather than a list)."""
    plain = {}
    for key, value in messages.items():
        if isinstance(value, dict):
            plain[str(key)] = _plain(value)
        elif isinstance(value, (list, tuple)):
            plain[str(key)] = [str(message) for message in value]
        else:
            plain[str(key)] = [str(value)]
    return plain


blp = Blueprint(
    "api", __name__, url_prefix=PREFIX,
    description="Đọc dữ liệu công khai của Hiến kế / Read Hiến kế's public data",
)
# One budget for the whole API (not one per route).
limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api", key_func=user_or_address_key)(blp)


def _next_url(**changes) -> str:
    """This request's address with ``changes`` to its query string."""
    args = request.args.to_dict()
    args.update({name: value for name, value in changes.items()})
    return url_for(request.endpoint, **(request.view_args or {}), **args, _external=True)


def _visible_forum(number: int):
    forum = get_forum_by_number(number)
    if forum is None or not forum.is_visible_to(current_user):
        raise ApiRefusal(404, "not_found", _("Không có diễn đàn số %(number)s.", number=number))
    return forum


def _chosen_forums(number: int | None) -> list:
    forums = list_visible_forums_with_themes(current_user)
    if number is None:
        return forums
    chosen = [forum for forum in forums if forum.number == number]
    if not chosen:
        refuse_parameter("forum", _("Không có diễn đàn số %(number)s.", number=number))
    return chosen


def _check_theme(forums, theme_id: int | None) -> None:
    if theme_id is not None and not any(theme.id == theme_id for forum in forums for theme in forum.themes):
        refuse_parameter("theme", _("Không có nhóm vấn đề này trong các diễn đàn đã chọn."))


def _check_status(forums, status: str | None) -> None:
    if status is None:
        return
    known = {code.value for code in ProposalStatus} | {
        code for code, _title in custom_status_choices(forum.id for forum in forums)}
    if status not in known:
        refuse_parameter("status", _("Không có trạng thái “%(status)s”.", status=status))


def _check_tallies(forums, name: str = "sort") -> None:
    hiding = [forum.number for forum in forums if not tallies_visible(forum, current_user)]
    if hiding:
        refuse_parameter(name, _(
            "Số ủng hộ của diễn đàn %(numbers)s đang được giữ kín đến khi diễn đàn kết thúc: "
            "không thể xếp theo số ủng hộ.", numbers=", ".join(str(number) for number in hiding)))


# Forums ---------------------------------------------------------------------------------
@blp.route("/forums")
@blp.response(200, schemas.ForumListSchema)
def forum_list():
    """The forums, in number order, with their themes."""
    return {"items": [present_forum(forum, current_user) for forum in list_visible_forums_with_themes(current_user)]}


@blp.route("/forums/<id:number>")
@blp.response(200, schemas.ForumSchema)
@blp.alt_response(404, schema=schemas.ErrorSchema)
def forum_detail(number: int):
    """One forum with its themes."""
    return present_forum(_visible_forum(number), current_user)


# Proposals ------------------------------------------------------------------------------
@blp.route("/proposals")
@blp.arguments(schemas.ProposalListArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.ProposalPageSchema)
@blp.alt_response(400, schema=schemas.ErrorSchema, description="An invalid cursor.")
def proposal_list(sort: str, limit: int, forum: int | None = None, theme: int | None = None,
                  status: str | None = None, cursor: str | None = None):
    """Proposals, in pages read with cursors: withdrawn and merged ones are never listed,
    hidden ones only for the forum's moderators."""
    order = KeysetSort(sort)
    chosen = _chosen_forums(forum)
    _check_theme(chosen, theme)
    _check_status(chosen, status)
    if order.by_supports:
        _check_tallies(chosen)
    after = None
    if cursor is not None:
        try:
            after = decode_cursor(cursor, order)
        except InvalidCursor:
            raise ApiRefusal(400, "invalid_cursor", _(
                "Con trỏ trang không hợp lệ: hãy dùng đúng giá trị next_cursor của trang trước, "
                "với cùng cách sắp xếp.")) from None
    items, more = list_proposals_after(
        [forum.id for forum in chosen],
        staff_forum_ids={forum.id for forum in chosen if can_moderate(current_user, forum)},
        sort=order, theme_id=theme, status=status, after=after, limit=limit,
    )
    show = {forum.id: tallies_visible(forum, current_user) for forum in chosen}
    next_cursor = encode_cursor(order, position_of(items[-1], order)) if more else None
    return {
        "items": [present_proposal(item, current_user, show_tallies=show[item.forum_id]) for item in items],
        "next_cursor": next_cursor,
        "next": _next_url(cursor=next_cursor) if next_cursor else None,
    }


def _visible_proposal(proposal_id: int):
    proposal = proposals.get_visible_proposal(proposal_id, current_user)
    if proposal is None:
        raise ApiRefusal(404, "not_found", _("Không có hiến kế này, hoặc hiến kế đã bị ẩn."))
    return proposal


def _comment_page(proposal, page: int) -> dict:
    per_page = current_app.config["COMMENTS_PER_PAGE"]
    thread = proposals.comment_thread(proposal, current_user, page=page, per_page=per_page)
    return {
        "items": [present_comment(comment, current_user, replies) for comment, replies in thread.items],
        "page": thread.page,
        "pages": max(1, thread.pages),
        "total": thread.total,
        "next": url_for("api.proposal_comments", proposal_id=proposal.id, page=thread.page + 1, _external=True)
        if thread.has_next else None,
    }


@blp.route("/proposals/<id:proposal_id>")
@blp.response(200, schemas.ProposalDetailSchema)
@blp.alt_response(404, schema=schemas.ErrorSchema)
def proposal_detail(proposal_id: int):
    """One proposal with the first page of its discussion."""
    found = _visible_proposal(proposal_id)
    shown = present_proposal(found, current_user)
    merged = proposals.list_merges_into([found.id]) if found.merge_count else []
    shown.update(body_html=found.body_html, merged=sorted(merge.source_id for merge in merged),
                 comment_page=_comment_page(found, 1))
    return shown


@blp.route("/proposals/<id:proposal_id>/comments")
@blp.arguments(schemas.CommentPageArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.CommentPageSchema)
@blp.alt_response(404, schema=schemas.ErrorSchema)
def proposal_comments(proposal_id: int, page: int):
    """A page of a proposal's discussion: top-level comments oldest first, each with its
    replies; a comment hidden by a moderator keeps its place without its text."""
    return _comment_page(_visible_proposal(proposal_id), page)


# Search ---------------------------------------------------------------------------------
@blp.route("/search")
@blp.arguments(schemas.SearchArgs, location="query", as_kwargs=True)
@blp.response(200, schemas.SearchPageSchema)
@blp.alt_response(503, schema=schemas.ErrorSchema, description="The search engine is unavailable.")
def search_list(q: str, sort: str, page: int, per_page: int, forum: int | None = None,
                         theme: int | None = None, kind: str | None = None, status: str | None = None,
                         date_from=None, date_to=None):
    """Search proposals and comments (Vietnamese, with or without diacritics)."""
    text = clean_query_text(q)
    if not text:
        refuse_parameter("q", _("Hãy nhập từ cần tìm."))
    chosen = _chosen_forums(forum)
    _check_theme(chosen, theme)
    _check_status(chosen, status)
    if sort == Sort.SUPPORTS:
        _check_tallies(chosen)
    if date_from and date_to and date_from > date_to:
        refuse_parameter("date_to", _("Ngày kết thúc không được trước ngày bắt đầu."))
    results = search.search_contributions(
        current_user, text=text, forum_id=chosen[0].id if forum is not None else None, theme_id=theme,
        kind=kind, status=status, date_from=date_from, date_to=date_to, sort=sort, page=page, per_page=per_page,
    )
    if results.unavailable:
        raise ApiRefusal(503, "unavailable", _("Tìm kiếm tạm thời gián đoạn. Vui lòng thử lại sau ít phút."))
    shows = {}
    items = []
    for hit in results.hits:
        forum_id = hit.proposal.forum_id
        if forum_id not in shows:
            shows[forum_id] = tallies_visible(hit.proposal.forum, current_user)
        if hit.comment is not None:
            url = url_for("proposals.comment", comment_id=hit.comment.id, _external=True)
        else:
            url = url_for("proposals.detail", proposal_id=hit.proposal.id, _external=True)
        items.append({
            "kind": hit.kind,
            "proposal": present_proposal(hit.proposal, current_user, show_tallies=shows[forum_id]),
            "comment_id": hit.comment.id if hit.comment is not None else None,
            "title_html": str(hit.title_snippet),
            "snippet_html": str(hit.body_snippet),
            "url": url,
        })
    return {
        "query": results.query, "corrected": results.corrected, "suggestion": results.suggestion,
        "total": results.total, "page": results.page, "pages": results.pages,
        "items": items,
        "next": _next_url(page=results.page + 1) if results.has_next and results.page < search.MAX_PAGE else None,
    }


# Results --------------------------------------------------------------------------------
def _result_summary(snapshot) -> dict:
    forum = snapshot.forum
    return {
        "forum": forum.number, "forum_title": forum.title, "closed_at": as_utc(snapshot.closed_at),
        "published_at": as_utc(snapshot.published_at), "digest": snapshot.digest,
        "proposals": snapshot.proposal_count, "supports": snapshot.support_count,
        "url": url_for("results.public_result", number=forum.number, _external=True),
    }


@blp.route("/results")
@blp.response(200, schemas.ResultListSchema)
def result_list():
    """The results the organizers published: the newest of each forum."""
    published = [snapshot for snapshot in snapshots.list_published_snapshots()
                 if snapshot.forum.is_visible_to(current_user)]
    return {"items": [_result_summary(snapshot) for snapshot in published]}


@blp.route("/results/<id:number>")
@blp.response(200, schemas.ResultSchema)
@blp.alt_response(404, schema=schemas.ErrorSchema)
def result_detail(number: int):
    """A forum's published result: the ranking frozen when it closed, its totals, and the
    canonical JSON its digest was computed from."""
    forum = _visible_forum(number)
    published = [snapshot for snapshot in snapshots.list_snapshots(forum) if snapshot.published_at is not None]
    if not published:
        raise ApiRefusal(404, "not_found", _("Kết quả của diễn đàn này chưa được công bố."))
    snapshot = published[0]
    payload = snapshots.snapshot_payload(snapshot)
    found = proposals.get_proposals_by_id(entry["id"] for entry in payload["proposals"])
    ranking = []
    for entry in payload["proposals"]:
        proposal = found.get(entry["id"])
        readable = proposal is not None and proposal.is_visible_to(current_user)
        ranking.append({
            "rank": entry["rank"], "id": entry["id"], "title": proposal.title if readable else None,
            "supports": entry["supports"], "by_province": entry["by_province"],
            "by_union_level": entry["by_union_level"], "by_sector": entry["by_sector"],
            "url": url_for("proposals.detail", proposal_id=entry["id"], _external=True),
        })
    totals = payload["totals"]
    return {**_result_summary(snapshot), "ranking": ranking, "canonical_json": snapshot.payload, "totals": {
        "proposals": totals["proposals"], "supports": totals["supports"], "by_province": totals["by_province"],
        "by_union_level": totals["by_union_level"], "by_sector": totals["by_sector"]}}


# The documentation page -------------------------------------------------------------------
def docs_page():
    """The browsable documentation: a page of ``static/`` that reads openapi.json (read
    whole: it is small, and a streamed file would stay open until the response is closed)."""
    page = Path(current_app.static_folder, "api", "index.html").read_bytes()
    return Response(page, mimetype="text/html")


def init_app(app: Flask) -> None:
    """Mount the API: its document, its routes and the documentation page."""
    app.config.setdefault("API_TITLE", "Hiến kế API")
    app.config.setdefault("API_VERSION", "1.0")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {"info": {"description": API_DESCRIPTION}})
    api = HienKeApi(app)
    api.register_converter(IdConverter, lambda converter: {"type": "integer", "minimum": 1, "maximum": MAX_ID})
    api.register_blueprint(blp)
    app.add_url_rule(PREFIX + "/docs", "api_docs", docs_page)


API_DESCRIPTION = (
    "Read-only access to the forums of Hiến kế: forums and themes, proposals, their discussions, "
    "search, and the published results. Every request reads as its visitor (anonymous, or the session "
    "of a logged-in user): forums in draft, hidden proposals and comments stay hidden, and support "
    "counts are null while a forum keeps them hidden until it closes. Lists of proposals are read "
    "with cursors (`next_cursor`); search and discussions with page numbers. Errors are JSON in one "
    "shape (Error). Requests are rate limited (429 with Retry-After); no CORS headers are sent."
)
