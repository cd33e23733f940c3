"""Proposal and comment verbs, plus the queries the proposal page needs.

Verbs check permission with the models' ``can_*`` predicates and raise
``PermissionDenied`` (with a message saying *why*, taken from the ``*_block_reason``
helpers) or ``InvalidAction``. They change rows and flush, and never commit: the view
does, once per request.
"""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _

from forum.core.audit import record_audit
from forum.core.database import utcnow
from forum.core.errors import InvalidAction, PermissionDenied
from forum.core.markup import render_markup
from forum.core.text import normalize_text
from forum.extensions import db
from forum.forums.models import Forum, Phase, Theme
from forum.proposals.forms import BODY_MAX_LENGTH, COMMENT_MAX_LENGTH, TITLE_MAX_LENGTH
from forum.proposals.models import Comment, Proposal, ProposalStatus


def _is_logged_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


# Why an action is not allowed ------------------------------------------------------------
def _phase_reason(forum: Forum) -> str:
    if forum.phase == Phase.DRAFT:
        return _("Diễn đàn chưa mở.")
    if forum.phase == Phase.VOTING:
        return _("Diễn đàn đang trong giai đoạn bình chọn, không nhận thêm hiến kế và ý kiến.")
    if forum.phase == Phase.CLOSED:
        return _("Diễn đàn đã kết thúc.")
    return _("Diễn đàn hiện không nhận hiến kế.")


def _inactive_proposal_reason(proposal: Proposal) -> str:
    if proposal.is_withdrawn:
        return _("Hiến kế này đã được tác giả rút.")
    if proposal.is_hidden:
        return _("Hiến kế này đang bị ẩn.")
    return _("Hiến kế này đã được xử lý (%(status)s).", status=proposal.status_label)


def can_submit_proposal(forum: Forum, user) -> bool:
    """Any active, logged-in user may submit while the forum accepts proposals."""
    return _is_logged_in(user) and forum.is_visible_to(user) and forum.accepts_proposals


def submit_block_reason(forum: Forum, user) -> str | None:
    if can_submit_proposal(forum, user):
        return None
    if not _is_logged_in(user):
        return _("Vui lòng đăng nhập để gửi hiến kế.")
    return _phase_reason(forum) + " " + _("Không thể gửi hiến kế mới.")


def edit_block_reason(proposal: Proposal, user, now: datetime | None = None) -> str | None:
    if proposal.can_edit(user, now=now):
        return None
    if not proposal.is_author(user):
        return _("Chỉ tác giả mới được sửa hiến kế này.")
    if not proposal.is_active:
        return _inactive_proposal_reason(proposal)
    if not proposal.forum.accepts_proposals:
        return _phase_reason(proposal.forum) + " " + _("Không thể sửa hiến kế.")
    if proposal.support_count:
        return _("Hiến kế đã có người ủng hộ nên không thể sửa nữa.")
    return _(
        "Đã hết thời hạn sửa hiến kế (%(minutes)s phút sau khi gửi).",
        minutes=current_app.config["EDIT_WINDOW_MINUTES"],
    )


def withdraw_block_reason(proposal: Proposal, user) -> str | None:
    if proposal.can_withdraw(user):
        return None
    if not proposal.is_author(user):
        return _("Chỉ tác giả mới được rút hiến kế này.")
    if not proposal.is_active:
        return _inactive_proposal_reason(proposal)
    return _phase_reason(proposal.forum) + " " + _("Không thể rút hiến kế.")


def comment_block_reason(proposal: Proposal, user) -> str | None:
    if proposal.can_comment(user):
        return None
    if not _is_logged_in(user):
        return _("Vui lòng đăng nhập để gửi ý kiến.")
    if not proposal.is_active:
        return _inactive_proposal_reason(proposal) + " " + _("Không nhận thêm ý kiến.")
    if proposal.is_locked:
        return _("Thảo luận về hiến kế này đã bị khóa.")
    return _phase_reason(proposal.forum) + " " + _("Không nhận thêm ý kiến.")


def comment_edit_block_reason(comment: Comment, user, now: datetime | None = None) -> str | None:
    if comment.can_edit(user, now=now):
        return None
    if not comment.is_author(user):
        return _("Chỉ người viết mới được sửa ý kiến này.")
    if comment.is_hidden:
        return _("Ý kiến này đang bị ẩn.")
    reason = comment_block_reason(comment.proposal, user)
    if reason:
        return reason
    return _(
        "Đã hết thời hạn sửa ý kiến (%(minutes)s phút sau khi gửi).",
        minutes=current_app.config["EDIT_WINDOW_MINUTES"],
    )


# Input checks (the forms validate first; these guard the services' other callers) -------
def _clean_text(value: str | None, *, max_length: int, empty: str, too_long: str, multiline=True) -> str:
    text = normalize_text(value, multiline=multiline)
    if not text:
        raise InvalidAction(empty)
    if len(text) > max_length:
        raise InvalidAction(too_long)
    return text


def _clean_title(title: str | None) -> str:
    return _clean_text(
        title,
        max_length=TITLE_MAX_LENGTH,
        empty=_("Vui lòng nhập tiêu đề."),
        too_long=_("Tiêu đề quá dài."),
        multiline=False,
    )


def _clean_body(body: str | None) -> str:
    return _clean_text(
        body, max_length=BODY_MAX_LENGTH, empty=_("Vui lòng nhập nội dung hiến kế."), too_long=_("Nội dung quá dài.")
    )


def _clean_comment(body: str | None) -> str:
    return _clean_text(
        body,
        max_length=COMMENT_MAX_LENGTH,
        empty=_("Vui lòng nhập nội dung ý kiến."),
        too_long=_("Ý kiến quá dài."),
    )


def _theme_for(forum: Forum, theme_id: int | None) -> Theme | None:
    """The chosen theme, which must belong to ``forum``; required when the forum has themes."""
    if theme_id is None:
        if forum.themes:
            raise InvalidAction(_("Vui lòng chọn nhóm vấn đề."))
        return None
    theme = db.session.get(Theme, theme_id)
    if theme is None or theme.forum_id != forum.id:
        raise InvalidAction(_("Nhóm vấn đề không thuộc diễn đàn này. Vui lòng chọn lại."))
    return theme


# Proposals -------------------------------------------------------------------------------
def create_proposal(forum: Forum, *, title: str, body: str, theme_id: int | None = None, actor) -> Proposal:
    """Publish a new proposal by ``actor`` in ``forum``."""
    reason = submit_block_reason(forum, actor)
    if reason:
        raise PermissionDenied(reason)
    theme = _theme_for(forum, theme_id)
    body = _clean_body(body)
    proposal = Proposal(
        forum=forum,
        theme=theme,
        author_id=actor.id,
        title=_clean_title(title),
        body=body,
        body_html=render_markup(body),
        status=ProposalStatus.PUBLISHED.value,
    )
    db.session.add(proposal)
    db.session.flush()
    return proposal


def update_proposal(
    proposal: Proposal,
    *,
    title: str,
    body: str,
    theme_id: int | None = None,
    actor,
    now: datetime | None = None,
) -> Proposal:
    """Change the author's own proposal within the edit window; marks it as edited."""
    reason = edit_block_reason(proposal, actor, now=now)
    if reason:
        raise PermissionDenied(reason)
    theme = _theme_for(proposal.forum, theme_id)
    title, body = _clean_title(title), _clean_body(body)
    if (title, body, theme) == (proposal.title, proposal.body, proposal.theme):
        return proposal  # nothing changed: no "đã chỉnh sửa" marker
    proposal.title = title
    proposal.body = body
    proposal.body_html = render_markup(body)
    proposal.theme = theme
    proposal.edited_at = now or utcnow()
    db.session.flush()
    return proposal


def withdraw_proposal(proposal: Proposal, *, actor, reason: str = "", now: datetime | None = None) -> Proposal:
    """The author takes the proposal back; it stays readable with a "Đã rút" banner."""
    block = withdraw_block_reason(proposal, actor)
    if block:
        raise PermissionDenied(block)
    previous = proposal.status
    proposal.status = ProposalStatus.WITHDRAWN.value
    proposal.withdrawn_at = now or utcnow()
    record_audit(
        "proposal.withdraw",
        proposal,
        actor=actor,
        reason=normalize_text(reason),
        before={"status": previous},
        after={"status": proposal.status},
    )
    db.session.flush()
    return proposal


# Comments --------------------------------------------------------------------------------
def _reply_parent(proposal: Proposal, parent_id: int | None, actor) -> Comment | None:
    """The top-level comment a reply attaches to.

    A reply to a reply is attached to that reply's top-level comment (one level of
    nesting, and the conversation stays together). A parent that does not exist, sits
    on another proposal or is hidden from ``actor`` is refused.
    """
    if parent_id is None:
        return None
    parent = db.session.get(Comment, parent_id)
    if parent is None or parent.proposal_id != proposal.id or not parent.is_visible_to(actor):
        raise InvalidAction(_("Ý kiến bạn muốn trả lời không tồn tại hoặc đã bị ẩn."))
    if parent.parent_id is not None:
        parent = parent.parent
    if not parent.can_reply(actor):
        raise InvalidAction(_("Không thể trả lời ý kiến này."))
    return parent


def add_comment(proposal: Proposal, *, body: str, parent_id: int | None = None, actor) -> Comment:
    """Add an opinion (or a reply) and bump the proposal's comment count atomically."""
    reason = comment_block_reason(proposal, actor)
    if reason:
        raise PermissionDenied(reason)
    parent = _reply_parent(proposal, parent_id, actor)
    body = _clean_comment(body)
    comment = Comment(
        proposal_id=proposal.id,
        parent_id=parent.id if parent else None,
        author_id=actor.id,
        body=body,
        body_html=render_markup(body),
    )
    db.session.add(comment)
    db.session.flush()
    db.session.execute(
        sa.update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(comment_count=Proposal.comment_count + 1)
    )
    return comment


def update_comment(comment: Comment, *, body: str, actor, now: datetime | None = None) -> Comment:
    """Change the author's own comment within the edit window."""
    reason = comment_edit_block_reason(comment, actor, now=now)
    if reason:
        raise PermissionDenied(reason)
    body = _clean_comment(body)
    if body != comment.body:
        comment.body = body
        comment.body_html = render_markup(body)
        comment.edited_at = now or utcnow()
        db.session.flush()
    return comment


def comment_edit_deadline(comment: Comment) -> datetime:
    """Until when the writer may edit ``comment`` (the same window as proposals)."""
    created = comment.created_at if comment.created_at.tzinfo else comment.created_at.replace(tzinfo=UTC)
    return created + timedelta(minutes=current_app.config["EDIT_WINDOW_MINUTES"])


# Queries for the pages -------------------------------------------------------------------
def get_proposal(proposal_id: int) -> Proposal | None:
    """A proposal with its forum, theme and author, in one query."""
    return db.session.scalar(
        sa.select(Proposal)
        .where(Proposal.id == proposal_id)
        .options(so.joinedload(Proposal.forum), so.joinedload(Proposal.theme), so.joinedload(Proposal.author))
    )


def get_comment(comment_id: int) -> Comment | None:
    """A comment with its author and proposal (and the proposal's forum), in one query."""
    return db.session.scalar(
        sa.select(Comment)
        .where(Comment.id == comment_id)
        .options(
            so.joinedload(Comment.author),
            so.joinedload(Comment.proposal).joinedload(Proposal.forum),
        )
    )


def comment_thread(proposal: Proposal, viewer) -> list[tuple[Comment, list[Comment]]]:
    """Top-level comments oldest first, each with its replies oldest first, in one query.

    Hidden comments are left out for viewers who may not see them; so are the replies
    under a hidden top-level comment, since the thread they answer is hidden.
    """
    stmt = (
        sa.select(Comment)
        .where(Comment.proposal_id == proposal.id)
        .options(so.joinedload(Comment.author))
        .order_by(Comment.created_at, Comment.id)
    )
    if not (_is_logged_in(viewer) and viewer.is_moderator):
        visible = sa.not_(Comment.is_hidden)
        if _is_logged_in(viewer):
            visible = sa.or_(visible, Comment.author_id == viewer.id)
        stmt = stmt.where(visible)
    comments = db.session.scalars(stmt).all()
    replies: dict[int, list[Comment]] = {}
    for comment in comments:
        if comment.parent_id is not None:
            replies.setdefault(comment.parent_id, []).append(comment)
    return [(comment, replies.get(comment.id, [])) for comment in comments if comment.parent_id is None]
