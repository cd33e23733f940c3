"""``flask proposals ...``: counter maintenance, through the proposals counts service."""
import sys

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from forum.extensions import db
from forum.proposals import counts

proposals_cli = AppGroup("proposals", help="Hiến kế: kiểm tra các bộ đếm (verify).")


def _describe(item) -> str:
    if isinstance(item, counts.CommentCountDrift):
        return _(
            "Hiến kế #%(id)s: số ý kiến lưu %(stored)s, số bản ghi thực tế %(actual)s",
            id=item.proposal_id, stored=item.stored, actual=item.actual,
        )
    return _(
        "%(counter)s #%(id)s: giá trị lưu %(stored)s, giá trị thực tế %(actual)s",
        counter=item.counter, id=item.object_id, stored=item.stored, actual=item.actual,
    )


@proposals_cli.command("verify")
@click.option("--repair", is_flag=True, help="Dựng lại các bộ đếm từ bản ghi thực tế và ghi nhật ký.")
def verify_command(repair: bool) -> None:
    """So sánh các bộ đếm (số ý kiến của hiến kế; số hiến kế, người tham gia, đơn vị của
    diễn đàn và nhóm vấn đề) với các bản ghi."""
    if repair:
        drift = counts.repair_counters(actor=None, reason="flask proposals verify --repair")
    else:
        drift = counts.find_counter_drift()
    for item in drift:
        click.echo(_describe(item))
    if not drift:
        db.session.rollback()
        click.echo(_("Không có sai lệch: mọi bộ đếm khớp với các bản ghi."))
        return
    if not repair:
        db.session.rollback()
        click.echo(_("Phát hiện %(count)s bộ đếm sai lệch. Chạy lại với --repair để sửa.", count=len(drift)))
        sys.exit(1)
    db.session.commit()
    click.echo(_("Đã sửa %(count)s bộ đếm và ghi vào nhật ký.", count=len(drift)))
