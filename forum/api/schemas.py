"""The API's shapes: marshmallow schemas that both serialize every response and, through
flask-smorest, write the OpenAPI document at ``/api/v1/openapi.json`` (one source, so the
document cannot drift from what is served). Query schemas validate what clients send;
their limits keep every value within what the database accepts."""
from datetime import date

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from forum.core.ids import MAX_ID
from forum.proposals.keyset import KeysetSort
from forum.search.backend import Kind, Sort

MAX_LIMIT = 100  # items per page of a list
MAX_CURSOR_LENGTH = 512
MAX_QUERY_LENGTH = 500  # search text, characters
# Dates outside these are typing mistakes, and a date near year 1 or 9999 would overflow
# once moved to Vietnam's time zone.
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2100, 12, 31)


# Errors ---------------------------------------------------------------------------------
class ErrorSchema(ma.Schema):
    """Every error the API answers, 4xx and 5xx alike."""

    status = fields.Integer(required=True, metadata={"description": "HTTP status, as in the response line."})
    code = fields.String(required=True, metadata={
        "description": "Stable machine-readable reason: bad_request, invalid_cursor, invalid_parameters, "
                       "not_found, method_not_allowed, not_acceptable, rate_limited, server_error, "
                       "unavailable, forbidden, too_large."})
    title = fields.String(required=True, metadata={"description": "Short human title (Vietnamese by default)."})
    message = fields.String(required=True, metadata={"description": "What went wrong, for a person."})
    details = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={
        "description": "Per-parameter messages for invalid_parameters (``{location: {name: [messages]}}``)."})
    request_id = fields.String(allow_none=True, metadata={"description": "Quote it to the organizers."})


# Forums and themes ------------------------------------------------------------------------
class CodeLabelSchema(ma.Schema):
    code = fields.String(required=True, metadata={"description": "Stable code."})
    label = fields.String(required=True, metadata={"description": "Its name in the reader's language."})


class ThemeSchema(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    retired = fields.Boolean(required=True, metadata={"description": "Takes no new proposals."})
    proposals = fields.Integer(required=True, metadata={"description": "Public proposals in the theme."})


class ChairSchema(ma.Schema):
    name = fields.String(required=True)
    position = fields.String(required=True)


class ForumSchema(ma.Schema):
    number = fields.Integer(required=True, metadata={"description": "1–10: the forum's number."})
    slug = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    held_on = fields.Date(allow_none=True, required=True)
    time_of_day = fields.String(required=True)
    venue = fields.String(required=True)
    chairs = fields.List(fields.Nested(ChairSchema), required=True)
    phase = fields.Nested(CodeLabelSchema, required=True, metadata={
        "description": "draft, open (proposals and comments), voting (supports), closed."})
    tallies_hidden = fields.Boolean(required=True, metadata={
        "description": "Support counts are kept hidden from this reader until the forum closes: "
                       "every `supports` of its proposals is null and no order by supports is given."})
    proposals = fields.Integer(required=True, metadata={"description": "Public proposals."})
    participants = fields.Integer(required=True, metadata={"description": "Delegates who took part."})
    units = fields.Integer(required=True, metadata={"description": "Union units that submitted proposals."})
    themes = fields.List(fields.Nested(ThemeSchema), required=True)
    url = fields.Url(required=True, metadata={"description": "The forum's page."})


class ForumListSchema(ma.Schema):
    items = fields.List(fields.Nested(ForumSchema), required=True)


# Proposals and comments -----------------------------------------------------------------
class AuthorSchema(ma.Schema):
    name = fields.String(required=True)
    unit = fields.String(required=True)
    province = fields.String(required=True)


class ThemeRefSchema(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)


class AnswerSchema(ma.Schema):
    body = fields.String(required=True, metadata={"description": "As written (Markdown)."})
    html = fields.String(required=True, metadata={"description": "Sanitized HTML rendering."})
    answered_at = fields.DateTime(allow_none=True, required=True)


class ProposalSchema(ma.Schema):
    id = fields.Integer(required=True)
    forum = fields.Integer(required=True, metadata={"description": "The forum's number."})
    theme = fields.Nested(ThemeRefSchema, allow_none=True, required=True)
    title = fields.String(required=True)
    body = fields.String(required=True, metadata={"description": "As written (Markdown source)."})
    author = fields.Nested(AuthorSchema, required=True)
    status = fields.Nested(CodeLabelSchema, required=True, metadata={
        "description": "published, under_review, accepted, rejected, merged, withdrawn, or a status "
                       "the forum's organizers added."})
    supports = fields.Integer(allow_none=True, required=True, metadata={
        "description": "Supports counted; null while the forum keeps its tallies hidden from this reader."})
    comments = fields.Integer(required=True, metadata={"description": "Comments every reader sees."})
    pinned = fields.Boolean(required=True)
    locked = fields.Boolean(required=True, metadata={"description": "Closed to new comments by a moderator."})
    hidden = fields.Boolean(required=True, metadata={
        "description": "Hidden by moderators (seen only by its author and the forum's moderators)."})
    merged_into = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The proposal this one was merged into."})
    official_answer = fields.Nested(AnswerSchema, allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    edited_at = fields.DateTime(allow_none=True, required=True)
    url = fields.Url(required=True, metadata={"description": "The proposal's page."})


class ProposalPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ProposalSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True, metadata={
        "description": "Pass as `cursor` for the next page; null on the last page."})
    next = fields.Url(allow_none=True, required=True, metadata={"description": "The next page's address."})


class ReplySchema(ma.Schema):
    id = fields.Integer(required=True)
    parent_id = fields.Integer(allow_none=True, required=True)
    hidden = fields.Boolean(required=True, metadata={
        "description": "Hidden by a moderator: body and author are null for readers who may not read it."})
    body = fields.String(allow_none=True, required=True)
    body_html = fields.String(allow_none=True, required=True)
    author = fields.Nested(AuthorSchema, allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    edited_at = fields.DateTime(allow_none=True, required=True)


class CommentSchema(ReplySchema):
    replies = fields.List(fields.Nested(ReplySchema), required=True)


class CommentPageSchema(ma.Schema):
    items = fields.List(fields.Nested(CommentSchema), required=True, metadata={
        "description": "Top-level comments oldest first, each with its replies."})
    page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Top-level comments across the pages."})
    next = fields.Url(allow_none=True, required=True)


class ProposalDetailSchema(ProposalSchema):
    body_html = fields.String(required=True, metadata={"description": "Sanitized HTML rendering of the body."})
    merged = fields.List(fields.Integer(), required=True, metadata={
        "description": "Proposals merged into this one."})
    comment_page = fields.Nested(CommentPageSchema, required=True, metadata={
        "description": "The first page of the discussion; `next` reads on."})


# Search ---------------------------------------------------------------------------------
class SearchHitSchema(ma.Schema):
    kind = fields.String(required=True, validate=validate.OneOf([Kind.PROPOSAL, Kind.COMMENT]))
    proposal = fields.Nested(ProposalSchema, required=True, metadata={
        "description": "The proposal found, or the one the comment found belongs to."})
    comment_id = fields.Integer(allow_none=True, required=True)
    title_html = fields.String(required=True, metadata={
        "description": "Escaped text; the matched words in <mark>."})
    snippet_html = fields.String(required=True, metadata={
        "description": "An extract of the body, escaped; the matched words in <mark>."})
    url = fields.Url(required=True)


class SearchPageSchema(ma.Schema):
    query = fields.String(required=True, metadata={"description": "The query as searched (cleaned)."})
    corrected = fields.String(allow_none=True, required=True, metadata={
        "description": "When the query as typed found nothing and had typos: the corrected query "
                       "whose results these are (\"doan vein nu\" → \"doan vien nu\")."})
    suggestion = fields.String(allow_none=True, required=True, metadata={
        "description": "When these are the query's own results: a corrected query that finds others."})
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    items = fields.List(fields.Nested(SearchHitSchema), required=True)
    next = fields.Url(allow_none=True, required=True)


# Results --------------------------------------------------------------------------------
class ResultSummarySchema(ma.Schema):
    forum = fields.Integer(required=True, metadata={"description": "The forum's number."})
    forum_title = fields.String(required=True)
    closed_at = fields.DateTime(required=True, metadata={"description": "The closing this result freezes."})
    published_at = fields.DateTime(required=True)
    digest = fields.String(required=True, metadata={
        "description": "SHA-256 (hex) of `canonical_json` as UTF-8: the result's fingerprint."})
    proposals = fields.Integer(required=True)
    supports = fields.Integer(required=True)
    url = fields.Url(required=True, metadata={"description": "The result's public page."})


class ResultListSchema(ma.Schema):
    items = fields.List(fields.Nested(ResultSummarySchema), required=True)


class CountMapField(fields.Dict):
    """``{name: count}``"""

    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(), values=fields.Integer(), **kwargs)


class RankedProposalSchema(ma.Schema):
    rank = fields.Integer(required=True, metadata={"description": "Equal supports share a rank (1, 2, 2, 4)."})
    id = fields.Integer(required=True)
    title = fields.String(allow_none=True, required=True, metadata={
        "description": "Its title now (null if it has since been hidden from this reader)."})
    supports = fields.Integer(required=True)
    by_province = CountMapField(required=True)
    by_union_level = CountMapField(required=True)
    by_sector = CountMapField(required=True)
    url = fields.Url(required=True)


class ResultTotalsSchema(ma.Schema):
    proposals = fields.Integer(required=True)
    supports = fields.Integer(required=True)
    by_province = CountMapField(required=True)
    by_union_level = CountMapField(required=True)
    by_sector = CountMapField(required=True)


class ResultSchema(ResultSummarySchema):
    ranking = fields.List(fields.Nested(RankedProposalSchema), required=True)
    totals = fields.Nested(ResultTotalsSchema, required=True)
    canonical_json = fields.String(required=True, metadata={
        "description": "The frozen result exactly as digested: sha256(canonical_json.encode('utf-8')) == digest."})


# Query parameters -----------------------------------------------------------------------
# Their messages are the reader's language (marshmallow's own are English).
def _query_integer(description: str, *, minimum: int = 1, maximum: int = MAX_ID, **kwargs) -> fields.Integer:
    return fields.Integer(
        validate=validate.Range(min=minimum, max=maximum, error=_l("Phải là số từ {min} đến {max}.")),
        error_messages={"invalid": _l("Phải là một số nguyên."), "too_large": _l("Số quá lớn.")},
        metadata={"description": description}, **kwargs)


def _query_text(description: str, *, maximum: int, **kwargs) -> fields.String:
    return fields.String(
        validate=validate.Length(min=1, max=maximum, error=_l("Phải dài từ {min} đến {max} ký tự.")),
        error_messages={"required": _l("Thiếu tham số này.")},
        metadata={"description": description}, **kwargs)


def _query_choice(description: str, choices, **kwargs) -> fields.String:
    return fields.String(
        validate=validate.OneOf(list(choices), error=_l("Phải là một trong: {choices}.")),
        metadata={"description": description}, **kwargs)


def _query_date(description: str) -> fields.Date:
    return fields.Date(
        validate=validate.Range(min=FIRST_DATE, max=LAST_DATE, error=_l("Phải là ngày từ {min} đến {max}.")),
        error_messages={"invalid": _l("Phải là một ngày dạng YYYY-MM-DD.")},
        metadata={"description": description})


class ProposalListArgs(ma.Schema):
    forum = _query_integer("Only this forum's proposals (its number).")
    theme = _query_integer("Only this theme's proposals (its id).")
    status = _query_text("Only proposals with this status code.", maximum=30)
    sort = _query_choice("newest (default), oldest, supports (refused while a chosen forum hides its "
                         "tallies), discussed.", (sort.value for sort in KeysetSort),
                         load_default=KeysetSort.NEWEST.value)
    limit = _query_integer("Proposals per page (default 20).", maximum=MAX_LIMIT, load_default=20)
    cursor = _query_text("`next_cursor` of the page before.", maximum=MAX_CURSOR_LENGTH)


class CommentPageArgs(ma.Schema):
    page = _query_integer("The page of the discussion (default 1).", maximum=100_000, load_default=1)


class SearchArgs(ma.Schema):
    q = _query_text("Words, \"a phrase\", -excluded, OR; without diacritics finds every spelling.",
                    maximum=MAX_QUERY_LENGTH, required=True)
    forum = _query_integer("Only this forum (its number).")
    theme = _query_integer("Only this theme (its id).")
    kind = _query_choice("proposal or comment (default: both).", (Kind.PROPOSAL.value, Kind.COMMENT.value))
    status = _query_text("Only proposals with this status code (and their comments).", maximum=30)
    date_from = _query_date("Written on or after this day (Vietnam time).")
    date_to = _query_date("Written on or before this day (Vietnam time).")
    sort = _query_choice("relevance (default), supports, newest.", (sort.value for sort in Sort),
                         load_default=Sort.RELEVANCE.value)
    page = _query_integer("The page of results (default 1).", maximum=500, load_default=1)
    per_page = _query_integer("Results per page (default 20).", maximum=MAX_LIMIT, load_default=20)
