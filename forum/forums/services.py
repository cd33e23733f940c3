"""The forums' own tables: which forums a visitor may see, one forum with its themes, the
theme named in a URL, and the staff verbs on a forum (its phase).

Lists and counts of proposals live with the proposals (``forum.proposals.services``) and
supports (``forum.votes.services``); the views compose them with these.
"""
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from forum.core.audit import record_audit
from forum.core.errors import InvalidAction, PermissionDenied
from forum.core.permissions import is_active_user
from forum.extensions import db
from forum.forums.models import Forum, Phase


def list_visible_forums(user) -> list[Forum]:
    """The forums ``user`` may see, in number order (one query)."""
    forums = db.session.scalars(sa.select(Forum).order_by(Forum.number)).all()
    return [forum for forum in forums if forum.is_visible_to(user)]


def get_visible_forum(slug: str, user) -> Forum | None:
    """The forum at ``slug`` with its themes, or None when missing or not visible to ``user``."""
    forum = db.session.scalar(
        sa.select(Forum).where(Forum.slug == slug).options(so.selectinload(Forum.themes))
    )
    if forum is None or not forum.is_visible_to(user):
        return None
    return forum


def parse_theme_id(forum: Forum, value: str | None) -> int | None:
    """The id of one of ``forum``'s themes named by ``value``; None for anything else."""
    try:
        theme_id = int(value or "")
    except ValueError:
        return None
    return theme_id if any(theme.id == theme_id for theme in forum.themes) else None


# Forum administration ---------------------------------------------------------------------
def list_all_forums() -> list[Forum]:
    """Every forum in number order, drafts included; for staff tools."""
    return list(db.session.scalars(sa.select(Forum).order_by(Forum.number)))


def get_forum_by_number(number: int) -> Forum | None:
    """The forum numbered ``number`` (1–10), whatever its phase; for staff tools."""
    return db.session.scalar(sa.select(Forum).where(Forum.number == number))


def set_forum_phase(forum: Forum, phase: str, *, actor) -> bool:
    """Move ``forum`` to ``phase`` and record it in the audit log; False when it already
    is in that phase (nothing changes, nothing is recorded).

    Organizers and admins only; ``actor=None`` is the operator at the console.
    """
    if actor is not None and not (is_active_user(actor) and actor.is_organizer):
        raise PermissionDenied(_("Chỉ Ban tổ chức mới được chuyển giai đoạn của diễn đàn."))
    if phase not in {known.value for known in Phase}:
        raise InvalidAction(_("Giai đoạn không hợp lệ: %(phase)s", phase=phase))
    if forum.phase == phase:
        return False
    record_audit("forum.set_phase", forum, actor=actor, before={"phase": forum.phase}, after={"phase": phase})
    forum.phase = phase
    db.session.flush()
    return True


def list_visible_forums_with_themes(user) -> list[Forum]:
    """The forums ``user`` may see, in number order, with their themes loaded (two queries)."""
    forums = db.session.scalars(sa.select(Forum).options(so.selectinload(Forum.themes)).order_by(Forum.number))
    return [forum for forum in forums if forum.is_visible_to(user)]
