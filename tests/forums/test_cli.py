"""``flask forum ...`` commands: seed-demo, demo-logins, list, set-phase.

These are console commands: whoever has shell access to the server is trusted, so there
is no role check to test; what matters is input validation, the audit entry and that
nothing changes on bad input.
"""
import json
import re

import pytest
import sqlalchemy as sa

from forum import demo
from forum.core.audit import AuditEntry
from forum.extensions import db
from forum.forums.models import Forum
from tests.factories import make_forum

DEMO_EMAILS = [
    "daibieu@demo.hienke.vn",
    "dieuhanh@demo.hienke.vn",
    "bantochuc@demo.hienke.vn",
    "quantri@demo.hienke.vn",
]


def invoke(runner, *args):
    return runner.invoke(args=["forum", *args], catch_exceptions=False)


def forum_phase(app, number: int) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(Forum.phase).where(Forum.number == number))


def audit_entries(app) -> list[AuditEntry]:
    with app.app_context():
        entries = list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
        db.session.expunge_all()
        return entries


# seed-demo ----------------------------------------------------------------------------
def test_seed_demo_commits_and_prints_a_summary(app, runner):
    result = invoke(runner, "seed-demo")
    assert result.exit_code == 0
    assert "Đã nạp dữ liệu trình diễn" in result.output
    assert "Diễn đàn: 10 tạo mới, 0 cập nhật" in result.output
    with app.app_context():
        db.session.rollback()  # a fresh transaction sees only what was committed
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Forum)) == 10


def test_seed_demo_twice_reports_nothing_new(app, runner):
    invoke(runner, "seed-demo")
    result = invoke(runner, "seed-demo")
    assert result.exit_code == 0
    assert "không có gì thay đổi" in result.output
    assert "tạo mới" not in result.output


# demo-logins --------------------------------------------------------------------------
def test_demo_logins_prints_the_four_accounts_with_password_and_role(app, runner):
    invoke(runner, "seed-demo")
    result = invoke(runner, "demo-logins")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    for email, role in zip(DEMO_EMAILS, ["Đại biểu", "Điều hành viên", "Ban Tổ chức", "Quản trị hệ thống"]):
        line = next(line for line in lines if email in line)
        assert role in line and "hienke-demo-2023" in line
    assert "seed-demo" not in result.output


def test_demo_logins_prints_a_working_code_for_the_account_without_password(app, runner, client):
    invoke(runner, "seed-demo")
    output = invoke(runner, "demo-logins").output
    code = re.search(r"/activate/([0-9A-Z-]{14})", output).group(1)
    assert "chuakichhoat@demo.hienke.vn" in output
    assert client.post("/activate", data={"code": code, "new_password": "mat-khau-demo-moi",
                                          "confirm_password": "mat-khau-demo-moi"}).status_code == 302
    assert "/activate/" not in invoke(runner, "demo-logins").output  # activated: no code any more


def test_demo_logins_before_seeding_says_how_to_create_them(app, runner):
    result = invoke(runner, "demo-logins")
    assert result.exit_code == 0
    assert all(email in result.output for email in DEMO_EMAILS)
    assert "flask forum seed-demo" in result.output


# list ---------------------------------------------------------------------------------
def demo_proposals() -> list[dict]:
    return json.loads(demo.DEMO_CONTENT_FILE.read_text(encoding="utf-8"))["proposals"]


def test_list_shows_number_phase_sample_flag_count_and_title(app, runner):
    invoke(runner, "seed-demo")
    result = invoke(runner, "list")
    assert result.exit_code == 0
    rows = {int(line.split()[0]): line for line in result.output.splitlines()[1:]}
    assert sorted(rows) == list(range(1, 11))
    assert "Đang nhận hiến kế" in rows[1] and "mẫu" not in rows[1]
    in_forum_one = sum(1 for item in demo_proposals() if item["forum"] == 1)
    assert f" {in_forum_one} " in rows[1]  # the count of forum 1's demo proposals
    assert "Đổi mới công tác vận động" in rows[1]
    assert "Đã kết thúc" in rows[5] and "mẫu" in rows[5]
    assert all("mẫu" in rows[number] for number in range(2, 11))


def test_list_on_an_empty_database(runner):
    result = invoke(runner, "list")
    assert result.exit_code == 0
    assert "Chưa có diễn đàn nào" in result.output


# set-phase ----------------------------------------------------------------------------
@pytest.mark.parametrize("phase", ["draft", "voting", "closed"])
def test_set_phase_changes_the_phase_and_writes_an_audit_entry(app, runner, phase):
    with app.app_context():
        forum_id = make_forum(number=4, phase="open").id
    result = invoke(runner, "set-phase", "4", phase)
    assert result.exit_code == 0, result.output
    assert "Diễn đàn số 4" in result.output
    assert forum_phase(app, 4) == phase
    entry, *rest = audit_entries(app)
    # Closing freezes the forum's result in the same transaction (tests/results).
    assert [later.action for later in rest] == (["results.freeze"] if phase == "closed" else [])
    assert (entry.action, entry.target_type, entry.target_id) == ("forum.set_phase", "forums", forum_id)
    assert (entry.actor_id, entry.actor_role) == (None, "")
    assert (entry.request_id, entry.client_address) == ("", "cli")
    assert (entry.before, entry.after) == ({"phase": "open"}, {"phase": phase})


@pytest.mark.parametrize(
    "args",
    [("0", "voting"), ("11", "voting"), ("-1", "voting"), ("một", "voting"),
     ("4", "finished"), ("4", "VOTING"), ("4",), ()],
)
def test_set_phase_rejects_bad_numbers_and_phases(app, runner, args):
    with app.app_context():
        make_forum(number=4, phase="open")
    result = runner.invoke(args=["forum", "set-phase", *args])
    assert result.exit_code != 0
    assert forum_phase(app, 4) == "open"
    assert audit_entries(app) == []


def test_set_phase_of_a_missing_forum_fails(app, runner):
    with app.app_context():
        make_forum(number=4, phase="open")
    result = runner.invoke(args=["forum", "set-phase", "5", "voting"])
    assert result.exit_code == 1
    assert "Không có diễn đàn số 5" in result.output
    assert audit_entries(app) == []


def test_set_phase_to_the_current_phase_changes_nothing(app, runner):
    with app.app_context():
        make_forum(number=4, phase="voting")
    result = invoke(runner, "set-phase", "4", "voting")
    assert result.exit_code == 0
    assert "đã ở giai đoạn" in result.output
    assert audit_entries(app) == []
