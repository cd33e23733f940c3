"""The audit log: who did what to which object, when, why, and from where.

Every domain writes it (staff actions, CLI maintenance), so it lives in core, below them
all. ``actor`` names the ``users`` table by string only: core imports no domain.
"""
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import has_request_context, request

from forum.core.database import utcnow
from forum.core.request_id import current_request_id
from forum.extensions import db

# What an entry says instead of a client address when the action ran at the console.
CONSOLE = "cli"
# The actor role of an entry written for a visitor who is not logged in (a failed login).
ANONYMOUS = "anonymous"
# The longest textual IP address (IPv6 with an embedded IPv4 part).
MAX_ADDRESS_LENGTH = 45


class AuditEntry(db.Model):
    """Append-only; written in the same transaction as the action it records.

    ``before`` and ``after`` hold the changed values only (``{"phase": "open"}``), as JSON.
    ``actor_role`` is the actor's role when acting (roles change later); an empty
    ``actor_role`` with no actor is the operator at the console, trusted like an admin;
    ``"anonymous"`` is a visitor who is not logged in (security events such as a failed
    login). ``forum_id`` is the forum the target belongs to, so the log filters by forum.
    """

    __tablename__ = "audit_entries"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    created_at: so.Mapped[datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow, index=True
    )
    actor_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_role: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    action: so.Mapped[str] = so.mapped_column(sa.String(60))  # a stable code: "forum.set_phase"
    target_type: so.Mapped[str] = so.mapped_column(sa.String(40), default="")  # the table: "forums"
    target_id: so.Mapped[int | None] = so.mapped_column()
    # Not a foreign key: the entry outlives the forum, and core names no domain's table.
    forum_id: so.Mapped[int | None] = so.mapped_column(index=True)
    before: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    after: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    request_id: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    client_address: so.Mapped[str] = so.mapped_column(sa.String(MAX_ADDRESS_LENGTH), default="")

    actor: so.Mapped["User | None"] = so.relationship()  # noqa: F821

    __table_args__ = (sa.Index("ix_audit_entries_target", "target_type", "target_id"),)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.target_type}:{self.target_id}>"


def _forum_of(target) -> int | None:
    if target is None:
        return None
    if getattr(target, "__tablename__", None) == "forums":
        return target.id
    return getattr(target, "forum_id", None)


def record_audit(
    action: str,
    target,
    *,
    actor,
    reason: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Add an audit entry for ``action`` on ``target`` (a model instance, or None for an
    event about no object, such as a failed login for an unknown email) by ``actor``
    (a user; None is the console operator, or in a request a visitor who is not logged
    in); never commits.

    The request id and client address come from the current request; at the console
    the request id is empty and the address says ``"cli"``.
    """
    in_request = has_request_context()
    if actor is not None and getattr(actor, "is_authenticated", True):
        actor_role = getattr(actor, "role", None) or ""
    else:
        actor_role = ANONYMOUS if in_request else ""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None) if actor_role != ANONYMOUS else None,
        actor_role=actor_role,
        action=action,
        target_type="" if target is None else getattr(target, "__tablename__", type(target).__name__.lower()),
        target_id=getattr(target, "id", None),
        forum_id=_forum_of(target),
        before=before,
        after=after,
        reason=reason,
        request_id=current_request_id(),
        client_address=(request.remote_addr or "")[:MAX_ADDRESS_LENGTH] if in_request else CONSOLE,
    )
    db.session.add(entry)
    return entry
