"""``flask votes verify [--repair]``: finds counters that disagree with the rows and fixes them."""
import sqlalchemy as sa

from forum.core.audit import AuditEntry
from forum.extensions import db
from forum.proposals.models import Proposal
from tests.factories import make_forum, make_proposal, make_support, make_user
from tests.votes.helpers import count_and_rows


def create_proposals(app) -> tuple[int, int, int]:
    """Three proposals: two supports, none, one support."""
    with app.app_context():
        forum = make_forum(phase="voting")
        author = make_user()
        two, zero, one = (make_proposal(forum, author) for _ in range(3))
        for _ in range(2):
            make_support(two, make_user())
        make_support(one, make_user())
        return two.id, zero.id, one.id


def corrupt(app, proposal_id: int, stored: int) -> None:
    with app.app_context():
        db.session.execute(sa.update(Proposal).where(Proposal.id == proposal_id).values(support_count=stored))
        db.session.commit()


def audit_entries(app) -> list[tuple]:
    with app.app_context():
        return [
            (entry.action, entry.target_type, entry.target_id, entry.before, entry.after)
            for entry in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.target_id))
        ]


def test_verify_passes_when_counts_match(app, runner):
    create_proposals(app)
    result = runner.invoke(args=["votes", "verify"])
    assert result.exit_code == 0, result.output
    assert "Không có sai lệch" in result.output
    assert audit_entries(app) == []


def test_verify_detects_drift_and_repair_fixes_it(app, runner):
    two, zero, one = create_proposals(app)
    corrupt(app, two, 7)  # too many
    corrupt(app, zero, 3)  # a proposal without any row (needs the LEFT JOIN)

    result = runner.invoke(args=["votes", "verify"])
    assert result.exit_code == 1
    assert f"Hiến kế #{two}: số ủng hộ lưu 7, số bản ghi thực tế 2" in result.output
    assert f"Hiến kế #{zero}: số ủng hộ lưu 3, số bản ghi thực tế 0" in result.output
    assert f"#{one}:" not in result.output
    assert "Phát hiện 2 hiến kế" in result.output
    assert count_and_rows(app, two) == (7, 2)  # verify alone changes nothing
    assert audit_entries(app) == []

    result = runner.invoke(args=["votes", "verify", "--repair"])
    assert result.exit_code == 0, result.output
    assert "Đã sửa số ủng hộ của 2 hiến kế" in result.output
    assert count_and_rows(app, two) == (2, 2)
    assert count_and_rows(app, zero) == (0, 0)
    assert count_and_rows(app, one) == (1, 1)
    assert audit_entries(app) == [
        ("votes.repair_support_count", "proposals", two, {"support_count": 7}, {"support_count": 2}),
        ("votes.repair_support_count", "proposals", zero, {"support_count": 3}, {"support_count": 0}),
    ]

    result = runner.invoke(args=["votes", "verify"])
    assert result.exit_code == 0, result.output


def test_verify_detects_a_counter_below_the_rows(app, runner):
    two, _, _ = create_proposals(app)
    corrupt(app, two, 0)
    result = runner.invoke(args=["votes", "verify"])
    assert result.exit_code == 1
    assert f"Hiến kế #{two}: số ủng hộ lưu 0, số bản ghi thực tế 2" in result.output


def test_repair_without_drift_writes_no_audit_entry(app, runner):
    create_proposals(app)
    result = runner.invoke(args=["votes", "verify", "--repair"])
    assert result.exit_code == 0
    assert audit_entries(app) == []


def test_verify_uses_one_query(app, runner, count_queries):
    two, _, _ = create_proposals(app)
    corrupt(app, two, 9)
    with count_queries() as counter:
        runner.invoke(args=["votes", "verify"])
    assert counter.count == 1, counter.statements
