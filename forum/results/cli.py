"""``flask results ...``: freeze, verify and publish the forums' results at the console."""
import click
from flask import current_app
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


@results_cli.command("export")
@click.option("--forum", "forum_numbers", type=int, multiple=True, help="Số diễn đàn (nhắc lại để chọn nhiều); bỏ trống: cả mười.")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "docx", "csv", "json"]), default="xlsx", show_default=True)
@click.option("--top", type=int, default=None, help="Số hiến kế đầu bảng (mỗi diễn đàn, hoặc chung với --overall).")
@click.option("--min-supports", type=int, default=0, help="Chỉ hiến kế có ít nhất ngần này lượt ủng hộ.")
@click.option("--status", "statuses", multiple=True, help="Mã trạng thái (nhắc lại để chọn nhiều).")
@click.option("--overall", is_flag=True, help="Xếp hạng chung cho các diễn đàn đã chọn.")
@click.option("--comments", is_flag=True, help="Kèm các ý kiến chính.")
@click.option("--no-answers", is_flag=True, help="Không kèm trả lời chính thức.")
@click.option("--include-hidden", is_flag=True,
              help="Kèm các hiến kế đã bị ẩn (không xếp hạng, sau các hiến kế được xếp hạng; kèm lý do ẩn).")
@click.option("--include-withdrawn", is_flag=True,
              help="Kèm các hiến kế đã rút (không xếp hạng, sau các hiến kế được xếp hạng).")
@click.option("--output", type=click.Path(dir_okay=True, writable=True), default=".",
              help="Tệp hoặc thư mục để ghi (mặc định: thư mục hiện tại, với tên tệp tự đặt).")
def export_command(forum_numbers, fmt, top, min_supports, statuses, overall, comments, no_answers,
                   include_hidden, include_withdrawn, output) -> None:
    """Xuất các hiến kế được ủng hộ nhiều nhất (như trang Kết quả của Ban Tổ chức).

    --top và --min-supports chỉ áp dụng cho các hiến kế được xếp hạng; hiến kế đã ẩn hoặc
    đã rút (khi chọn --include-hidden, --include-withdrawn) không được xếp hạng."""
    import os

    from forum.forums.services import list_all_forums
    from forum.results import exporting
    from forum.results.ranking import ExportRequest

    known = {forum.number for forum in list_all_forums()}
    unknown = sorted(set(forum_numbers) - known)
    if unknown:
        raise click.ClickException(_("Không có diễn đàn số %(number)s.", number=unknown[0]))
    status_names = dict(exporting.status_choices(list_all_forums()))
    choices = ExportRequest(forum_numbers=tuple(forum_numbers), statuses=tuple(statuses), min_supports=min_supports,
                            top=top, overall=overall, with_comments=comments, with_answers=not no_answers,
                            include_hidden=include_hidden, include_withdrawn=include_withdrawn)
    choices = ExportRequest(**{**choices.__dict__, "filters_in_words": exporting.describe(choices, status_names)})
    # Links in the file are absolute: SITE_URL when set (production), else localhost.
    with current_app.test_request_context(base_url=current_app.config.get("SITE_URL") or "http://localhost"):
        prepared = exporting.prepare_export(choices, fmt, actor=None)
        db.session.commit()
        path = os.path.join(output, prepared.filename) if os.path.isdir(output) else output
        with open(path, "wb") as target:
            if prepared.chunks is not None:
                for chunk in prepared.chunks:
                    target.write(chunk)
            else:
                prepared.write(target)
    click.echo(_("Đã ghi %(path)s.", path=path))
