"""The mail outbox: every mail the site sends is first a row here, written in the
transaction of the action that sends it (a rolled-back action sends nothing), and
delivered after the commit by ``flask mail deliver``."""
import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.core.database import utcnow
from forum.extensions import db


class MailStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt (``next_attempt_at``)
    SENT = "sent"
    FAILED = "failed"  # refused for good, or out of attempts


class OutgoingMail(db.Model):
    __tablename__ = "mail_outbox"

    RECIPIENT_MAX_LENGTH = 254
    SUBJECT_MAX_LENGTH = 300
    ERROR_MAX_LENGTH = 1000

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recipient: so.Mapped[str] = so.mapped_column(sa.String(RECIPIENT_MAX_LENGTH))
    subject: so.Mapped[str] = so.mapped_column(sa.String(SUBJECT_MAX_LENGTH))
    body_text: so.Mapped[str] = so.mapped_column(sa.Text)
    body_html: so.Mapped[str | None] = so.mapped_column(sa.Text)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=MailStatus.PENDING.value)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    last_error: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status_known"),
        sa.Index("ix_mail_outbox_due", "status", "next_attempt_at"),
    )

    def __repr__(self) -> str:
        return f"<OutgoingMail {self.id} {self.status} to={self.recipient}>"


class Notification(db.Model):
    """One event for one person, shown on /notifications until read (never deleted by the
    app; reading sets ``read_at``)."""

    __tablename__ = "notifications"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))  # an inbox.NotificationKind value
    proposal_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    comment_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"))
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Kind-specific details shown with the text: a moderator's reason, the proposal merged into.
    details: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    read_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))

    recipient: so.Mapped["User"] = so.relationship(foreign_keys=[user_id])  # noqa: F821
    proposal: so.Mapped["Proposal | None"] = so.relationship()  # noqa: F821
    actor: so.Mapped["User | None"] = so.relationship(foreign_keys=[actor_id])  # noqa: F821

    __table_args__ = (
        # The header's unread count and the page, newest first, both by user.
        sa.Index("ix_notifications_user_unread", "user_id", "read_at"),
        sa.Index("ix_notifications_user_newest", "user_id", "id"),
    )

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} to={self.user_id}>"


class NotificationSettings(db.Model):
    """A person's choices; no row means the defaults (mail on when the site sends mail)."""

    __tablename__ = "notification_settings"

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email_enabled: so.Mapped[bool] = so.mapped_column(default=True)
