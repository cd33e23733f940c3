"""Forum settings in the organizer area: the list of forums, and per forum its details,
phase and schedule, rules and themes. Each form posts to its own URL and saves through
one forums service (which writes the audit entry); the view commits once.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from forum.admin.access import is_organizer, organizer_required
from forum.admin.area import Section, add_section, bp
from forum.admin.forums.forms import (
    DetailsForm, PhaseForm, RulesForm, ScheduleForm, StatusEditForm, StatusForm, ThemeActionForm, ThemeForm, chair_rows,
    chairs_from, parse_day, roles_from,
)
from forum.auth.models import Role
from forum.core.errors import DomainError
from forum.extensions import db
from forum.forums import services
from forum.forums import statuses
from forum.forums.models import Forum, PhaseSource

add_section(
    Section(
        endpoint="admin.forums",
        label=_l("Diễn đàn"),
        description=_l("Tên, thời gian, địa điểm, chủ trì, nhóm vấn đề; giai đoạn và lịch; quy định của từng diễn đàn."),
        order=10,
        allowed=is_organizer,
    )
)

UNPROCESSABLE = 422


@bp.route("/forums")
@organizer_required
def forums():
    """Every forum with its phase in force and its schedule."""
    return render_template("admin/forums/index.html", forums=services.list_all_forums(), admin_section="admin.forums")


def _forum_or_404(forum_id: int) -> Forum:
    forum = services.get_forum_for_staff(forum_id)
    if forum is None:
        abort(404)
    return forum


def _edit_url(forum: Forum, anchor: str) -> str:
    return url_for("admin.forum_edit", forum_id=forum.id, _anchor=anchor)


def _details_form(forum: Forum) -> DetailsForm:
    return DetailsForm(formdata=None, prefix="details", data={
        "title": forum.title, "description": forum.description, "time_of_day": forum.time_of_day,
        "venue": forum.venue, "keynote": forum.keynote,
        "held_on": forum.held_on.isoformat() if forum.held_on else "",
    })


def _render_edit(forum: Forum, status: int = 200, *, error: str | None = None, error_section: str = "",
                 chairs=None, roles=None, **forms):
    """The settings page, with the forms given (posted, with their errors and what was
    typed) and the others filled from the forum."""
    forms.setdefault("details", _details_form(forum))
    forms.setdefault("phase", PhaseForm(formdata=None, prefix="phase", data={"phase": forum.current_phase.value}))
    forms.setdefault("schedule", ScheduleForm(formdata=None, prefix="schedule").fill(forum))
    forms.setdefault("rules", RulesForm(formdata=None, prefix="rules").fill(forum))
    forms.setdefault("new_theme", ThemeForm(formdata=None, prefix="new-theme"))
    forms.setdefault("new_status", StatusForm(formdata=None, prefix="new-status"))
    custom_statuses = statuses.list_forum_statuses(forum)
    phase, source, since = forum.phase_decision()
    return render_template(
        "admin/forums/edit.html",
        forum=forum,
        forms=forms,
        error=error,
        error_section=error_section,
        chairs=chair_rows(forum.chairs) if chairs is None else chairs,
        roles=[(role.value, role.label) for role in Role],
        chosen_roles=set(forum.supporting_roles or ()) if roles is None else set(roles),
        phase_in_force=phase,
        phase_source=source,
        phase_since=since,
        PhaseSource=PhaseSource,
        theme_forms={theme.id: ThemeForm(formdata=None, prefix=f"theme-{theme.id}", obj=theme)
                     for theme in forum.themes},
        custom_statuses=custom_statuses,
        status_forms={status.id: StatusEditForm(formdata=None, prefix=f"status-{status.id}", obj=status)
                      for status in custom_statuses},
        admin_section="admin.forums",
    ), status


@bp.route("/forums/<id:forum_id>")
@organizer_required
def forum_edit(forum_id: int):
    return _render_edit(_forum_or_404(forum_id))


def _save(forum: Forum, form_name: str, form, save, *, anchor: str, success: str, **typed):
    """Validate ``form``, run ``save`` (a service call), commit once and go back to the
    section; on bad input the page again with what was typed (``typed``: the lists the
    form does not hold), 422."""
    if form.validate_on_submit():
        try:
            changed = save()
        except DomainError as error:
            db.session.rollback()
            forum = _forum_or_404(forum.id)
            return _render_edit(forum, UNPROCESSABLE, error=str(error), error_section=anchor, **typed,
                                **{form_name: form})
        db.session.commit()
        flash(success if changed else _("Không có gì thay đổi."), "success" if changed else "info")
        return redirect(_edit_url(forum, anchor))
    errors = [str(error) for field_errors in form.errors.values() for error in field_errors if isinstance(error, str)]
    summary = _("Chưa lưu: %(errors)s", errors=" ".join(errors)) if errors else None
    return _render_edit(forum, UNPROCESSABLE, error=summary, error_section=anchor, **typed, **{form_name: form})


@bp.post("/forums/<id:forum_id>/details")
@organizer_required
def forum_details(forum_id: int):
    forum = _forum_or_404(forum_id)
    form = DetailsForm(prefix="details")
    chairs = chairs_from(request.form)
    return _save(
        forum, "details", form,
        lambda: services.update_forum_details(
            forum, title=form.title.data, description=form.description.data, held_on=parse_day(form.held_on.data),
            time_of_day=form.time_of_day.data, venue=form.venue.data, chairs=chairs,
            keynote=form.keynote.data, actor=current_user,
        ),
        anchor="details", success=_("Đã lưu thông tin diễn đàn."), chairs=chairs,
    )


@bp.post("/forums/<id:forum_id>/phase")
@organizer_required
def forum_phase(forum_id: int):
    forum = _forum_or_404(forum_id)
    form = PhaseForm(prefix="phase")
    return _save(
        forum, "phase", form, lambda: services.set_forum_phase(forum, form.phase.data, actor=current_user),
        anchor="phase", success=_("Đã chuyển giai đoạn của diễn đàn."),
    )


@bp.post("/forums/<id:forum_id>/schedule")
@organizer_required
def forum_schedule(forum_id: int):
    forum = _forum_or_404(forum_id)
    form = ScheduleForm(prefix="schedule")
    return _save(
        forum, "schedule", form,
        lambda: services.update_forum_schedule(forum, **form.moments(), actor=current_user),
        anchor="phase", success=_("Đã lưu lịch của diễn đàn."),
    )


@bp.post("/forums/<id:forum_id>/rules")
@organizer_required
def forum_rules(forum_id: int):
    forum = _forum_or_404(forum_id)
    form = RulesForm(prefix="rules")
    roles = roles_from(request.form)
    return _save(
        forum, "rules", form,
        lambda: services.update_forum_rules(
            forum, max_supports_per_user=form.number("max_supports_per_user"),
            supports_withdrawable=form.supports_withdrawable.data,
            hide_tallies_until_closed=form.hide_tallies_until_closed.data,
            edit_window_minutes=form.number("edit_window_minutes"), comments_open=form.comments_open.data,
            premoderate_new_accounts=form.premoderate_new_accounts.data,
            supporting_roles=roles, actor=current_user,
        ),
        anchor="rules", success=_("Đã lưu quy định của diễn đàn."), roles=roles,
    )


@bp.post("/forums/<id:forum_id>/themes")
@organizer_required
def theme_add(forum_id: int):
    forum = _forum_or_404(forum_id)
    form = ThemeForm(prefix="new-theme")
    return _save(
        forum, "new_theme", form,
        lambda: services.add_theme(forum, title=form.title.data, description=form.description.data,
                                   actor=current_user),
        anchor="themes", success=_("Đã thêm nhóm vấn đề."),
    )


def _theme_or_404(forum: Forum, theme_id: int):
    theme = services.get_forum_theme(forum, theme_id)
    if theme is None:
        abort(404)
    return theme


@bp.post("/forums/<id:forum_id>/themes/<id:theme_id>")
@organizer_required
def theme_update(forum_id: int, theme_id: int):
    forum = _forum_or_404(forum_id)
    theme = _theme_or_404(forum, theme_id)
    form = ThemeForm(prefix=f"theme-{theme.id}")
    return _save(
        forum, "theme", form,
        lambda: services.update_theme(theme, title=form.title.data, description=form.description.data,
                                      actor=current_user),
        anchor="themes", success=_("Đã lưu nhóm vấn đề."),
    )


@bp.post("/forums/<id:forum_id>/themes/<id:theme_id>/move")
@organizer_required
def theme_move(forum_id: int, theme_id: int):
    forum = _forum_or_404(forum_id)
    theme = _theme_or_404(forum, theme_id)
    form = ThemeActionForm()
    offsets = {"up": -1, "down": 1}
    if form.direction.data not in offsets:
        return _render_edit(forum, UNPROCESSABLE, error=_("Hướng di chuyển không hợp lệ."), error_section="themes")
    return _save(
        forum, "theme_action", form, lambda: services.move_theme(theme, offsets[form.direction.data], actor=current_user),
        anchor="themes", success=_("Đã đổi thứ tự nhóm vấn đề."),
    )


@bp.post("/forums/<id:forum_id>/themes/<id:theme_id>/retire")
@organizer_required
def theme_retire(forum_id: int, theme_id: int):
    forum = _forum_or_404(forum_id)
    theme = _theme_or_404(forum, theme_id)
    form = ThemeActionForm()
    if form.retired.data not in ("0", "1"):
        return _render_edit(forum, UNPROCESSABLE, error=_("Thao tác không hợp lệ."), error_section="themes")
    retired = form.retired.data == "1"
    return _save(
        forum, "theme_action", form, lambda: services.set_theme_retired(theme, retired, actor=current_user),
        anchor="themes",
        success=_("Nhóm vấn đề đã ngừng nhận hiến kế mới; các hiến kế trong nhóm được giữ nguyên.") if retired
        else _("Nhóm vấn đề nhận hiến kế mới trở lại."),
    )


# Custom statuses of the forum's proposals (forum.forums.statuses) ---------------------------
@bp.post("/forums/<id:forum_id>/statuses")
@organizer_required
def status_add(forum_id: int):
    forum = _forum_or_404(forum_id)
    form = StatusForm(prefix="new-status")
    return _save(
        forum, "new_status", form,
        lambda: statuses.add_forum_status(forum, code=form.code.data, title=form.title.data,
                                          title_en=form.title_en.data, actor=current_user),
        anchor="statuses", success=_("Đã thêm trạng thái."),
    )


@bp.post("/forums/<id:forum_id>/statuses/<id:status_id>")
@organizer_required
def status_update(forum_id: int, status_id: int):
    forum = _forum_or_404(forum_id)
    status = statuses.get_forum_status(forum, status_id)
    if status is None:
        abort(404)
    form = StatusEditForm(prefix=f"status-{status.id}")
    return _save(
        forum, "status_edit", form,
        lambda: statuses.update_forum_status(status, title=form.title.data, title_en=form.title_en.data,
                                             retired=form.is_retired.data, actor=current_user),
        anchor="statuses", success=_("Đã lưu trạng thái."),
    )
