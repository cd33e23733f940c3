"""``flask users ...``: provisioning accounts from the shell.

Each command runs one transaction: the service changes rows and writes the audit entry,
the command commits once at the end. Errors exit non-zero with a clear message and
commit nothing.
"""
import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from forum.auth import roster, services
from forum.auth.models import Role, User
from forum.auth.people import field_label
from forum.core.errors import DomainError
from forum.extensions import db
from forum.forums.moderators import change_staff_role

users_cli = AppGroup("users", help="Quản lý tài khoản (create, import, set-role, activate, deactivate).")

ROLE_CHOICE = click.Choice([role.value for role in Role])


def _fail(message: str):
    db.session.rollback()
    raise click.ClickException(message)


def _apply(change):
    """Run the service call ``change`` and commit; when the service refuses, roll back
    and exit with its message."""
    try:
        result = change()
    except DomainError as error:
        _fail(str(error))
    db.session.commit()
    return result


def _password_from_prompt(value: str) -> str:
    """Re-ask (instead of failing) when the typed password breaks the length policy."""
    try:
        services.check_password_policy(services.normalize_password(value))
    except DomainError as error:
        raise click.BadParameter(str(error)) from None
    return value


def _existing_user(email: str) -> User:
    user = services.get_user_by_email(email)
    if user is None:
        _fail(_("Không có tài khoản nào với email %(email)s.", email=email))
    return user


@users_cli.command("create", help="Tạo tài khoản với địa chỉ EMAIL.")
@click.argument("email")
@click.option("--name", "full_name", required=True, help="Họ và tên.")
@click.option("--unit", required=True, help="Đơn vị công tác.")
@click.option("--province", default="", help="Tỉnh, thành phố.")
@click.option("--role", type=ROLE_CHOICE, default=Role.DELEGATE.value, show_default=True, help="Vai trò.")
@click.option("--password", help="Mật khẩu; bỏ trống để nhập ẩn (an toàn hơn: không lưu vào lịch sử shell).")
def create_user(email, full_name, unit, province, role, password):
    """Create an account with EMAIL."""
    if services.get_user_by_email(email) is not None:
        _fail(_("Email %(email)s đã có tài khoản.", email=services.normalize_email(email)))
    if password is None:
        password = click.prompt(
            _("Mật khẩu"),
            hide_input=True,
            confirmation_prompt=_("Nhập lại mật khẩu"),
            value_proc=_password_from_prompt,
        )
    user = _apply(
        lambda: services.create_user(
            email=email, full_name=full_name, unit=unit, province=province,
            role=role, password=password, actor=None,
        )
    )
    click.echo(_("Đã tạo tài khoản %(email)s (%(role)s).", email=user.email, role=user.role_label))


@users_cli.command("set-role", help="Đổi vai trò của tài khoản EMAIL thành ROLE.")
@click.argument("email")
@click.argument("role", type=ROLE_CHOICE)
def set_role(email, role):
    """Give the account EMAIL the role ROLE."""
    user = _existing_user(email)
    _apply(lambda: change_staff_role(user, role, actor=None))
    click.echo(_("%(email)s giờ có vai trò %(role)s.", email=user.email, role=user.role_label))


def _set_active(email: str, active: bool) -> None:
    user = _existing_user(email)
    if active:
        _apply(lambda: services.reactivate_user(user, actor=None))
    else:
        _apply(lambda: services.deactivate_user(user, actor=None))
    if active:
        click.echo(_("Đã mở khóa tài khoản %(email)s.", email=user.email))
    else:
        click.echo(_("Đã khóa tài khoản %(email)s; mọi phiên đăng nhập đã kết thúc.", email=user.email))


@users_cli.command("deactivate", help="Khóa tài khoản EMAIL và kết thúc mọi phiên đăng nhập.")
@click.argument("email")
def deactivate(email):
    """Lock the account EMAIL and end all its sessions."""
    _set_active(email, False)


@users_cli.command("activate", help="Mở khóa tài khoản EMAIL.")
@click.argument("email")
def activate(email):
    """Unlock the account EMAIL."""
    _set_active(email, True)


def _action_label(action: str) -> str:
    labels = {
        roster.CREATE: _("Tạo mới"),
        roster.UPDATE: _("Cập nhật"),
        roster.UNCHANGED: _("Không đổi"),
        roster.REFUSE: _("Từ chối"),
    }
    return labels[action]


@users_cli.command("import", help="Nhập danh sách đại biểu từ tệp CSV (UTF-8) hoặc XLSX.")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Chỉ xem trước: kiểm tra từng dòng, không ghi gì.")
def import_roster(path, dry_run):
    """Import the delegate roster from FILE: people are matched by email (a second
    import updates them); refused rows are listed with their reasons."""
    with open(path, "rb") as file:
        data = file.read(roster.MAX_FILE_BYTES + 1)
    try:
        parsed = roster.read_roster(path, data)
    except DomainError as error:
        _fail(str(error))
    with click.progressbar(length=len(parsed.rows), label=_("Kiểm tra từng dòng")) as bar:
        plan = roster.plan_roster(parsed, actor=None, progress=bar.update)
    if parsed.unknown_headers:
        click.echo(_("Bỏ qua các cột không nhận ra: %(columns)s", columns=", ".join(parsed.unknown_headers)))
    for row in plan.ordered():
        if row.action in (roster.REFUSE, roster.CREATE, roster.UPDATE):
            detail = " ".join(row.reasons + row.notes) if row.action == roster.REFUSE else _change_summary(row)
            click.echo(
                _("Dòng %(line)d · %(action)s · %(email)s: %(detail)s",
                  line=row.line, action=_action_label(row.action), email=row.email or "—", detail=detail)
            )
    counts = plan.counts
    summary = _(
        "Tạo mới %(create)d, cập nhật %(update)d, không đổi %(unchanged)d, từ chối %(refuse)d.",
        **counts,
    )
    if dry_run:
        db.session.rollback()
        click.echo(summary + " " + _("Chạy thử: chưa ghi gì."))
        return
    try:
        roster.apply_roster_plan(plan, actor=None)
    except DomainError as error:
        _fail(str(error))
    db.session.commit()
    click.echo(summary + " " + _("Đã ghi vào cơ sở dữ liệu."))


def _change_summary(row) -> str:
    if row.action == roster.CREATE:
        return row.full_name
    return "; ".join(
        f"{field_label(name)}: {before or '∅'} → {after}" for name, (before, after) in row.changes.items()
    )
