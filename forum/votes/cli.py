"""``flask votes ...``: support counter maintenance."""
import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from flask_babel import gettext as _

from forum.core.audit import record_audit
from forum.extensions import db
from forum.proposals.models import Proposal
from forum.votes.models import Support

votes_cli = AppGroup("votes", help="Ủng hộ: kiểm tra bộ đếm (verify).")


def find_support_count_drift() -> list[tuple[int, int, int]]:
    """(proposal id, stored count, counted rows) for every proposal whose counter is wrong.

    One GROUP BY query; the LEFT JOIN keeps proposals without any support row.
    """
    actual = sa.func.count(Support.id)
    rows = db.session.execute(
        sa.select(Proposal.id, Proposal.support_count, actual)
        .outerjoin(Support, Support.proposal_id == Proposal.id)
        .group_by(Proposal.id, Proposal.support_count)
        .having(Proposal.support_count != actual)
        .order_by(Proposal.id)
    )
    return [(proposal_id, stored, counted) for proposal_id, stored, counted in rows]


def repair_support_counts() -> int:
    """Set every drifting counter from the rows in one UPDATE; returns how many changed."""
    counted = (
        sa.select(sa.func.count(Support.id))
        .where(Support.proposal_id == Proposal.id)
        .correlate(Proposal)
        .scalar_subquery()
    )
    result = db.session.execute(
        sa.update(Proposal)
        .where(Proposal.support_count != counted)
        # Setting updated_at to itself keeps a repair from looking like an edit.
        .values(support_count=counted, updated_at=Proposal.updated_at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _lock_supports_against_writers() -> None:
    """Hold off concurrent supports while repairing, so the counts read are final.

    SQLite: the CLI transaction already began with BEGIN IMMEDIATE (forum.core.database).
    PostgreSQL: SHARE mode waits for in-flight support transactions and blocks new ones
    until this transaction ends, while reads go on.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("LOCK TABLE supports IN SHARE MODE"))


@votes_cli.command("verify")
@click.option("--repair", is_flag=True, help="Đặt lại số ủng hộ theo số bản ghi thực tế và ghi nhật ký.")
def verify_command(repair: bool) -> None:
    """So sánh proposals.support_count với số bản ghi ủng hộ của từng hiến kế."""
    if repair:
        _lock_supports_against_writers()
    drift = find_support_count_drift()
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
    repaired = repair_support_counts()
    for proposal_id, stored, counted in drift:
        record_audit(
            "votes.repair_support_count",
            db.session.get(Proposal, proposal_id),
            actor=None,
            reason="flask votes verify --repair",
            before={"support_count": stored},
            after={"support_count": counted},
        )
    db.session.commit()
    click.echo(_("Đã sửa số ủng hộ của %(count)s hiến kế và ghi vào nhật ký.", count=repaired))
