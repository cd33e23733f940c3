"""``flask votes ...``: support counter maintenance, through the votes services."""
import sys

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from forum.extensions import db
from forum.votes import services

votes_cli = AppGroup("votes", help="Ủng hộ: kiểm tra bộ đếm (verify).")


@votes_cli.command("verify")
@click.option("--repair", is_flag=True, help="Đặt lại số ủng hộ theo số bản ghi thực tế và ghi nhật ký.")
def verify_command(repair: bool) -> None:
    """So sánh proposals.support_count với số bản ghi ủng hộ của từng hiến kế."""
    if repair:
        drift = services.repair_support_counts(actor=None, reason="flask votes verify --repair")
    else:
        drift = services.find_support_count_drift()
    for proposal_id, stored, counted in drift:
        click.echo(
            _(
                "Hiến kế #%(id)s: số ủng hộ lưu %(stored)s, số bản ghi thực tế %(actual)s",
                id=proposal_id, stored=stored, actual=counted,
            )
        )
    if not drift:
        db.session.rollback()
        click.echo(_("Không có sai lệch: số ủng hộ khớp với số bản ghi ở mọi hiến kế."))
        return
    if not repair:
        db.session.rollback()
        click.echo(
            _(
                "Phát hiện %(count)s hiến kế có số ủng hộ sai lệch. Chạy lại với --repair để sửa.",
                count=len(drift),
            )
        )
        sys.exit(1)
    db.session.commit()
    click.echo(_("Đã sửa số ủng hộ của %(count)s hiến kế và ghi vào nhật ký.", count=len(drift)))
