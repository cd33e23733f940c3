"""``flask forum ...``: forum administration at the console and demo data.

Console commands are for organizers and IT staff with shell access; like views, they call
the domains' services and commit once.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from flask_babel import gettext as _

from forum import demo
from forum.auth.activation.services import issue_code
from forum.auth.services import existing_emails, get_user_by_email
from forum.core.errors import DomainError
from forum.core.formatting import datetime_filter
from forum.extensions import db
from forum.forums import services
from forum.forums.models import Phase
from forum.forums.moderators import ALL_FORUMS, assign_moderator_scope
from forum.proposals.services import count_all_proposals_by_forum

forum_cli = AppGroup(
    "forum",
    help="Diễn đàn: dữ liệu mẫu (seed-demo, demo-logins), danh sách (list), giai đoạn (set-phase), lịch (schedule).",
)

VIETNAM_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
SCHEDULE_OPTIONS = {
    "proposals_open_at": "--proposals-open",
    "proposals_close_at": "--proposals-close",
    "supports_open_at": "--supports-open",
    "supports_close_at": "--supports-close",
}

TITLE_WIDTH = 80


@forum_cli.command("seed-demo")
def seed_demo_command():
    """Tạo hoặc bổ sung dữ liệu trình diễn; chạy lại nhiều lần vẫn an toàn."""
    report = demo.seed_demo()
    db.session.commit()
    if not report.changed_anything:
        click.echo(_("Dữ liệu trình diễn đã đầy đủ, không có gì thay đổi."))
        return
    click.echo(_("Đã nạp dữ liệu trình diễn:"))
    lines = [
        _("Diễn đàn: %(created)s tạo mới, %(updated)s cập nhật",
          created=report.forums_created, updated=report.forums_updated),
        _("Nhóm vấn đề: %(created)s tạo mới, %(updated)s cập nhật",
          created=report.themes_created, updated=report.themes_updated),
        _("Tài khoản: %(created)s tạo mới, %(updated)s cập nhật",
          created=report.users_created, updated=report.users_updated),
        _("Hiến kế: %(count)s", count=report.proposals_created),
        _("Ý kiến: %(count)s", count=report.comments_created),
        _("Lượt ủng hộ: %(count)s", count=report.supports_created),
        _("Thông báo: %(count)s", count=report.notifications_created),
    ]
    for line in lines:
        click.echo(f"  - {line}")


@forum_cli.command("demo-logins")
def demo_logins_command():
    """In các tài khoản trình diễn (email, mật khẩu, vai trò)."""
    logins = demo.demo_logins()
    try:
        present = existing_emails(login.email for login in logins)
    except sa.exc.SQLAlchemyError:  # no tables yet: the logins are still worth printing
        db.session.rollback()
        present = None
    click.echo(_("Tài khoản trình diễn:"))
    role_width = max(len(login.role.label) for login in logins)
    email_width = max(len(login.email) for login in logins)
    for login in logins:
        line = f"  {login.role.label:<{role_width}}  {login.email:<{email_width}}  " + _(
            "mật khẩu: %(password)s", password=login.password
        )
        click.echo(line)
    if present is not None and len(present) < len(logins):
        click.echo(_("Chưa có các tài khoản này trong cơ sở dữ liệu: hãy chạy «flask forum seed-demo»."))
    if present is not None:
        _print_demo_activation_code()


def _print_demo_activation_code() -> None:
    """A fresh code for the demo account without a password, while it has none."""
    account = get_user_by_email(demo.UNACTIVATED_DEMO_ACCOUNT["email"])
    if account is None or account.password_hash:
        return
    issued = issue_code(account, actor=None)
    db.session.commit()
    click.echo(_("Thử kích hoạt tài khoản chưa có mật khẩu %(email)s: mở /activate/%(code)s (mã %(code)s).",
                 email=account.email, code=issued.code))


@forum_cli.command("list")
def list_command():
    """Liệt kê các diễn đàn: số, giai đoạn, mẫu, số hiến kế, tên."""
    forums = services.list_all_forums()
    if not forums:
        click.echo(_("Chưa có diễn đàn nào. Chạy «flask forum seed-demo» để tạo dữ liệu trình diễn."))
        return
    proposal_counts = count_all_proposals_by_forum()
    headers = (_("Số"), _("Giai đoạn"), _("Mẫu"), _("Hiến kế"), _("Tên diễn đàn"))
    table = [
        (str(forum.number), forum.phase_label, _("mẫu") if forum.is_sample else "",
         str(proposal_counts.get(forum.id, 0)), _shorten(forum.title))
        for forum in forums
    ]
    widths = [max(len(row[i]) for row in [headers, *table]) for i in range(4)]
    for row in [headers, *table]:
        click.echo(
            f"{row[0]:>{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  "
            f"{row[3]:>{widths[3]}}  {row[4]}".rstrip()
        )


def _shorten(title: str) -> str:
    return title if len(title) <= TITLE_WIDTH else title[: TITLE_WIDTH - 1].rstrip() + "…"


@forum_cli.command("set-phase")
@click.argument("number", type=click.IntRange(1, 10))
@click.argument("phase", type=click.Choice([phase.value for phase in Phase]))
def set_phase_command(number: int, phase: str):
    """Chuyển diễn đàn số NUMBER sang giai đoạn PHASE (draft, open, voting, closed)."""
    forum = services.get_forum_by_number(number)
    if forum is None:
        raise click.ClickException(_("Không có diễn đàn số %(number)s.", number=number))
    old_label = forum.phase_label
    if not services.set_forum_phase(forum, phase, actor=None):
        click.echo(_("Diễn đàn số %(number)s đã ở giai đoạn «%(phase)s».", number=number, phase=old_label))
        return
    db.session.commit()
    click.echo(_("Diễn đàn số %(number)s: «%(old)s» → «%(new)s».", number=number, old=old_label,
                 new=forum.phase_label))


_KEEP = object()


def _parse_moment(value: str | None, option: str):
    """``2026-12-01 08:00`` (Vietnam time) → aware datetime; ``none`` → None (no such
    moment); an option not given → ``_KEEP``."""
    if value is None:
        return _KEEP
    if value.strip().lower() == "none":
        return None
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"):
        try:
            return datetime.strptime(value.strip(), pattern).replace(tzinfo=VIETNAM_TIME)
        except ValueError:
            continue
    raise click.BadParameter(_("Thời điểm không hợp lệ: «%(value)s» (ví dụ 2026-12-01 08:00).", value=value),
                             param_hint=option)


@forum_cli.command("schedule")
@click.argument("number", type=click.IntRange(1, 10))
@click.option("--proposals-open", help="Mở nhận hiến kế, giờ Việt Nam: 2026-12-01 08:00 (none: bỏ mốc).")
@click.option("--proposals-close", help="Ngừng nhận hiến kế (giờ Việt Nam; none: bỏ mốc).")
@click.option("--supports-open", help="Bắt đầu nhận ủng hộ (giờ Việt Nam; none: bỏ mốc).")
@click.option("--supports-close", help="Ngừng nhận ủng hộ và kết thúc (giờ Việt Nam; none: bỏ mốc).")
def schedule_command(number: int, **options):
    """Xem hoặc đặt lịch của diễn đàn số NUMBER; mốc không nêu giữ nguyên."""
    forum = services.get_forum_by_number(number)
    if forum is None:
        raise click.ClickException(_("Không có diễn đàn số %(number)s.", number=number))
    values = {}
    for column, option in SCHEDULE_OPTIONS.items():
        given = _parse_moment(options[option.lstrip("-").replace("-", "_")], option)
        values[column] = _aware(getattr(forum, column)) if given is _KEEP else given
    if any(value is not None for value in options.values()):
        try:
            changed = services.update_forum_schedule(forum, **values, actor=None)
        except DomainError as error:
            raise click.ClickException(str(error)) from error
        db.session.commit()
        if not changed:
            click.echo(_("Lịch không thay đổi."))
    labels = {
        "proposals_open_at": _("Mở nhận hiến kế"), "proposals_close_at": _("Ngừng nhận hiến kế"),
        "supports_open_at": _("Bắt đầu nhận ủng hộ"), "supports_close_at": _("Ngừng nhận ủng hộ và kết thúc"),
    }
    for column, label in labels.items():
        moment = getattr(forum, column)
        click.echo(f"  {label}: {datetime_filter(_aware(moment)) if moment else '—'}")
    click.echo(_("Giai đoạn đang áp dụng: %(phase)s", phase=forum.phase_label))


def _aware(moment):
    """SQLite hands stored moments back without their (UTC) time zone."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=ZoneInfo("UTC"))


@forum_cli.command("set-moderator")
@click.argument("email")
@click.argument("numbers", nargs=-1, type=click.IntRange(1, 10))
@click.option("--all", "all_forums", is_flag=True, help="Điều hành mọi diễn đàn.")
def set_moderator_command(email: str, numbers: tuple[int, ...], all_forums: bool):
    """Giao cho điều hành viên EMAIL các diễn đàn số NUMBERS (hoặc --all; không số nào: bỏ hết)."""
    user = get_user_by_email(email)
    if user is None:
        raise click.ClickException(_("Không có tài khoản nào với email %(email)s.", email=email))
    if all_forums and numbers:
        raise click.ClickException(_("Chọn hoặc các số diễn đàn, hoặc --all, không cả hai."))
    forum_ids = []
    for number in numbers:
        forum = services.get_forum_by_number(number)
        if forum is None:
            raise click.ClickException(_("Không có diễn đàn số %(number)s.", number=number))
        forum_ids.append(forum.id)
    try:
        changed = assign_moderator_scope(user, ALL_FORUMS if all_forums else forum_ids, actor=None)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    if all_forums:
        scope = _("mọi diễn đàn")
    elif numbers:
        scope = _("diễn đàn số %(numbers)s", numbers=", ".join(str(n) for n in sorted(set(numbers))))
    else:
        scope = _("không diễn đàn nào")
    message = _("%(email)s điều hành: %(scope)s.", email=user.email, scope=scope)
    click.echo(message if changed else _("Không có gì thay đổi. ") + message)
