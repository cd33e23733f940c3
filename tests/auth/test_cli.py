"""``flask users ...`` commands."""
import pytest
import sqlalchemy as sa

from forum.auth.models import User
from forum.core.audit import AuditEntry
from forum.extensions import db
from tests.auth.helpers import is_logged_in, new_user

PASSWORD = "mat-khau-quan-tri"


def _user(app, email):
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.email == email))


def _audit(app):
    """The entries of account changes (not the login events the tests' own logins write)."""
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.not_like("auth.%")))
        return [(e.action, e.actor_id, e.target_id, e.before, e.after) for e in entries]


def _create(runner, *extra, email="Quan.Tri@CongDoan.vn", input=None):
    args = ["users", "create", email, "--name", "Vũ Minh Quân", "--unit", "Tổng LĐLĐ Việt Nam", *extra]
    return runner.invoke(args=args, input=input)


@pytest.mark.parametrize("role", ["delegate", "moderator", "organizer", "admin"])
def test_create_with_password_option(app, runner, role):
    result = _create(runner, "--role", role, "--province", "Hà Nội", "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    assert "Đã tạo tài khoản quan.tri@congdoan.vn" in result.output
    user = _user(app, "quan.tri@congdoan.vn")
    assert (user.full_name, user.unit, user.province, user.role) == (
        "Vũ Minh Quân", "Tổng LĐLĐ Việt Nam", "Hà Nội", role,
    )
    with app.app_context():
        assert db.session.get(User, user.id).check_password(PASSWORD)
    assert _audit(app) == [("user.created", None, user.id, None, {"role": role})]


def test_created_account_can_log_in(app, runner, auth, client):
    assert _create(runner, "--password", PASSWORD).exit_code == 0
    assert auth.login("quan.tri@congdoan.vn", PASSWORD).status_code == 302
    assert is_logged_in(client)


def test_create_defaults_to_delegate(app, runner):
    assert _create(runner, "--password", PASSWORD).exit_code == 0
    assert _user(app, "quan.tri@congdoan.vn").role == "delegate"


def test_create_prompts_for_a_hidden_password_twice(app, runner):
    result = _create(runner, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Nhập lại mật khẩu" in result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    with app.app_context():
        assert db.session.scalar(sa.select(User)).check_password(PASSWORD)


def test_prompt_asks_again_when_the_password_is_too_short_or_differs(app, runner):
    result = _create(runner, input=f"ngan\n{PASSWORD}\nkhac-hoan-toan-roi\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "ít nhất 10 ký tự" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(User)).check_password(PASSWORD)


@pytest.mark.parametrize("existing", ["quan.tri@congdoan.vn", "QUAN.TRI@congdoan.vn"])
def test_create_refuses_duplicate_email_in_any_case(app, runner, existing):
    new_user(app, email=existing.lower())
    result = _create(runner, "--password", PASSWORD)
    assert result.exit_code == 1
    assert "đã có tài khoản" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    assert _audit(app) == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--password", "ngan"], "ít nhất 10 ký tự"),
        (["--password", "x" * 10_000], "không được dài quá 200 ký tự"),
        (["--password", PASSWORD, "--name", "x" * 10_000], "Họ và tên không được dài quá 120 ký tự"),
        (["--password", PASSWORD, "--name", "\x00\u200b "], "Vui lòng nhập họ và tên"),
    ],
)
def test_create_refuses_bad_values_and_saves_nothing(app, runner, extra, message):
    result = _create(runner, *extra)
    assert result.exit_code == 1
    assert message in result.output
    assert _user(app, "quan.tri@congdoan.vn") is None
    assert _audit(app) == []


def test_create_refuses_malformed_email(app, runner):
    result = _create(runner, "--password", PASSWORD, email="khong-co-a-cong")
    assert result.exit_code == 1
    assert "Địa chỉ email không hợp lệ" in result.output


def test_create_refuses_unknown_role(runner):
    result = _create(runner, "--role", "boss", "--password", PASSWORD)
    assert result.exit_code == 2


def test_set_role(app, runner):
    user = new_user(app, email="dai.bieu@congdoan.vn")
    result = runner.invoke(args=["users", "set-role", "Dai.Bieu@CongDoan.vn", "moderator"])
    assert result.exit_code == 0, result.output
    assert "Điều hành viên" in result.output
    assert _user(app, "dai.bieu@congdoan.vn").role == "moderator"
    assert _audit(app) == [
        ("user.role_changed", None, user.id, {"role": "delegate"}, {"role": "moderator"})
    ]


def test_set_role_errors(app, runner):
    new_user(app, email="dai.bieu@congdoan.vn")
    unknown_email = runner.invoke(args=["users", "set-role", "khong.co@congdoan.vn", "admin"])
    assert unknown_email.exit_code == 1
    assert "Không có tài khoản nào với email khong.co@congdoan.vn" in unknown_email.output
    assert runner.invoke(args=["users", "set-role", "dai.bieu@congdoan.vn", "boss"]).exit_code == 2
    same_role = runner.invoke(args=["users", "set-role", "dai.bieu@congdoan.vn", "delegate"])
    assert same_role.exit_code == 1
    assert _audit(app) == []


def test_deactivate_ends_sessions_and_blocks_login(app, runner, client, auth):
    user = new_user(app, email="dai.bieu@congdoan.vn")
    auth.login(user)
    assert is_logged_in(client)
    result = runner.invoke(args=["users", "deactivate", "dai.bieu@congdoan.vn"])
    assert result.exit_code == 0, result.output
    assert not is_logged_in(client)
    stored = _user(app, "dai.bieu@congdoan.vn")
    assert stored.is_active_account is False
    assert stored.session_token != user.session_token
    assert auth.login(user).status_code == 422
    assert _audit(app) == [("user.deactivated", None, user.id, {"is_active": True}, {"is_active": False})]


def test_activate_lets_the_user_back_in(app, runner, client, auth):
    user = new_user(app, email="dai.bieu@congdoan.vn", is_active=False)
    result = runner.invoke(args=["users", "activate", "dai.bieu@congdoan.vn"])
    assert result.exit_code == 0, result.output
    assert auth.login(user).status_code == 302
    assert _audit(app) == [("user.reactivated", None, user.id, {"is_active": False}, {"is_active": True})]


def test_activate_and_deactivate_errors(app, runner):
    new_user(app, email="dai.bieu@congdoan.vn")
    assert runner.invoke(args=["users", "activate", "dai.bieu@congdoan.vn"]).exit_code == 1
    assert runner.invoke(args=["users", "deactivate", "khong.co@congdoan.vn"]).exit_code == 1
    assert runner.invoke(args=["users", "deactivate", "dai.bieu@congdoan.vn"]).exit_code == 0
    again = runner.invoke(args=["users", "deactivate", "dai.bieu@congdoan.vn"])
    assert again.exit_code == 1
    assert "đã bị khóa" in again.output
    assert [entry[0] for entry in _audit(app)] == ["user.deactivated"]


def test_each_command_commits_exactly_once(app, runner):
    """One transaction per command: the database sees one COMMIT (savepoints aside)."""
    with app.app_context():
        engine = db.engine
    commits = []

    def count(connection):
        commits.append(connection)

    sa.event.listen(engine, "commit", count)
    try:
        assert _create(runner, "--password", PASSWORD).exit_code == 0
        assert runner.invoke(args=["users", "set-role", "quan.tri@congdoan.vn", "admin"]).exit_code == 0
        assert runner.invoke(args=["users", "deactivate", "quan.tri@congdoan.vn"]).exit_code == 0
        assert runner.invoke(args=["users", "activate", "quan.tri@congdoan.vn"]).exit_code == 0
        assert runner.invoke(args=["users", "activate", "quan.tri@congdoan.vn"]).exit_code == 1
    finally:
        sa.event.remove(engine, "commit", count)
    assert len(commits) == 4
