"""``flask forum ...``: forum administration at the console and demo data.

Console commands are for organizers and IT staff with shell access; like views, they call
the domains' services and commit once.
"""
import click
import sqlalchemy as sa
from flask.cli import AppGroup
from flask_babel import gettext as _

from forum import demo
from forum.auth.activation.services import issue_code
from forum.auth.services import existing_emails, get_user_by_email
from forum.extensions import db
from forum.forums import services
from forum.forums.models import Phase
from forum.proposals.services import count_all_proposals_by_forum

forum_cli = AppGroup(
    "forum", help="Diễn đàn: dữ liệu mẫu (seed-demo, demo-logins), danh sách (list), giai đoạn (set-phase)."
)

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
