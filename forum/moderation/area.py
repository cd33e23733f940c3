"""The moderation area's blueprint (``/moderation``) and its menu of parts.

Moderators work in the forums they are assigned to (``forums.moderators.can_moderate``),
organizers and admins in every forum. The area's pages are open to every active staff
member; what a page shows and what an action may touch is decided per forum by the
services, so a moderator of forum 2 sees nothing of forum 1 and is refused its actions.
Each part (queue, curation, answers, merges…) lives in its own module and adds its routes
and its menu entry on import (``register_moderation_area`` in ``forum/__init__.py``).
"""
from dataclasses import dataclass
from functools import wraps
from typing import Callable

from flask import Blueprint, abort, make_response, redirect, request, url_for
from flask_login import current_user

from forum.core.permissions import is_active_user

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


def is_staff(user) -> bool:
    """Moderators, organizers and admins: whoever may open the moderation area."""
    return is_active_user(user) and user.is_moderator


def staff_required(view):
    """Anonymous visitors go to the login page, other non-staff get a 403; every answer is
    ``Cache-Control: no-store`` (staff pages show hidden content and reports)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not is_active_user(current_user):
            return redirect(url_for("auth.login", next=request.full_path))
        if not is_staff(current_user):
            abort(403)
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapper


@dataclass(frozen=True)
class Section:
    """A part of the moderation area as its menu shows it."""

    endpoint: str  # "moderation.queue"
    label: Callable[[], str]  # a lazy string, translated when shown
    order: int  # position in the menu, lowest first


SECTIONS: list[Section] = []


def add_section(section: Section) -> None:
    """Put a part of the area in its menu (once, however many apps are created)."""
    if all(existing.endpoint != section.endpoint for existing in SECTIONS):
        SECTIONS.append(section)
        SECTIONS.sort(key=lambda existing: existing.order)


@bp.context_processor
def _menu():
    return {"moderation_sections": list(SECTIONS)}
