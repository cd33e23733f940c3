"""The organizer area's blueprint and its menu of parts."""
from dataclasses import dataclass
from typing import Callable

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/organizer")


@dataclass(frozen=True)
class Section:
    """A part of the organizer area as its menu shows it."""

    endpoint: str  # "admin.people"
    label: Callable[[], str]  # a lazy string, translated when shown
    description: Callable[[], str]
    order: int  # position in the menu, lowest first
    allowed: Callable[[object], bool]  # who sees it in the menu (the view checks again)


SECTIONS: list[Section] = []


def add_section(section: Section) -> None:
    """Put a part of the area in its menu (once, however many apps are created)."""
    if all(existing.endpoint != section.endpoint for existing in SECTIONS):
        SECTIONS.append(section)
        SECTIONS.sort(key=lambda existing: existing.order)


def sections_for(user) -> list[Section]:
    return [section for section in SECTIONS if section.allowed(user)]


@bp.context_processor
def _menu():
    """Every page of the area shows the menu of the parts its viewer may open."""
    from flask_login import current_user

    return {"admin_sections": sections_for(current_user)}
