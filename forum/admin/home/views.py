"""The organizer area's home page: one tile per part of the area, and the forums at a glance."""
from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from forum.admin.area import Section, add_section, bp, sections_for
from forum.admin.access import is_organizer, organizer_required
from forum.forums.services import list_all_forums

add_section(
    Section(
        endpoint="admin.index",
        label=_l("Tổng quan"),
        description=_l("Các diễn đàn và các việc của Ban Tổ chức."),
        order=0,
        allowed=is_organizer,
    )
)


@bp.route("/")
@organizer_required
def index():
    return render_template(
        "admin/index.html",
        sections=[section for section in sections_for(current_user) if section.endpoint != "admin.index"],
        forums=list_all_forums(),
    )
