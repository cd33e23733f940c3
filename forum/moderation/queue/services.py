"""Reports, the moderation queue, pre-moderation, hiding and locking.

Who may act: the moderators of the item's forum (``forums.moderators.can_moderate``),
organizers and admins everywhere; each action checks every item it touches before it
changes anything, so a bulk action with one item outside the actor's forums is refused
as a whole. Every action writes one audit entry per item. The rows of proposals and
comments change through ``forum.proposals.services`` (which keeps the counts and, through
the outbox, search); this module owns the queue's rows. Never commits.

Each action returns ``ModerationEvent``s: what happened to whose post, for whoever
notifies authors.
"""
import enum
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forum.core.audit import record_audit
from forum.core.database import utcnow
from forum.core.errors import InvalidAction, PermissionDenied
from forum.core.permissions import is_active_user
from forum.core.text import is_visually_blank, normalize_text
from forum.extensions import db
from forum.forums.moderators import ALL_FORUMS, can_moderate, moderated_forum_ids
from forum.moderation.queue.models import ItemState, QueueItem, Report, ReportReason, Resolution
from forum.proposals import services as proposals
from forum.proposals.models import Comment, HiddenCause, Proposal

DEFAULT_REPORTS_TO_HIDE = 3
HIDE_REASON_MAX_LENGTH = Proposal.HIDDEN_REASON_MAX_LENGTH


class Kind(enum.StrEnum):
    PROPOSAL = "proposal"
    COMMENT = "comment"


class QueueAction(enum.StrEnum):
    APPROVE = "approve"
    DISMISS = "dismiss"
    HIDE = "hide"
    LOCK = "lock"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS[self])


ACTION_LABELS = {
    QueueAction.APPROVE: _l("Duyệt, giữ nội dung"),
    QueueAction.DISMISS: _l("Bỏ qua báo cáo"),
    QueueAction.HIDE: _l("Ẩn (cần lý do)"),
    QueueAction.LOCK: _l("Khóa thảo luận"),
}


class QueueSort(enum.StrEnum):
    REPORTS = "reports"
    OLDEST = "oldest"
    NEWEST = "newest"

    @classmethod
    def parse(cls, value) -> "QueueSort":
        try:
            return cls(value)
        except ValueError:
            return cls.REPORTS


@dataclass(frozen=True)
class ModerationEvent:
    """What happened to whose post: ``action`` is one of hidden, unhidden, approved,
    rejected, auto_hidden, reports_dismissed, locked, unlocked."""

    action: str
    kind: str
    target_id: int
    proposal_id: int
    author_id: int
    actor_id: int | None
    reason: str = ""


def reports_to_hide() -> int:
    """How many people must report an item for it to be hidden pending review."""
    return int(current_app.config.get("REPORTS_TO_HIDE") or DEFAULT_REPORTS_TO_HIDE)


def kind_of(post) -> str:
    return Kind.COMMENT if isinstance(post, Comment) else Kind.PROPOSAL


def proposal_of(post) -> Proposal:
    return post.proposal if isinstance(post, Comment) else post


def _event(action: str, post, actor, reason: str = "") -> ModerationEvent:
    return ModerationEvent(
        action=action, kind=kind_of(post), target_id=post.id, proposal_id=proposal_of(post).id,
        author_id=post.author_id, actor_id=getattr(actor, "id", None), reason=reason,
    )


def can_moderate_post(user, post) -> bool:
    return is_active_user(user) and can_moderate(user, proposal_of(post).forum_id)


def _require_scope(actor, post) -> None:
    if not is_active_user(actor) or not actor.is_moderator:
        raise PermissionDenied(_("Chỉ điều hành viên, Ban Tổ chức và quản trị hệ thống mới được làm việc này."))
    if not can_moderate_post(actor, post):
        raise PermissionDenied(
            _("Bạn không điều hành diễn đàn số %(number)s, nơi có nội dung này.", number=proposal_of(post).forum.number)
        )


def _clean_reason(reason: str | None, *, required: bool) -> str:
    text = normalize_text(reason or "")
    if text and is_visually_blank(text):
        raise InvalidAction(_("Lý do chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng nhập lý do có chữ."))
    if required and not text:
        raise InvalidAction(_("Vui lòng nhập lý do ẩn: tác giả sẽ đọc được lý do này."))
    if len(text) > HIDE_REASON_MAX_LENGTH:
        raise InvalidAction(_("Lý do quá dài (tối đa %(max)s ký tự).", max=HIDE_REASON_MAX_LENGTH))
    return text


# Queue items ------------------------------------------------------------------------
def item_for(post) -> QueueItem | None:
    """The queue item of a proposal or comment, if it ever had one."""
    if isinstance(post, Comment):
        return db.session.scalar(sa.select(QueueItem).where(QueueItem.comment_id == post.id))
    return db.session.scalar(
        sa.select(QueueItem).where(QueueItem.proposal_id == post.id, QueueItem.comment_id.is_(None))
    )


def _item_for_update(post) -> QueueItem:
    item = item_for(post)
    if item is None:
        proposal = proposal_of(post)
        item = QueueItem(
            kind=kind_of(post), proposal_id=proposal.id, forum_id=proposal.forum_id,
            comment_id=post.id if isinstance(post, Comment) else None, state=ItemState.WAITING.value,
        )
        db.session.add(item)
        db.session.flush()
    return item


def _reopen(item: QueueItem) -> None:
    if item.state != ItemState.WAITING:
        item.state = ItemState.WAITING.value
        item.waiting_since = utcnow()
        item.resolution = None
        item.resolved_at = None
        item.resolved_by_id = None


def enqueue_for_approval(post) -> None:
    """A new account's post waits for approval (``proposals.services.needs_approval``)."""
    item = _item_for_update(post)
    item.awaiting_approval = True
    _reopen(item)
    db.session.flush()


proposals.on_awaiting_approval(enqueue_for_approval)


def _resolve(item: QueueItem | None, resolution: Resolution, actor) -> int:
    """Close ``item`` and its open reports; returns how many reports were open."""
    if item is None or item.state == ItemState.RESOLVED:
        return 0
    closed = db.session.execute(
        sa.update(Report).where(Report.item_id == item.id, Report.is_open.is_(True)).values(is_open=False)
    ).rowcount
    item.state = ItemState.RESOLVED.value
    item.resolution = resolution.value
    item.resolved_at = utcnow()
    item.resolved_by_id = actor.id
    item.report_count = 0
    item.awaiting_approval = False
    db.session.flush()
    return closed


def follow_moved_posts(proposal_ids) -> None:
    """Keep the items of these proposals, and of the comments now on them, with the
    forum (and, for a comment, the proposal) they are on now: after a move to another
    forum, or a merge (or its undo) that carried comments across, the queue of the
    right moderators shows them."""
    ids = list(proposal_ids)
    current_proposal = sa.select(Comment.proposal_id).where(Comment.id == QueueItem.comment_id).scalar_subquery()
    db.session.execute(
        sa.update(QueueItem)
        .where(QueueItem.comment_id.in_(sa.select(Comment.id).where(Comment.proposal_id.in_(ids))))
        .values(proposal_id=current_proposal)
        .execution_options(synchronize_session="fetch")
    )
    current_forum = sa.select(Proposal.forum_id).where(Proposal.id == QueueItem.proposal_id).scalar_subquery()
    db.session.execute(
        sa.update(QueueItem).where(QueueItem.proposal_id.in_(ids)).values(forum_id=current_forum)
        .execution_options(synchronize_session="fetch")
    )


# Reports ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportOutcome:
    report: Report
    auto_hidden: bool
    events: list = field(default_factory=list)


def report_block_reason(post, user) -> str | None:
    """Why ``user`` may not report ``post`` (None: they may)."""
    if not is_active_user(user):
        return _("Vui lòng đăng nhập để báo cáo vi phạm.")
    if post.author_id == user.id:
        return _("Bạn không thể báo cáo nội dung của chính mình.")
    if post.is_hidden and post.hidden_cause != HiddenCause.REPORTS:
        return _("Nội dung này đã bị ẩn.")
    return None


def has_reported(post, user) -> bool:
    if not is_active_user(user):
        return False
    item = item_for(post)
    return item is not None and db.session.scalar(
        sa.select(sa.exists().where(Report.item_id == item.id, Report.reporter_id == user.id))
    )


def report_content(post, *, reason: str, detail: str = "", actor) -> ReportOutcome:
    """``actor`` reports ``post`` (a Proposal or Comment they can see), once. When the
    item's open reports reach ``REPORTS_TO_HIDE`` it is hidden at once, pending review."""
    block = report_block_reason(post, actor)
    if block:
        raise PermissionDenied(block)
    try:
        reason = ReportReason(reason)
    except ValueError:
        raise InvalidAction(_("Vui lòng chọn lý do báo cáo.")) from None
    detail = normalize_text(detail or "")
    if detail and is_visually_blank(detail):
        raise InvalidAction(_("Mô tả chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng viết có chữ hoặc để trống."))
    if len(detail) > Report.DETAIL_MAX_LENGTH:
        raise InvalidAction(_("Mô tả quá dài (tối đa %(max)s ký tự).", max=Report.DETAIL_MAX_LENGTH))
    if reason == ReportReason.OTHER and not detail:
        raise InvalidAction(_("Với lý do khác, vui lòng mô tả ngắn vi phạm."))
    item = _item_for_update(post)
    if db.session.scalar(sa.select(sa.exists().where(Report.item_id == item.id, Report.reporter_id == actor.id))):
        raise InvalidAction(_("Bạn đã báo cáo nội dung này. Điều hành viên sẽ xem xét."))
    report = Report(item_id=item.id, reporter_id=actor.id, reason=reason.value, detail=detail)
    db.session.add(report)
    _reopen(item)
    item.report_count = QueueItem.report_count + 1  # atomic: concurrent reports add up
    db.session.flush()
    db.session.refresh(item, ["report_count"])
    events = []
    auto_hidden = False
    if item.report_count >= reports_to_hide() and not post.is_hidden:
        setter = proposals.set_comment_hidden if isinstance(post, Comment) else proposals.set_proposal_hidden
        auto_hidden = setter(post, hidden=True, cause=HiddenCause.REPORTS.value)
        if auto_hidden:
            record_audit(
                "moderation.auto_hide", post, actor=actor,
                reason=_("Bị %(count)s người báo cáo; ẩn chờ điều hành viên xem xét.", count=item.report_count),
                before={"is_hidden": False}, after={"is_hidden": True},
            )
            events.append(_event("auto_hidden", post, None))
    return ReportOutcome(report=report, auto_hidden=auto_hidden, events=events)


# Hiding and locking, one post at a time (the proposal page) ----------------------------
def _set_hidden(post, **values) -> bool:
    setter = proposals.set_comment_hidden if isinstance(post, Comment) else proposals.set_proposal_hidden
    return setter(post, **values)


def _hide(post, item: QueueItem | None, *, reason: str, actor) -> ModerationEvent:
    rejected = post.awaiting_approval
    cause = HiddenCause.REJECTED if rejected else HiddenCause.MODERATOR
    before = {"is_hidden": post.is_hidden}
    _set_hidden(post, hidden=True, cause=cause.value, reason=reason, by=actor)
    reports = _resolve(item, Resolution.REJECTED if rejected else Resolution.HIDDEN, actor)
    record_audit(
        "moderation.reject" if rejected else "moderation.hide", post, actor=actor, reason=reason,
        before=before, after={"is_hidden": True, **({"reports": reports} if reports else {})},
    )
    return _event("rejected" if rejected else "hidden", post, actor, reason)


def hide_post(post, *, reason: str, actor) -> list[ModerationEvent]:
    """Hide a proposal or comment with a reason its author reads; others see that a
    moderator hid it. Its open reports (or its wait for approval) are resolved."""
    _require_scope(actor, post)
    reason = _clean_reason(reason, required=True)
    proposals.lock_posts([post])
    if post.is_hidden and post.hidden_cause in (HiddenCause.MODERATOR, HiddenCause.REJECTED, None):
        raise InvalidAction(_("Nội dung này đã bị ẩn."))
    return [_hide(post, item_for(post), reason=reason, actor=actor)]


def unhide_post(post, *, actor, reason: str = "") -> list[ModerationEvent]:
    """Show a hidden proposal or comment again (a post waiting for approval: publish it)."""
    _require_scope(actor, post)
    reason = _clean_reason(reason, required=False)
    proposals.lock_posts([post])
    if not post.is_hidden:
        raise InvalidAction(_("Nội dung này không bị ẩn."))
    _set_hidden(post, hidden=False)
    _resolve(item_for(post), Resolution.APPROVED, actor)
    record_audit("moderation.unhide", post, actor=actor, reason=reason,
                 before={"is_hidden": True}, after={"is_hidden": False})
    return [_event("unhidden", post, actor, reason)]


def lock_thread(proposal: Proposal, *, actor, reason: str = "") -> list[ModerationEvent]:
    """Lock a proposal's thread: no new comments, supports, withdrawals of support or
    edits by its author, until it is unlocked."""
    return _set_locked(proposal, True, actor=actor, reason=reason)


def unlock_thread(proposal: Proposal, *, actor, reason: str = "") -> list[ModerationEvent]:
    return _set_locked(proposal, False, actor=actor, reason=reason)


def _set_locked(proposal: Proposal, locked: bool, *, actor, reason: str) -> list[ModerationEvent]:
    _require_scope(actor, proposal)
    reason = _clean_reason(reason, required=False)
    proposals.lock_posts([proposal])
    if not proposals.set_proposal_locked(proposal, locked=locked):
        raise InvalidAction(_("Thảo luận đã bị khóa.") if locked else _("Thảo luận đang không bị khóa."))
    record_audit("moderation.lock" if locked else "moderation.unlock", proposal, actor=actor, reason=reason,
                 before={"is_locked": not locked}, after={"is_locked": locked})
    return [_event("locked" if locked else "unlocked", proposal, actor, reason)]


# The queue ----------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueEntry:
    """One line of the queue: the item, its post (and the post's proposal) and its open
    reports by reason, most frequent first."""

    item: QueueItem
    proposal: Proposal
    comment: Comment | None
    reasons: list  # [(label, count)]
    details: list  # [Report] with a detail, open ones

    @property
    def post(self):
        return self.comment if self.comment is not None else self.proposal


def _scope_condition(user):
    scope = moderated_forum_ids(user)
    if scope is ALL_FORUMS:
        return sa.true()
    if not scope:
        return None
    return QueueItem.forum_id.in_(sorted(scope))


def waiting_count(user) -> int:
    """How many items wait in ``user``'s queue (0 for anyone but staff): one query."""
    if not is_active_user(user) or not user.is_moderator:
        return 0
    scope = _scope_condition(user)
    if scope is None:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(QueueItem).where(QueueItem.state == ItemState.WAITING, scope)
    )


def list_queue(user, *, forum_id: int | None = None, kind: str | None = None, reason: str | None = None,
               state: str = ItemState.WAITING, sort: QueueSort = QueueSort.REPORTS, page: int = 1,
               per_page: int = 30) -> proposals.Page:
    """One page of ``user``'s queue, filtered, in a constant number of queries (count,
    items with their reports, their proposals, their comments)."""
    scope = _scope_condition(user) if is_active_user(user) and user.is_moderator else None
    if scope is None:
        return proposals.Page(items=[], page=1, per_page=per_page, total=0)
    conditions = [scope, QueueItem.state == (state if state in tuple(ItemState) else ItemState.WAITING)]
    if forum_id is not None:
        conditions.append(QueueItem.forum_id == forum_id)
    if kind in tuple(Kind):
        conditions.append(QueueItem.kind == kind)
    if reason in tuple(ReportReason):
        conditions.append(sa.exists().where(Report.item_id == QueueItem.id, Report.reason == reason))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(QueueItem).where(*conditions))
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    order = {
        QueueSort.REPORTS: [QueueItem.report_count.desc(), QueueItem.waiting_since, QueueItem.id],
        QueueSort.OLDEST: [QueueItem.waiting_since, QueueItem.id],
        QueueSort.NEWEST: [QueueItem.waiting_since.desc(), QueueItem.id.desc()],
    }[QueueSort.parse(sort)]
    items = db.session.scalars(
        sa.select(QueueItem).where(*conditions).order_by(*order).limit(per_page).offset((page - 1) * per_page)
        .options(so.selectinload(QueueItem.reports))
    ).all()
    found_proposals = proposals.get_proposals_by_id(item.proposal_id for item in items)
    found_comments = proposals.get_comments_by_id(item.comment_id for item in items if item.comment_id)
    entries = []
    for item in items:
        proposal = found_proposals.get(item.proposal_id)
        comment = found_comments.get(item.comment_id) if item.comment_id else None
        if proposal is None or (item.comment_id and comment is None):
            continue
        shown = [report for report in item.reports if report.is_open or state == ItemState.RESOLVED]
        counts: dict = {}
        for report in shown:
            counts[report.reason_label] = counts.get(report.reason_label, 0) + 1
        entries.append(QueueEntry(
            item=item, proposal=proposal, comment=comment,
            reasons=sorted(counts.items(), key=lambda pair: -pair[1]),
            details=[report for report in shown if report.detail],
        ))
    return proposals.Page(items=entries, page=page, per_page=per_page, total=total)


def act_on_items(item_ids, action: str, *, reason: str = "", actor) -> list[ModerationEvent]:
    """Apply ``action`` (a ``QueueAction``) to each item of ``item_ids``. Every item is
    checked (the actor's forums, the item's state) before anything changes: one item
    that may not be touched refuses the whole request."""
    try:
        action = QueueAction(action)
    except ValueError:
        raise InvalidAction(_("Vui lòng chọn một thao tác.")) from None
    ids = sorted({int(item_id) for item_id in item_ids})
    if not ids:
        raise InvalidAction(_("Vui lòng chọn ít nhất một mục trong hàng chờ."))
    items = db.session.scalars(sa.select(QueueItem).where(QueueItem.id.in_(ids)).order_by(QueueItem.id)).all()
    if len(items) != len(ids):
        raise InvalidAction(_("Có mục không còn trong hàng chờ. Vui lòng tải lại trang."))
    found_proposals = proposals.get_proposals_by_id(item.proposal_id for item in items)
    found_comments = proposals.get_comments_by_id(item.comment_id for item in items if item.comment_id)
    posts = [found_comments[item.comment_id] if item.comment_id else found_proposals[item.proposal_id]
             for item in items]
    if not is_active_user(actor) or not actor.is_moderator:
        raise PermissionDenied(_("Chỉ điều hành viên, Ban Tổ chức và quản trị hệ thống mới được làm việc này."))
    foreign = sorted({proposal_of(post).forum.number for post in posts if not can_moderate_post(actor, post)})
    if foreign:
        raise PermissionDenied(_(
            "Không thực hiện: có mục thuộc diễn đàn số %(numbers)s, bạn không điều hành. Không mục nào bị thay đổi.",
            numbers=", ".join(str(number) for number in foreign),
        ))
    if action == QueueAction.HIDE:
        reason = _clean_reason(reason, required=True)
    else:
        reason = _clean_reason(reason, required=False)
    # Serialised with merges and with another moderator acting on the same items: the
    # checks below read the items as they are once the rows are ours.
    proposals.lock_posts(posts)
    db.session.execute(
        sa.select(QueueItem).where(QueueItem.id.in_(ids)).execution_options(populate_existing=True)
    ).all()
    if action != QueueAction.LOCK and any(item.state == ItemState.RESOLVED for item in items):
        raise InvalidAction(_("Có mục đã được xử lý. Không mục nào bị thay đổi."))
    if action == QueueAction.DISMISS and any(item.awaiting_approval for item in items):
        raise InvalidAction(_(
            "Bài chờ duyệt không có báo cáo để bỏ qua: hãy chọn Duyệt hoặc Ẩn. Không mục nào bị thay đổi."
        ))
    events: list[ModerationEvent] = []
    locked: set[int] = set()
    for item, post in zip(items, posts):
        if action == QueueAction.LOCK:
            proposal = proposal_of(post)
            if proposal.id not in locked and not proposal.is_locked:
                events += lock_thread(proposal, actor=actor, reason=reason)
            locked.add(proposal.id)
        elif action == QueueAction.HIDE:
            events.append(_hide(post, item, reason=reason, actor=actor))
        else:
            events.append(_approve_or_dismiss(post, item, action, reason=reason, actor=actor))
    return events


def _approve_or_dismiss(post, item: QueueItem, action: QueueAction, *, reason: str, actor) -> ModerationEvent:
    """Approve: the post stays (a post waiting for approval is published). Dismiss: its
    reports were unfounded. Either way a post hidden by its reports shows again."""
    was_hidden = post.is_hidden
    publish = post.is_hidden and post.hidden_cause in (HiddenCause.PENDING, HiddenCause.REPORTS)
    if publish:
        _set_hidden(post, hidden=False)
    approved = action == QueueAction.APPROVE
    reports = _resolve(item, Resolution.APPROVED if approved else Resolution.DISMISSED, actor)
    record_audit(
        "moderation.approve" if approved else "moderation.dismiss_reports", post, actor=actor, reason=reason,
        before={"is_hidden": was_hidden, "reports": reports}, after={"is_hidden": post.is_hidden, "reports": 0},
    )
    return _event("approved" if approved else "reports_dismissed", post, actor, reason)


@dataclass(frozen=True)
class ForumBacklog:
    """What waits for a moderator in one forum (the organizers' dashboard)."""

    forum_id: int
    waiting: int  # items waiting, whatever brought them
    reported: int  # of which reported by someone (open reports)
    awaiting_approval: int  # of which new accounts' posts waiting for approval
    oldest: datetime | None  # since when the longest-waiting item waits (UTC)


def count_waiting_by_forum() -> dict[int, ForumBacklog]:
    """{forum_id: ForumBacklog} of the forums with items waiting: one GROUP BY query on
    the queue's index (state, forum_id, waiting_since)."""
    waiting = QueueItem.state == ItemState.WAITING
    rows = db.session.execute(
        sa.select(
            QueueItem.forum_id,
            sa.func.count(),
            sa.func.count(sa.case((QueueItem.report_count > 0, 1))),
            sa.func.count(sa.case((QueueItem.awaiting_approval.is_(True), 1))),
            sa.func.min(QueueItem.waiting_since),
        )
        .where(waiting)
        .group_by(QueueItem.forum_id)
    )
    return {row[0]: ForumBacklog(*row) for row in rows}
