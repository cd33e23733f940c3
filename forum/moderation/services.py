"""Moderation verbs. For now: recording audit entries for staff and CLI actions."""
from forum.extensions import db
from forum.moderation.models import AuditEntry


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
