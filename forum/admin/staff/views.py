"""Roles and scope (Vai trò và phân quyền): the staff list, one account's role (admins
change it) and a moderator's forums (organizers and admins assign them).

The role and scope forms are also the partial ``admin/people/_roles.html`` on the
person page of the people part: it calls ``role_panel(person)`` for what it shows, and
its forms post here with ``next`` set to come back.
"""
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from forum.admin.access import admin_required, is_admin, is_organizer, organizer_required
from forum.admin.area import Section, add_section, bp
from forum.admin.staff.forms import FindAccountForm, RoleForm, ScopeForm
from forum.auth.services import get_user_by_email
from forum.auth.staff import get_user, list_staff_users
from forum.core.errors import DomainError
from forum.core.permissions import current_actor
from forum.core.urls import safe_next_url
from forum.extensions import db
from forum.forums.moderators import ALL_FORUMS, assign_moderator_scope, change_staff_role, moderator_scopes
from forum.forums.services import list_all_forums

add_section(
    Section(
        endpoint="admin.staff",
        label=_l("Vai trò và phân quyền"),
        description=_l("Ai là điều hành viên, Ban Tổ chức, quản trị; điều hành viên phụ trách diễn đàn nào."),
        order=30,
        allowed=is_organizer,
    )
)


@dataclass
class RolePanel:
    """What the role partial shows for one account."""

    person: object
    scope: object  # ALL_FORUMS, a list of forums, or None (no assignment)
    role_form: RoleForm | None  # None: the viewer may not change roles
    scope_form: ScopeForm | None  # None: the account is not a moderator
    next_url: str


def role_panel(person, *, role_form: RoleForm | None = None, scope_form: ScopeForm | None = None, next_url=None):
    """The role partial's content for ``person``, as the current viewer may act on it."""
    next_url = next_url or request.path
    scope = moderator_scopes([person.id]).get(person.id)
    if role_form is None and is_admin(current_user):
        role_form = RoleForm(formdata=None, data={"role": person.role, "next": next_url})
    if scope_form is None and person.role == "moderator":
        data = {"scope": ScopeForm.ALL if scope is ALL_FORUMS else ScopeForm.SOME, "next": next_url}
        ticked = [forum.id for forum in scope] if scope and scope is not ALL_FORUMS else []
        scope_form = ScopeForm(formdata=None, data=data, forums=list_all_forums(), forum_ids=ticked)
    return RolePanel(person=person, scope=scope, role_form=role_form, scope_form=scope_form, next_url=next_url)


@bp.app_context_processor  # app-wide: the partial works on any page that includes it
def _role_panel():
    return {"role_panel": role_panel, "ALL_FORUMS": ALL_FORUMS}


def _person_or_404(user_id: int):
    person = get_user(user_id)
    if person is None:
        abort(404)
    return person


@bp.route("/staff")
@organizer_required
def staff():
    users = list_staff_users()
    form = FindAccountForm(request.args)
    return render_template(
        "admin/staff/index.html", users=users, scopes=moderator_scopes(user.id for user in users), find_form=form
    )


@bp.route("/staff/find")
@organizer_required
def find_account():
    """The search box of the staff list: an email → that account's roles page."""
    form = FindAccountForm(request.args)
    if form.validate():
        person = get_user_by_email(form.email.data)
        if person is not None:
            return redirect(url_for("admin.staff_account", user_id=person.id))
        form.email.errors.append(_("Không có tài khoản nào với email %(email)s.", email=form.email.data))
    users = list_staff_users()
    page = render_template(
        "admin/staff/index.html", users=users, scopes=moderator_scopes(user.id for user in users), find_form=form
    )
    return page, 404 if form.email.data else 400


def _account_page(person, *, status: int = 200, **forms):
    panel = role_panel(person, next_url=url_for("admin.staff_account", user_id=person.id), **forms)
    return render_template("admin/staff/account.html", person=person, panel=panel, admin_section="admin.staff"), status


@bp.route("/staff/<id:user_id>")
@organizer_required
def staff_account(user_id: int):
    return _account_page(_person_or_404(user_id))


def _back(person, form) -> str:
    return safe_next_url(form.next.data, default=url_for("admin.staff_account", user_id=person.id))


@bp.route("/staff/<id:user_id>/role", methods=["POST"])
@admin_required
def change_role(user_id: int):
    person = _person_or_404(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        previous = person.role_label
        try:
            change_staff_role(person, form.role.data, actor=current_actor(), reason=form.reason.data or "")
        except DomainError as error:
            db.session.rollback()
            form.role.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _("%(name)s: %(old)s → %(new)s. Các phiên đăng nhập của tài khoản này đã kết thúc.",
                  name=person.full_name, old=previous, new=person.role_label),
                "success",
            )
            return redirect(_back(person, form))
    return _account_page(person, status=422, role_form=form)


@bp.route("/staff/<id:user_id>/forums", methods=["POST"])
@organizer_required
def change_forums(user_id: int):
    person = _person_or_404(user_id)
    form = ScopeForm(forums=list_all_forums())
    if form.validate_on_submit():
        wanted = ALL_FORUMS if form.scope.data == ScopeForm.ALL else form.forum_ids
        try:
            changed = assign_moderator_scope(person, wanted, actor=current_actor(), reason=form.reason.data or "")
        except DomainError as error:
            db.session.rollback()
            form.forum_errors.append(str(error))
        else:
            db.session.commit()
            if changed:
                flash(_("Đã lưu phân công diễn đàn của %(name)s.", name=person.full_name), "success")
            else:
                flash(_("Phân công của %(name)s không thay đổi.", name=person.full_name), "info")
            return redirect(_back(person, form))
    return _account_page(person, status=422, scope_form=form)
