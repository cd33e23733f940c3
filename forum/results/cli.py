"""``flask results ...``: freeze, verify and publish the forums' results at the console."""
import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from forum.core.errors import DomainError
from forum.extensions import db
from forum.forums.services import get_forum_by_number
from forum.results import snapshots

results_cli = AppGroup("results", help="Kết quả: chốt (freeze), kiểm tra (verify), công bố (publish).")


def _forum_or_exit(number: int):
    forum = get_forum_by_number(number)
    if forum is None:
        raise click.ClickException(_("Không có diễn đàn số %(number)s.", number=number))
    return forum


@results_cli.command("freeze")
def freeze_command() -> None:
    """Chốt kết quả của các diễn đàn đã đóng mà chưa được chốt (chạy định kỳ, ví dụ mỗi phút)."""
    made = snapshots.freeze_due_results()
    db.session.commit()
    for snapshot in made:
        click.echo(_("Diễn đàn số %(number)s: đã chốt kết quả, mã kiểm tra SHA-256 %(digest)s.",
                     number=snapshot.forum.number, digest=snapshot.digest))
    if not made:
        click.echo(_("Không có kết quả nào cần chốt."))


@results_cli.command("verify")
@click.argument("number", type=int)
def verify_command(number: int) -> None:
    """Tính lại xếp hạng của diễn đàn từ các lượt ủng hộ và so với kết quả đã chốt."""
    forum = _forum_or_exit(number)
    found = snapshots.list_snapshots(forum)
    if not found:
        raise click.ClickException(_("Diễn đàn số %(number)s chưa có kết quả đã chốt.", number=number))
    check = snapshots.verify_snapshot(found[0])
    db.session.rollback()
    click.echo(_("Kết quả đã chốt: %(digest)s", digest=check.snapshot.digest))
    click.echo(_("Tính lại bây giờ: %(digest)s", digest=check.recomputed_digest))
    if not check.digest_intact:
        click.echo(_("Dữ liệu đã lưu của kết quả không còn khớp với mã kiểm tra của nó."))
    for change in check.changes:
        click.echo(f"  - {change}")
    if check.unchanged:
        click.echo(_("Khớp: không có gì thay đổi từ khi chốt."))
        return
    click.echo(_("KHÔNG KHỚP: kết quả đã thay đổi từ khi chốt."))
    raise SystemExit(1)


@results_cli.command("publish")
@click.argument("number", type=int)
def publish_command(number: int) -> None:
    """Công bố kết quả đã chốt mới nhất của diễn đàn."""
    forum = _forum_or_exit(number)
    found = snapshots.list_snapshots(forum)
    if not found:
        raise click.ClickException(_("Diễn đàn số %(number)s chưa có kết quả đã chốt.", number=number))
    try:
        changed = snapshots.publish_result(found[0], actor=None)
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(_("Đã công bố kết quả.") if changed else _("Kết quả đã được công bố từ trước."))
