"""The audit log: who did what to which object, when, why, and from where.

Every domain writes it (staff actions, CLI maintenance), so it lives in core, below them
all. ``actor`` names the ``users`` table by string only: core imports no domain.
"""
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

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
# A permission refusal (HTTP 403) answered to a logged-in user.
FORBIDDEN = "security.forbidden"
# Refusals are recorded at most once per user, method and path in this window, and at
# most this many per user in it: a script hammering a forbidden page cannot flood the log.
REFUSAL_WINDOW = timedelta(minutes=10)
REFUSALS_PER_WINDOW = 20


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
    action: so.Mapped[str] = so.mapped_column(sa.String(60), index=True)  # a stable code: "forum.set_phase"
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


def record_refusal(actor, *, method: str, path: str, endpoint: str = "") -> AuditEntry | None:
    """Record that ``actor`` (a logged-in user) was refused ``method path`` (a 403), unless
    the same refusal was recorded in the last ``REFUSAL_WINDOW`` or the actor already has
    ``REFUSALS_PER_WINDOW`` there; ``reason`` holds "METHOD /path" (never the query
    string, which may carry personal data). Never commits."""
    where = f"{method} {path}"[:500]
    since = utcnow() - REFUSAL_WINDOW
    recent = db.session.scalars(
        sa.select(AuditEntry.reason)
        .where(AuditEntry.actor_id == actor.id, AuditEntry.action == FORBIDDEN, AuditEntry.created_at >= since)
        .order_by(AuditEntry.id.desc())
        .limit(REFUSALS_PER_WINDOW)
    ).all()
    if where in recent or len(recent) >= REFUSALS_PER_WINDOW:
        return None
    return record_audit(FORBIDDEN, None, actor=actor, reason=where, after={"method": method, "path": path, "endpoint": endpoint})


# Reading the log (organizers; nothing in the app edits or deletes an entry) ------------
@dataclass(frozen=True)
class AuditFilters:
    """What the log viewer filters on; every field optional (None or empty: no filter)."""

    actor_ids: tuple[int, ...] | None = None  # None: anyone; (): nobody matched the search
    actor_role: str | None = None  # "" is the console, "anonymous" a visitor
    action: str = ""
    target_type: str = ""
    target_id: int | None = None
    forum_id: int | None = None
    created_from: datetime | None = None  # inclusive, aware
    created_before: datetime | None = None  # exclusive, aware

    def is_empty(self) -> bool:
        return self == AuditFilters()


def _filtered(filters: AuditFilters) -> sa.Select:
    query = sa.select(AuditEntry)
    if filters.actor_ids is not None:
        query = query.where(AuditEntry.actor_id.in_(filters.actor_ids))
    if filters.actor_role is not None:
        query = query.where(AuditEntry.actor_role == filters.actor_role)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.target_type:
        query = query.where(AuditEntry.target_type == filters.target_type)
    if filters.target_id is not None:
        query = query.where(AuditEntry.target_id == filters.target_id)
    if filters.forum_id is not None:
        query = query.where(AuditEntry.forum_id == filters.forum_id)
    if filters.created_from is not None:
        query = query.where(AuditEntry.created_at >= filters.created_from)
    if filters.created_before is not None:
        query = query.where(AuditEntry.created_at < filters.created_before)
    return query.order_by(AuditEntry.id.desc())


def list_audit_entries(filters: AuditFilters, *, page: int = 1, per_page: int = 50):
    """One page of the matching entries, newest first, with their actors (a
    Flask-SQLAlchemy pagination: two queries, the page and the count)."""
    query = _filtered(filters).options(so.joinedload(AuditEntry.actor))
    return db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False, max_per_page=per_page)


def iter_audit_entries(filters: AuditFilters, *, batch_size: int = 1000) -> Iterator[AuditEntry]:
    """Every matching entry, newest first, with its actor, read in batches of
    ``batch_size`` by keyset (memory stays flat however long the log is)."""
    before_id = None
    while True:
        query = _filtered(filters).options(so.joinedload(AuditEntry.actor)).limit(batch_size)
        if before_id is not None:
            query = query.where(AuditEntry.id < before_id)
        batch = db.session.scalars(query).unique().all()
        yield from batch
        if len(batch) < batch_size:
            return
        before_id = batch[-1].id
        for entry in batch:  # written out already: keep the session small (the actors stay)
            db.session.expunge(entry)


def list_audit_actions() -> list[str]:
    """The action codes present in the log, for the viewer's filter."""
    return list(db.session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def list_audit_target_types() -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.target_type).where(AuditEntry.target_type != "").distinct().order_by(AuditEntry.target_type)
        )
    )
