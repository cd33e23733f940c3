"""The audit log: who did what to which object, when and why.

Every domain writes it (staff actions, CLI maintenance), so it lives in core, below them
all. ``actor`` names the ``users`` table by string only: core imports no domain."""
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.core.database import utcnow
from forum.extensions import db


class AuditEntry(db.Model):
    """Append-only; written in the same transaction as the action it records."""

    __tablename__ = "audit_entries"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: so.Mapped[str] = so.mapped_column(sa.String(60))
    target_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    target_id: so.Mapped[int | None] = so.mapped_column()
    reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    details: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    created_at: so.Mapped[datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow, index=True
    )

    actor: so.Mapped["User | None"] = so.relationship()  # noqa: F821

    __table_args__ = (sa.Index("ix_audit_entries_target", "target_type", "target_id"),)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.target_type}:{self.target_id}>"


def record_audit(action: str, target, *, actor=None, reason: str = "", **details) -> AuditEntry:
    """Add an audit entry for ``action`` on ``target`` (a model instance); never commits."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=getattr(target, "__tablename__", type(target).__name__.lower()),
        target_id=getattr(target, "id", None),
        reason=reason,
        details=details,
    )
    db.session.add(entry)
    return entry
