"""Who moderates which forum: the one check ``can_moderate`` and the moderators' scope.

Admins and organizers moderate every forum by their role; a moderator moderates the
forums they are assigned to (``ModeratorAssignment``), or all of them when assigned to
"all forums"; nobody else moderates anything. A new moderator has no forum until an
organizer assigns one. Forums reference users here, never the reverse (auth is below).
"""
from collections.abc import Iterable

import sqlalchemy as sa
from flask import g, has_app_context
from flask_babel import gettext as _

from forum.auth.services import set_user_role
from forum.core.audit import record_audit
from forum.core.errors import InvalidAction, PermissionDenied
from forum.core.permissions import is_active_user
from forum.extensions import db
from forum.forums.models import Forum, ModeratorAssignment


class _AllForums:
    """The scope "every forum" (``ALL_FORUMS``), as opposed to a set of forum ids."""

    def __repr__(self) -> str:
        return "ALL_FORUMS"

    def __contains__(self, forum_id) -> bool:
        return True

    def __bool__(self) -> bool:
        return True


ALL_FORUMS = _AllForums()
_CACHE = "moderated_forum_ids"


def _may_assign(actor) -> bool:
    return actor is None or (is_active_user(actor) and actor.is_organizer)


def _assigned(user_id: int) -> "frozenset[int] | _AllForums":
    rows = db.session.scalars(sa.select(ModeratorAssignment.forum_id).where(ModeratorAssignment.user_id == user_id)).all()
    if any(forum_id is None for forum_id in rows):
        return ALL_FORUMS
    return frozenset(rows)


def moderated_forum_ids(user) -> "frozenset[int] | _AllForums":
    """The forums ``user`` moderates: ``ALL_FORUMS`` or a set of forum ids (empty for
    delegates, anonymous visitors and deactivated accounts). One query per request for a
    moderator, none for anyone else."""
    if not is_active_user(user):
        return frozenset()
    if user.is_organizer:
        return ALL_FORUMS
    if user.role != "moderator":
        return frozenset()
    cache = g.setdefault(_CACHE, {}) if has_app_context() else {}
    if user.id not in cache:
        cache[user.id] = _assigned(user.id)
    return cache[user.id]


def can_moderate(user, forum) -> bool:
    """May ``user`` curate ``forum`` (a ``Forum`` or its id)? The one moderation check."""
    forum_id = forum if isinstance(forum, int) else forum.id
    return forum_id in moderated_forum_ids(user)


def moderator_scopes(user_ids: Iterable[int]) -> "dict[int, _AllForums | list[Forum]]":
    """Each user's assigned forums (in number order) or ``ALL_FORUMS``, in one query;
    users with no assignment are absent."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(ModeratorAssignment.user_id, Forum)
        .outerjoin(Forum, ModeratorAssignment.forum_id == Forum.id)
        .where(ModeratorAssignment.user_id.in_(ids))
        .order_by(ModeratorAssignment.user_id, Forum.number)
    ).all()
    scopes: dict = {}
    for user_id, forum in rows:
        if forum is None:
            scopes[user_id] = ALL_FORUMS
        elif scopes.get(user_id) is not ALL_FORUMS:
            scopes.setdefault(user_id, []).append(forum)
    return scopes


def _describe(scope) -> "str | list[int]":
    """A scope as the audit log stores it: "all" or the forums' numbers."""
    if scope is ALL_FORUMS:
        return "all"
    numbers = db.session.scalars(sa.select(Forum.number).where(Forum.id.in_(list(scope))).order_by(Forum.number))
    return list(numbers)


def assign_moderator_scope(user, forum_ids: "Iterable[int] | _AllForums", *, actor, reason: str = "") -> bool:
    """Set the forums ``user`` (a moderator) moderates to ``forum_ids`` or ``ALL_FORUMS``
    (an empty set removes every forum); organizers, admins and the console only.
    Returns False when nothing changed (and writes no audit entry)."""
    if not _may_assign(actor):
        raise PermissionDenied(_("Chỉ Ban Tổ chức và quản trị hệ thống mới được phân công điều hành viên."))
    if forum_ids is ALL_FORUMS:
        wanted: "frozenset[int] | _AllForums" = ALL_FORUMS
    else:
        wanted = frozenset(forum_ids)
        known = set(db.session.scalars(sa.select(Forum.id).where(Forum.id.in_(list(wanted)))))
        if known != wanted:
            raise InvalidAction(_("Có diễn đàn không tồn tại trong danh sách đã chọn."))
    if wanted and user.role != "moderator":
        raise InvalidAction(_("Chỉ tài khoản có vai trò điều hành viên mới được phân công diễn đàn."))
    current = _assigned(user.id)
    if current is wanted or (current is not ALL_FORUMS and wanted is not ALL_FORUMS and current == wanted):
        return False
    before, after = _describe(current), _describe(wanted)
    db.session.execute(sa.delete(ModeratorAssignment).where(ModeratorAssignment.user_id == user.id))
    if wanted is ALL_FORUMS:
        db.session.add(ModeratorAssignment(user_id=user.id, forum_id=None))
    else:
        db.session.add_all(ModeratorAssignment(user_id=user.id, forum_id=forum_id) for forum_id in sorted(wanted))
    db.session.flush()
    if has_app_context():
        g.get(_CACHE, {}).pop(user.id, None)
    record_audit(
        "moderator.scope_changed", user, actor=actor, before={"forums": before}, after={"forums": after}, reason=reason
    )
    return True


def clear_moderator_scope(user, *, actor, reason: str = "") -> bool:
    """Remove every forum from ``user``'s scope (when they stop being a moderator)."""
    return assign_moderator_scope(user, frozenset(), actor=actor, reason=reason)


def change_staff_role(user, role: str, *, actor, reason: str = "") -> None:
    """Change ``user``'s role (``forum.auth.services.set_user_role``: admins only, …);
    leaving the moderator role also removes their forums, so that becoming a moderator
    again starts with none."""
    set_user_role(user, role, actor=actor, reason=reason)
    if role != "moderator":
        clear_moderator_scope(user, actor=actor, reason=reason)
