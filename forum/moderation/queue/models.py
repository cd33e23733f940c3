"""Reports (``Báo cáo vi phạm``) and the moderation queue's items.

A ``QueueItem`` is one proposal or comment that needs a moderator: reported by someone,
or written by a new account in a forum that pre-moderates them (``awaiting_approval``).
It is waiting until a moderator acts on it (approve, dismiss, hide), then resolved; a
new report opens it again. ``report_count`` counts its open reports (those made since
it was last resolved); each person reports an item once, ever. ``forum_id`` is the
forum of the item's proposal, so the queue and its header count filter by the
moderator's forums on this table alone.
"""
import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from forum.core.database import utcnow
from forum.extensions import db


class ReportReason(enum.StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    FALSE = "false"
    DUPLICATE = "duplicate"
    OFF_TOPIC = "off_topic"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(REASON_LABELS[self])


REASON_LABELS = {
    ReportReason.SPAM: _l("Spam, quảng cáo"),
    ReportReason.ABUSE: _l("Xúc phạm, công kích cá nhân"),
    ReportReason.FALSE: _l("Thông tin sai sự thật"),
    ReportReason.DUPLICATE: _l("Trùng lặp với nội dung khác"),
    ReportReason.OFF_TOPIC: _l("Lạc đề"),
    ReportReason.OTHER: _l("Lý do khác"),
}


class ItemState(enum.StrEnum):
    WAITING = "waiting"
    RESOLVED = "resolved"


class Resolution(enum.StrEnum):
    APPROVED = "approved"  # the content stays (or is published, for a post waiting)
    DISMISSED = "dismissed"  # the reports were unfounded
    HIDDEN = "hidden"  # hidden by a moderator
    REJECTED = "rejected"  # a post waiting for approval, refused


class QueueItem(db.Model):
    __tablename__ = "moderation_items"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))  # "proposal" or "comment"
    proposal_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    comment_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), unique=True
    )
    forum_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    state: so.Mapped[str] = so.mapped_column(sa.String(10), default=ItemState.WAITING.value)
    awaiting_approval: so.Mapped[bool] = so.mapped_column(default=False)
    report_count: so.Mapped[int] = so.mapped_column(default=0)  # open reports
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    waiting_since: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    resolved_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    resolved_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    resolution: so.Mapped[str | None] = so.mapped_column(sa.String(20))

    reports: so.Mapped[list["Report"]] = so.relationship(
        back_populates="item", order_by="Report.id", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        sa.CheckConstraint("report_count >= 0", name="report_count_not_negative"),
        # One item per proposal (comment_id NULL) and per comment: the proposal's is found
        # by the partial index, the comment's by the unique comment_id.
        sa.Index(
            "ux_moderation_items_proposal", "proposal_id", unique=True,
            sqlite_where=sa.text("comment_id IS NULL"), postgresql_where=sa.text("comment_id IS NULL"),
        ),
        # The header count and the queue: waiting items of some forums.
        sa.Index("ix_moderation_items_state_forum", "state", "forum_id", "waiting_since"),
    )

    @property
    def target_id(self) -> int:
        return self.comment_id if self.comment_id is not None else self.proposal_id


class Report(db.Model):
    __tablename__ = "reports"

    DETAIL_MAX_LENGTH = 500

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    item_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("moderation_items.id", ondelete="CASCADE"))
    reporter_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: so.Mapped[str] = so.mapped_column(sa.String(20))
    detail: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    is_open: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)

    item: so.Mapped[QueueItem] = so.relationship(back_populates="reports")
    reporter: so.Mapped["User"] = so.relationship()  # noqa: F821

    __table_args__ = (sa.UniqueConstraint("item_id", "reporter_id", name="uq_reports_item_reporter"),)

    @property
    def reason_label(self) -> str:
        try:
            return ReportReason(self.reason).label
        except ValueError:
            return self.reason
