"""Activation codes in the organizer area: per delegation, generate codes and get them as
a printable sheet (with its XLSX twin) or by mail; per person, a new code (a reset).

Codes are stored hashed, so a batch is shown once, in the response that generated it;
generating again replaces the earlier codes (and sheets) of the same people.
"""
import base64
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from forum.admin.access import is_organizer, organizer_required
from forum.admin.activation.forms import EVERYONE, CodeBatchForm, PersonCodeForm
from forum.admin.activation.sheets import XLSX_MIME_TYPE, CodeCard, codes_workbook
from forum.admin.area import Section, add_section, bp
from forum.auth.activation import services as codes
from forum.core.errors import InvalidAction
from forum.core.formatting import datetime_filter
from forum.core.urls import safe_next_url
from forum.extensions import db
from forum.notifications.services import mail_configured, queue_code_mail

add_section(
    Section(
        endpoint="admin.activation",
        label=_l("Mã kích hoạt"),
        description=_l("In hoặc gửi mã kích hoạt tài khoản cho từng đoàn; cấp mã đặt lại mật khẩu."),
        order=30,
        allowed=is_organizer,
    )
)


@bp.context_processor
def _activation_helpers():
    """For templates/admin/people/_activation.html, included by the person page."""
    return {
        "activation_state": codes.get_activation_state,
        "may_issue_code_for": lambda person: codes.may_issue_code_for(current_user, person),
    }


def site_address() -> str:
    return current_app.config.get("SITE_URL") or request.url_root.rstrip("/")


def activation_link(code: str) -> str:
    return site_address() + url_for("activation.redeem", code=code)


def _batch_choice(values) -> tuple[str | None, bool]:
    """(delegation or None for everyone, include_activated) from query or form values."""
    delegation = None if values.get("scope") == EVERYONE else (values.get("delegation") or "")
    return delegation, values.get("include_activated") in ("1", "y", "on", "true")


@bp.route("/activation")
@organizer_required
def activation():
    return render_template(
        "admin/activation/index.html",
        delegations=codes.list_delegation_summaries(),
        mail_on=mail_configured(),
    )


@bp.route("/activation/new")
@organizer_required
def activation_confirm():
    """Who a batch would go to, and whose earlier codes it would replace."""
    scope = request.args.get("scope", "delegation")
    if scope not in ("delegation", EVERYONE) or len(request.args.get("delegation", "")) > 200:
        abort(400)
    delegation, include_activated = _batch_choice(request.args)
    people = codes.list_code_recipients(actor=current_user, delegation=delegation,
                                             include_activated=include_activated)
    return render_template(
        "admin/activation/confirm.html",
        admin_section="admin.activation",
        scope=scope,
        delegation=delegation,
        include_activated=include_activated,
        people=people,
        replaced=codes.count_usable_codes(person.id for person in people),
        mail_on=mail_configured(),
    )


def _issue_batch():
    delegation, include_activated = _batch_choice(request.form)
    people = codes.list_code_recipients(actor=current_user, delegation=delegation,
                                             include_activated=include_activated)
    return delegation, codes.issue_codes(people, actor=current_user)


def _sheet(issued, *, title: str, delegation: str | None, status: int = 200):
    workbook = codes_workbook(issued, link_for=activation_link, local_time=datetime_filter)
    filename = "ma-kich-hoat-{}.xlsx".format(date.today().isoformat())
    return render_template(
        "admin/activation/sheet.html",
        admin_section="admin.activation",
        title=title,
        delegation=delegation,
        issued=issued,
        site=site_address(),
        link_for=activation_link,
        xlsx_href=f"data:{XLSX_MIME_TYPE};base64," + base64.b64encode(workbook).decode("ascii"),
        xlsx_filename=filename,
    ), status


@bp.route("/activation/sheet", methods=["POST"])
@organizer_required
def activation_sheet():
    """Generate the batch and answer with its printable sheet: the only time it shows."""
    form = CodeBatchForm()
    if not form.validate():
        abort(400)
    delegation, issued = _issue_batch()
    if not issued:
        flash(_("Không có ai cần cấp mã trong phạm vi đã chọn."), "error")
        return redirect(url_for("admin.activation"))
    cards = [CodeCard.of(item) for item in issued]
    db.session.commit()
    if delegation is None:
        title = _("Phiếu mã kích hoạt: tất cả các đoàn")
    else:
        title = _("Phiếu mã kích hoạt: %(delegation)s", delegation=delegation or _("Chưa xếp đoàn"))
    return _sheet(cards, title=title, delegation=delegation)


@bp.route("/activation/mail", methods=["POST"])
@organizer_required
def activation_mail():
    """Generate the batch and queue one mail per person (sent after the commit)."""
    if not mail_configured():
        abort(404)
    form = CodeBatchForm()
    if not form.validate():
        abort(400)
    _delegation, issued = _issue_batch()
    for item in issued:
        queue_code_mail(item)
    db.session.commit()
    flash(_("Đã cấp mã và xếp %(count)s thư vào hàng đợi gửi.", count=len(issued)), "success")
    return redirect(url_for("admin.activation"))


@bp.route("/activation/people/<id:user_id>/code", methods=["POST"])
@organizer_required
def activation_person_code(user_id: int):
    """A new code for one person (a forgotten password): on screen, or by mail."""
    person = codes.get_account(user_id)
    if person is None:
        abort(404)
    form = PersonCodeForm()
    back = safe_next_url(form.next.data, default=url_for("admin.activation"))
    if form.by_mail.data and not mail_configured():
        abort(404)
    try:
        issued = codes.issue_code(person, actor=current_user)  # PermissionDenied: a 403 page
    except InvalidAction as error:  # a locked account
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back)
    if form.by_mail.data:
        queue_code_mail(issued)
        db.session.commit()
        flash(_("Đã cấp mã mới và xếp thư gửi tới %(email)s.", email=person.email), "success")
        return redirect(back)
    cards = [CodeCard.of(issued)]
    title = _("Mã mới cho %(name)s", name=person.full_name)
    db.session.commit()
    return _sheet(cards, title=title, delegation=cards[0].delegation)
