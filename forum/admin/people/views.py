"""The people pages of the organizer area: the roster list, one person (add, edit,
lock, unlock), and importing the delegate list (upload → preview → confirm)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from forum.admin.access import is_organizer, organizer_required
from forum.admin.area import Section, add_section, bp
from forum.admin.people.forms import (
    CancelImportForm,
    ConfirmImportForm,
    DeactivateForm,
    ImportForm,
    PersonForm,
    ReactivateForm,
)
from forum.auth import roster, services
from forum.auth.models import Role
from forum.auth.people import FIELDS, field_label
from forum.core.errors import DomainError
from forum.core.ids import parse_id
from forum.extensions import db

add_section(
    Section(
        endpoint="admin.people",
        label=_l("Đại biểu và tài khoản"),
        description=_l("Danh sách đại biểu: nhập từ tệp Excel/CSV, thêm, sửa, khóa tài khoản."),
        order=20,
        allowed=is_organizer,
    )
)

PREVIEW_PER_PAGE = 100
STATUSES = ("active", "inactive")
# Room for the multipart envelope around the largest roster file.
UPLOAD_LIMIT = roster.MAX_FILE_BYTES + 64 * 1024


def _page_number() -> int:
    return parse_id(request.args.get("page")) or 1


@bp.route("/people")
@organizer_required
def people():
    filters = {
        "query": request.args.get("q", "")[:200],
        "delegation": request.args.get("delegation", "")[:200],
        "role": request.args.get("role", "") if request.args.get("role") in {r.value for r in Role} else "",
        "status": request.args.get("status", "") if request.args.get("status") in STATUSES else "",
    }
    page = services.list_people(**filters, page=_page_number())
    return render_template(
        "admin/people/list.html",
        page=page,
        filters=filters,
        delegations=services.list_delegations(),
        roles=list(Role),
        admin_section="admin.people",
    )


def _person_form(person=None, *, from_request: bool = True) -> PersonForm:
    """The person form, filled from the request when it was posted (else from ``person``)."""
    form = PersonForm(obj=person) if from_request else PersonForm(formdata=None, obj=person)
    form.set_province_choices(person.province if person is not None else "")
    if not current_user.is_admin:
        del form.role
    return form


@bp.route("/people/new", methods=["GET", "POST"])
@organizer_required
def person_new():
    form = _person_form()
    if form.validate_on_submit():
        role = form.role.data if "role" in form else Role.DELEGATE.value
        try:
            person = services.create_person(actor=current_user, role=role, **form.person_fields())
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Đã thêm %(name)s. Tài khoản chưa có mật khẩu cho đến khi được kích hoạt.", name=person.full_name), "success")
            return redirect(url_for("admin.person", user_id=person.id))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/people/new.html", form=form, admin_section="admin.people"), status


def _person_or_404(user_id: int):
    person = services.get_person(user_id)
    if person is None:
        abort(404)
    return person


def _render_person(person, *, form=None, deactivate_form=None, status=200):
    may_edit = services.may_manage_person(current_user, person)
    return (
        render_template(
            "admin/people/detail.html",
            person=person,
            may_edit=may_edit,
            is_self=person.id == current_user.id,
            form=form or _person_form(person, from_request=False),
            deactivate_form=deactivate_form or DeactivateForm(formdata=None),
            reactivate_form=ReactivateForm(formdata=None),
            admin_section="admin.people",
        ),
        status,
    )


@bp.route("/people/<id:user_id>", methods=["GET", "POST"])
@organizer_required
def person(user_id: int):
    person = _person_or_404(user_id)
    if request.method == "GET":
        return _render_person(person)
    if not services.may_manage_person(current_user, person):
        abort(403)
    form = _person_form(person)
    if form.validate():
        try:
            changed = services.update_person(person, actor=current_user, **form.person_fields())
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Đã lưu thay đổi.") if changed else _("Không có gì thay đổi."), "success" if changed else "info")
            return redirect(url_for("admin.person", user_id=person.id))
    return _render_person(person, form=form, status=422)


@bp.route("/people/<id:user_id>/deactivate", methods=["POST"])
@organizer_required
def person_deactivate(user_id: int):
    person = _person_or_404(user_id)
    if not services.may_manage_person(current_user, person):
        abort(403)
    form = DeactivateForm()
    if not form.validate():
        return _render_person(person, deactivate_form=form, status=422)
    try:
        services.deactivate_user(person, actor=current_user, reason=form.reason.data or "")
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("admin.person", user_id=user_id))
    db.session.commit()
    flash(_("Đã khóa tài khoản của %(name)s; mọi phiên đăng nhập đã kết thúc.", name=person.full_name), "success")
    return redirect(url_for("admin.person", user_id=user_id))


@bp.route("/people/<id:user_id>/reactivate", methods=["POST"])
@organizer_required
def person_reactivate(user_id: int):
    person = _person_or_404(user_id)
    if not services.may_manage_person(current_user, person):
        abort(403)
    if not ReactivateForm().validate():
        abort(400)
    try:
        services.reactivate_user(person, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("admin.person", user_id=user_id))
    db.session.commit()
    flash(_("Đã mở khóa tài khoản của %(name)s.", name=person.full_name), "success")
    return redirect(url_for("admin.person", user_id=user_id))


# Importing the roster -------------------------------------------------------------------
@bp.route("/people/import", methods=["GET", "POST"])
@organizer_required
def people_import():
    form = ImportForm(formdata=None)
    error = None
    status = 200
    if request.method == "POST":
        request.max_content_length = UPLOAD_LIMIT
        try:
            if (request.content_length or 0) > UPLOAD_LIMIT:
                raise RequestEntityTooLarge()  # refused before reading the body
            form = ImportForm()
            valid = form.validate()
            upload = request.files.get("file")
        except RequestEntityTooLarge:
            valid, upload, status = False, None, 413
            error = _("Tệp quá lớn (tối đa %(max)d MB). Hãy chia danh sách thành nhiều tệp.",
                      max=roster.MAX_FILE_BYTES // 1024**2)
        if not valid and status == 200:
            abort(400)  # no CSRF token: the form was not ours
        if valid and (upload is None or not upload.filename):
            error, status = _("Hãy chọn tệp danh sách."), 422
        elif valid:
            try:
                parsed = roster.read_roster(upload.filename, upload.read(roster.MAX_FILE_BYTES + 1))
                stored = roster.store_upload(parsed, actor=current_user)
            except DomainError as refusal:
                db.session.rollback()
                error, status = str(refusal), 422
            else:
                db.session.commit()
                return redirect(url_for("admin.people_import_preview", token=stored.token))
    return render_template(
        "admin/people/import.html",
        form=form,
        error=error,
        max_mb=roster.MAX_FILE_BYTES // 1024**2,
        max_rows=roster.MAX_ROWS,
        headers=[field_label(name) for name in FIELDS],
        admin_section="admin.people",
    ), status


@bp.route("/people/import/template.xlsx")
@organizer_required
def people_import_template():
    return (
        roster.roster_template(),
        200,
        {
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Content-Disposition": "attachment; filename=mau-danh-sach-dai-bieu.xlsx",
        },
    )


def _upload_or_back(token: str):
    upload = roster.get_upload(token, actor=current_user)
    if upload is None:
        flash(_("Bản xem trước không còn (đã hết hạn, đã nhập hoặc đã hủy). Hãy tải tệp lên lại."), "warning")
    return upload


@bp.route("/people/import/<token>")
@organizer_required
def people_import_preview(token: str):
    upload = _upload_or_back(token)
    if upload is None:
        return redirect(url_for("admin.people_import"))
    plan = roster.plan_roster(roster.roster_of(upload), actor=current_user)
    show = request.args.get("show", "")
    shown = roster.REFUSE if show == "" and plan.counts[roster.REFUSE] else (show if show in roster.ACTIONS else None)
    rows = plan.ordered(shown)
    return render_template(
        "admin/people/preview.html",
        upload=upload,
        plan=plan,
        counts=plan.counts,
        shown=shown,
        page=services.Page.of(rows, _page_number(), PREVIEW_PER_PAGE),
        field_labels={name: field_label(name) for name in FIELDS},
        confirm_form=ConfirmImportForm(formdata=None),
        cancel_form=CancelImportForm(formdata=None),
        admin_section="admin.people",
    )


@bp.route("/people/import/<token>/confirm", methods=["POST"])
@organizer_required
def people_import_confirm(token: str):
    upload = _upload_or_back(token)
    if upload is None:
        return redirect(url_for("admin.people_import"))
    if not ConfirmImportForm().validate():
        abort(400)
    # Read and checked again now: the database may have changed since the preview.
    plan = roster.plan_roster(roster.roster_of(upload), actor=current_user)
    if not plan.writes_anything:
        flash(_("Tệp không có ai để thêm hoặc cập nhật."), "warning")
        return redirect(url_for("admin.people_import_preview", token=token))
    try:
        result = roster.apply_roster_plan(plan, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("admin.people_import_preview", token=token))
    roster.discard_upload(upload)
    db.session.commit()
    flash(
        _(
            "Đã nhập danh sách: thêm %(created)d người, cập nhật %(updated)d, không đổi %(unchanged)d, bỏ qua %(refused)d dòng bị từ chối.",
            **vars(result),
        ),
        "success",
    )
    return redirect(url_for("admin.people"))


@bp.route("/people/import/<token>/cancel", methods=["POST"])
@organizer_required
def people_import_cancel(token: str):
    upload = roster.get_upload(token, actor=current_user)
    if not CancelImportForm().validate():
        abort(400)
    if upload is not None:
        roster.discard_upload(upload)
        db.session.commit()
    flash(_("Đã hủy, không nhập gì."), "info")
    return redirect(url_for("admin.people_import"))
