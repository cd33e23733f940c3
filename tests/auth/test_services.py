"""Account services: who may do what, and the invariants the views rely on."""
import unicodedata

import pytest
import sqlalchemy as sa

from forum.auth import services
from forum.auth.models import User
from forum.core.audit import AuditEntry
from forum.core.database import utcnow
from forum.core.errors import InvalidAction, PermissionDenied
from forum.extensions import db
from tests.factories import DEFAULT_PASSWORD, make_user

ROLES = ["delegate", "moderator", "organizer", "admin"]
NEW = {"email": "moi@congdoan.vn", "full_name": "Đỗ Văn Mới", "unit": "CĐ ngành Y tế", "password": "mat-khau-moi-du-dai"}


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize(("role", "is_active", "allowed"), [
    *[(role, True, role == "admin") for role in ROLES],
    ("admin", False, False),
])
def test_only_active_admins_manage_accounts(app, role, is_active, allowed):
    with app.app_context():
        actor = make_user(role=role, is_active=is_active)
        target = make_user()
        actions = [
            lambda: services.create_user(actor=actor, **NEW),
            lambda: services.set_user_role(target, "moderator", actor=actor),
        ]
        for action in actions:
            if allowed:
                action()
            else:
                with pytest.raises(PermissionDenied):
                    action()
        db.session.flush()
        assert _count(AuditEntry) == (2 if allowed else 0)
        assert (target.role == "moderator") is allowed
        db.session.rollback()


def test_shell_operator_is_trusted(app):
    with app.app_context():
        user = services.create_user(actor=None, role="organizer", **NEW)
        assert user.id is not None and user.role == "organizer"
        assert user.email == "moi@congdoan.vn"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"full_name": "\u3164\u3164"}, "Họ và tên chỉ gồm khoảng trắng"),
        ({"full_name": "\u115f\u1160 \u2800"}, "Họ và tên chỉ gồm khoảng trắng"),
        ({"unit": "\u3000\u3164"}, "Đơn vị công tác chỉ gồm khoảng trắng"),
        ({"province": "\u2800"}, "Tỉnh, thành phố chỉ gồm khoảng trắng"),
    ],
)
def test_visually_blank_names_are_refused(app, fields, message):
    with app.app_context():
        with pytest.raises(InvalidAction, match=message):
            services.create_user(actor=None, **{**NEW, **fields})
        assert _count(User) == 0


def test_unknown_role_is_refused(app):
    with app.app_context():
        with pytest.raises(InvalidAction):
            services.create_user(actor=None, role="superuser", **NEW)
        target = make_user()
        with pytest.raises(InvalidAction):
            services.set_user_role(target, "superuser", actor=None)


def test_nobody_changes_someone_elses_password(app):
    with app.app_context():
        owner, admin = make_user(), make_user(role="admin")
        with pytest.raises(PermissionDenied):
            services.change_password(owner, DEFAULT_PASSWORD, "mat-khau-moi-du-dai", actor=admin)
        with pytest.raises(PermissionDenied):
            services.change_password(owner, DEFAULT_PASSWORD, "mat-khau-moi-du-dai", actor=None)
        assert owner.check_password(DEFAULT_PASSWORD)


def test_inactive_user_cannot_change_password(app):
    with app.app_context():
        owner = make_user(is_active=False)
        with pytest.raises(PermissionDenied):
            services.change_password(owner, DEFAULT_PASSWORD, "mat-khau-moi-du-dai", actor=owner)


def test_service_enforces_the_password_policy_without_the_form(app):
    with app.app_context():
        owner = make_user()
        with pytest.raises(services.WrongPassword):
            services.change_password(owner, "sai", "mat-khau-moi-du-dai", actor=owner)
        for bad in ("ngan", "x" * 201, DEFAULT_PASSWORD):
            with pytest.raises(InvalidAction):
                services.change_password(owner, DEFAULT_PASSWORD, bad, actor=owner)
        assert owner.check_password(DEFAULT_PASSWORD)


def test_registration_service_refuses_when_switched_off(app):
    with app.app_context():
        with pytest.raises(PermissionDenied):
            services.register_user(email="a@congdoan.vn", full_name="A", unit="B", province="", password="x" * 12)
        assert _count(User) == 0


def test_email_taken_between_check_and_insert_is_a_clear_error(app, monkeypatch):
    """Two requests racing for one email: the unique constraint decides, the session survives."""
    with app.app_context():
        make_user(email="moi@congdoan.vn")
        monkeypatch.setattr(services, "get_user_by_email", lambda email: None)
        with pytest.raises(services.DuplicateEmail):
            services.create_user(actor=None, **NEW)
        assert _count(User) == 1  # the session is still usable


def test_authenticate_normalises_email_and_password(app):
    password = "mật khẩu tiếng Việt"
    assert unicodedata.normalize("NFD", password) != password
    with app.app_context():
        user = make_user(email="daibieu@congdoan.vn", password=password)
        typed_email = "\u200bDaiBieu@CongDoan.VN\x00"
        assert services.authenticate_user(typed_email, unicodedata.normalize("NFD", password)) == user
        assert services.authenticate_user("daibieu@congdoan.vn", password + " ") is None
        assert services.authenticate_user("", "") is None


def test_session_loader_refuses_stale_and_malformed_ids(app):
    with app.app_context():
        user = make_user()
        good = user.get_id()
        assert services.load_user(good) == user
        for bad in ("", "abc", f"{user.id}", f"{user.id}:", f"{user.id}:wrong", f"x:{user.session_token}"):
            assert services.load_user(bad) is None
        services.end_all_sessions(user)
        assert services.load_user(good) is None


def test_unknown_email_costs_a_password_hash_check_too(app, monkeypatch):
    """Response time must not tell which emails have accounts."""
    checked = []
    real_check = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda hashed, pw: checked.append(hashed) or real_check(hashed, pw))
    with app.app_context():
        assert services.authenticate_user("khongco@congdoan.vn", DEFAULT_PASSWORD) is None
    assert len(checked) == 1


def test_record_login_notes_the_moment(app):
    with app.app_context():
        user = make_user()
        assert user.last_login_at is None
        before = utcnow()
        services.record_login(user)
        assert before <= user.last_login_at <= utcnow()
