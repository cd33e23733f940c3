"""In-app notifications (Thông báo): what happened to a person's proposals and comments.

A notification is written in the transaction of the action that causes it (a rolled-back
action notifies nobody), never to the person who acted, and, when the site sends mail and
the person has not turned it off, with a mail through the outbox (``queue_mail``),
delivered after the commit by ``flask mail deliver``. The texts are composed when shown,
from the kind and the proposal's current title, so they follow the reader's language.

The domains that cause notifications sit below this one: their views (which compose
domains) call ``notify_*`` after the service that did the work.
"""
import enum
from contextlib import nullcontext
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from forum.core.database import utcnow
from forum.core.permissions import is_active_user
from forum.extensions import db
from forum.notifications.models import Notification, NotificationSettings
from forum.notifications.services import MAIL_LOCALE, mail_configured, queue_mail
from forum.proposals.models import Comment, Proposal
from forum.proposals.services import Page, get_comment

PER_PAGE = 30


class NotificationKind(enum.StrEnum):
    """What happened to something of the recipient's. The text is written when the
    notification is shown, in the reader's language, from the kind and its proposal."""

    COMMENT = "comment"  # someone commented on your proposal
    REPLY = "reply"  # someone replied to your comment
    ANSWERED = "answered"  # your proposal got an official answer
    HIDDEN = "hidden"  # a moderator hid your proposal or comment
    UNHIDDEN = "unhidden"  # …and showed it again
    MERGED = "merged"  # your proposal was merged into another
    MOVED = "moved"  # your proposal was moved to another theme or forum
    APPROVED = "approved"  # your post waiting for a moderator was published


def _recipients(*user_ids: int | None, actor) -> list[int]:
    """The distinct ids given, without the actor (nobody is told of their own action)."""
    actor_id = actor.id if is_active_user(actor) else None
    seen: list[int] = []
    for user_id in user_ids:
        if user_id is not None and user_id != actor_id and user_id not in seen:
            seen.append(user_id)
    return seen


def notify(user_id: int, kind: NotificationKind, *, proposal: Proposal | None = None,
           comment: Comment | None = None, actor=None, details: dict | None = None,
           proposal_id: int | None = None, comment_id: int | None = None) -> Notification:
    """Record one notification (flushed) and queue its mail when the person gets mail.
    The proposal and comment are given as rows or, where the caller holds only their ids,
    as ``proposal_id`` and ``comment_id``."""
    notification = Notification(
        user_id=user_id,
        kind=kind.value,
        proposal_id=proposal.id if proposal is not None else proposal_id,
        comment_id=comment.id if comment is not None else comment_id,
        actor_id=actor.id if is_active_user(actor) else None,
        details=details or {},
        created_at=utcnow(),
    )
    db.session.add(notification)
    db.session.flush()
    _queue_mail_for(notification, proposal)
    return notification


def notify_about_comment(comment: Comment, *, actor) -> list[Notification]:
    """A new comment tells the proposal's author; a reply also tells the comment's writer.
    A comment that is not shown to everyone (hidden, waiting for a moderator) tells no one
    yet: the moderator's approval does."""
    if comment.is_hidden:
        return []
    proposal = comment.proposal
    sent = []
    parent_author = comment.parent.author_id if comment.parent_id is not None else None
    for user_id in _recipients(parent_author, proposal.author_id, actor=actor):
        kind = NotificationKind.REPLY if user_id == parent_author else NotificationKind.COMMENT
        sent.append(notify(user_id, kind, proposal=proposal, comment=comment, actor=actor))
    return sent


def notify_author(proposal: Proposal, kind: NotificationKind, *, actor, comment: Comment | None = None,
                  details: dict | None = None) -> Notification | None:
    """Tell the author of ``proposal`` (or of ``comment``) what a moderator did to it."""
    author_id = comment.author_id if comment is not None else proposal.author_id
    if not _recipients(author_id, actor=actor):
        return None
    return notify(author_id, kind, proposal=proposal, comment=comment, actor=actor, details=details)


def notify_of_curation(event, kind: NotificationKind, *, actor, reason: str = "") -> Notification | None:
    """Tell a proposal's author what a moderation action did to it, from the action's event
    (anything with ``author_id`` and ``proposal_id``, as the moderation services return)."""
    if event is None or not _recipients(event.author_id, actor=actor):
        return None
    return notify(event.author_id, kind, proposal_id=event.proposal_id, actor=actor,
                  details={"reason": reason} if reason else None)


# What a moderation event tells the post's author; the others (locks, dismissed reports)
# tell nobody.
MODERATION_KINDS = {
    "hidden": NotificationKind.HIDDEN,
    "auto_hidden": NotificationKind.HIDDEN,
    "rejected": NotificationKind.HIDDEN,
    "unhidden": NotificationKind.UNHIDDEN,
    "approved": NotificationKind.APPROVED,
}


def notify_of_moderation(events, *, actor) -> list[Notification]:
    """Tell authors what the moderation queue's actions did to their posts (the events the
    queue's services return). A post hidden by reports names no actor: reporters stay
    anonymous. An approved comment also tells whom a new comment tells."""
    sent = []
    for event in events:
        kind = MODERATION_KINDS.get(event.action)
        if kind is None:
            continue
        by = None if event.action == "auto_hidden" else actor
        comment_id = event.target_id if event.kind == "comment" else None
        if _recipients(event.author_id, actor=by):
            sent.append(notify(event.author_id, kind, proposal_id=event.proposal_id, comment_id=comment_id,
                               actor=by, details={"reason": event.reason} if event.reason else None))
        if kind == NotificationKind.APPROVED and comment_id is not None:
            comment = get_comment(comment_id)
            sent += notify_about_comment(comment, actor=comment.author)
    return sent


def notify_of_merge(result, *, actor) -> Notification | None:
    """The merged proposal's author is told (and credited as co-author of the other)."""
    if not _recipients(result.source_author_id, actor=actor):
        return None
    return notify(result.source_author_id, NotificationKind.MERGED, proposal_id=result.merge.source_id, actor=actor)


# Reading ----------------------------------------------------------------------------------
def count_unread(user) -> int:
    """The header's number: one indexed count."""
    if not is_active_user(user):
        return 0
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def list_notifications(user, *, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """The person's notifications, newest first, with their proposals and actors loaded."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(Notification.user_id == user.id))
    page = max(1, min(page, max(1, -(-total // per_page))))
    items = list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .options(sa.orm.joinedload(Notification.proposal), sa.orm.joinedload(Notification.actor))
            .order_by(Notification.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return Page(items=items, page=page, per_page=per_page, total=total)


def get_own_notification(user, notification_id: int) -> Notification | None:
    """The notification if it is ``user``'s; someone else's is as good as missing."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or not is_active_user(user) or notification.user_id != user.id:
        return None
    return notification


def mark_read(notification: Notification, *, now: datetime | None = None) -> None:
    if notification.read_at is None:
        notification.read_at = now or utcnow()


def mark_all_read(user, *, now: datetime | None = None) -> int:
    """Every unread notification of ``user`` read; how many were."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
    )
    return result.rowcount


def target_url(notification: Notification) -> str:
    """Where a notification leads: the comment, else the proposal, else the list."""
    if notification.comment_id is not None:
        return url_for("proposals.comment", comment_id=notification.comment_id)
    if notification.proposal_id is not None:
        return url_for("proposals.detail", proposal_id=notification.proposal_id)
    return url_for("notifications.index")


def describe(notification: Notification) -> str:
    """The notification's sentence in the current language."""
    title = notification.proposal.title if notification.proposal is not None else ""
    actor = notification.actor.full_name if notification.actor is not None else _("Điều hành viên")
    kind = notification.kind
    if kind == NotificationKind.COMMENT:
        return _("%(name)s đã góp ý kiến về hiến kế “%(title)s” của bạn.", name=actor, title=title)
    if kind == NotificationKind.REPLY:
        return _("%(name)s đã trả lời ý kiến của bạn về hiến kế “%(title)s”.", name=actor, title=title)
    if kind == NotificationKind.ANSWERED:
        return _("Hiến kế “%(title)s” của bạn đã có trả lời chính thức của diễn đàn.", title=title)
    if kind == NotificationKind.HIDDEN:
        if notification.comment_id is not None:
            return _("Điều hành viên đã ẩn một ý kiến của bạn về hiến kế “%(title)s”.", title=title)
        return _("Điều hành viên đã ẩn hiến kế “%(title)s” của bạn.", title=title)
    if kind == NotificationKind.UNHIDDEN:
        if notification.comment_id is not None:
            return _("Ý kiến của bạn về hiến kế “%(title)s” đã được hiển thị lại.", title=title)
        return _("Hiến kế “%(title)s” của bạn đã được hiển thị lại.", title=title)
    if kind == NotificationKind.MERGED:
        return _("Hiến kế “%(title)s” của bạn đã được gộp vào một hiến kế cùng nội dung; bạn là đồng tác giả.",
                 title=title)
    if kind == NotificationKind.MOVED:
        return _("Hiến kế “%(title)s” của bạn đã được chuyển sang nhóm vấn đề hoặc diễn đàn khác.", title=title)
    if kind == NotificationKind.APPROVED:
        if notification.comment_id is not None:
            return _("Ý kiến của bạn về hiến kế “%(title)s” đã được duyệt và hiển thị.", title=title)
        return _("Hiến kế “%(title)s” của bạn đã được duyệt và hiển thị.", title=title)
    return title


def detail_text(notification: Notification) -> str:
    """A moderator's reason, when the action had one."""
    return str((notification.details or {}).get("reason", ""))


# Settings and mail ----------------------------------------------------------------------------
def email_enabled(user_id: int) -> bool:
    settings = db.session.get(NotificationSettings, user_id)
    return settings is None or settings.email_enabled


def set_email_enabled(user, enabled: bool) -> bool:
    """Turn notification mail on or off for ``user``; False when it already was so."""
    settings = db.session.get(NotificationSettings, user.id)
    if settings is None:
        if enabled:
            return False
        db.session.add(NotificationSettings(user_id=user.id, email_enabled=False))
        return True
    if settings.email_enabled == enabled:
        return False
    settings.email_enabled = enabled
    return True


def _queue_mail_for(notification: Notification, proposal: Proposal | None) -> None:
    if not mail_configured() or not email_enabled(notification.user_id):
        return
    recipient = notification.recipient
    if recipient is None or not recipient.is_active_account or not recipient.email:
        return
    if proposal is not None and notification.proposal is None:
        notification.proposal = proposal
    site = current_app.config["SITE_URL"].rstrip("/")
    # Links need a request to be built; a command-line action (no request) gets one.
    context = nullcontext() if has_request_context() else current_app.test_request_context(base_url=site)
    with context, force_locale(MAIL_LOCALE):
        sentence = describe(notification)
        reason = detail_text(notification)
        link = site + target_url(notification)
        settings_link = site + url_for("notifications.index") + "#cai-dat"
        lines = [
            _("Kính gửi %(name)s,", name=recipient.full_name),
            "",
            sentence,
        ]
        if reason:
            lines.append(_("Lý do: %(reason)s", reason=reason))
        lines += [
            "",
            _("Xem tại: %(link)s", link=link),
            "",
            _("Bạn nhận thư này vì đã bật thông báo qua email trên trang Hiến kế. Tắt tại: %(link)s",
              link=settings_link),
        ]
        subject = _("[Hiến kế] %(sentence)s", sentence=sentence)
    queue_mail(recipient.email, subject, "\n".join(lines))
