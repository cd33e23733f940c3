"""Changing one's own password."""
import pytest
import sqlalchemy as sa

from forum.auth.models import User
from forum.core.audit import AuditEntry
from forum.extensions import db
from tests.auth.helpers import is_logged_in, new_user
from tests.helpers import AuthActions
from tests.factories import DEFAULT_PASSWORD

NEW_PASSWORD = "một câu mật khẩu mới"


def _change(client, current=DEFAULT_PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={"current_password": current, "new_password": new, "confirm_password": new if confirm is None else confirm},
    )


def test_anonymous_is_sent_to_login(client):
    for response in (client.get("/account/password"), _change(client)):
        assert response.status_code == 302
        assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("role", ["delegate", "moderator", "organizer", "admin"])
def test_every_role_changes_own_password_and_stays_logged_in(app, client, auth, role):
    user = new_user(app, role=role)
    auth.login(user)
    response = _change(client)
    assert response.status_code == 302
    assert response.location == "/profile"
    assert is_logged_in(client)
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.check_password(NEW_PASSWORD)
        assert not stored.check_password(DEFAULT_PASSWORD)
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.password_changed")).one()
        assert (entry.actor_id, entry.target_type, entry.target_id) == (user.id, "users", user.id)
    # The new password works for the next login, the old one does not.
    other = AuthActions(app.test_client())
    assert other.login(user, DEFAULT_PASSWORD).status_code == 422
    assert other.login(user, NEW_PASSWORD).status_code == 302


def test_password_change_logs_out_other_devices(app, client, auth, login_as):
    user = new_user(app)
    auth.login(user)
    phone = login_as(user)
    stolen_cookie = client.get_cookie("session").value
    assert is_logged_in(phone)

    assert _change(client).status_code == 302
    assert is_logged_in(client)
    assert not is_logged_in(phone)
    replay = app.test_client()
    replay.set_cookie("session", stolen_cookie)
    assert not is_logged_in(replay)


def test_password_change_keeps_remember_me_on_this_device(app, client):
    user = new_user(app)
    client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD, "remember": "y"})
    assert _change(client).status_code == 302
    assert client.get_cookie("session").expires is not None
    assert is_logged_in(client)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("sai-mat-khau-hien-tai", NEW_PASSWORD, None, "Mật khẩu hiện tại không đúng."),
        (DEFAULT_PASSWORD, "ngan", None, "Mật khẩu phải dài từ 10 đến 200 ký tự."),
        (DEFAULT_PASSWORD, "x" * 201, None, "Mật khẩu phải dài từ 10 đến 200 ký tự."),
        (DEFAULT_PASSWORD, "x" * 10_000, None, "Mật khẩu phải dài từ 10 đến 200 ký tự."),
        (DEFAULT_PASSWORD, DEFAULT_PASSWORD, None, "Mật khẩu mới phải khác mật khẩu hiện tại."),
        (DEFAULT_PASSWORD, NEW_PASSWORD, "mot-cau-khac-han", "Hai mật khẩu không khớp nhau."),
        ("", NEW_PASSWORD, None, "Vui lòng nhập mật khẩu hiện tại."),
        (DEFAULT_PASSWORD, "", "", "Vui lòng nhập mật khẩu mới."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(app, client, auth, current, new, confirm, message):
    user = new_user(app)
    auth.login(user)
    response = _change(client, current, new, confirm)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert is_logged_in(client)
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.check_password(DEFAULT_PASSWORD)
        assert stored.session_token == user.session_token
        changes = sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action.not_like("auth.%"))
        assert db.session.scalar(changes) == 0


def test_exactly_ten_characters_is_enough(app, client, auth):
    user = new_user(app)
    auth.login(user)
    assert _change(client, new="0123456789").status_code == 302


def test_password_typed_in_nfd_matches_the_nfc_one(app, client, auth):
    """macOS and Unikey's "tổ hợp" mode send decomposed Vietnamese; it is the same password."""
    import unicodedata

    user = new_user(app)
    auth.login(user)
    assert _change(client, new=unicodedata.normalize("NFC", NEW_PASSWORD)).status_code == 302
    other = AuthActions(app.test_client())
    assert other.login(user, unicodedata.normalize("NFD", NEW_PASSWORD)).status_code == 302


def test_deactivated_user_loses_access_to_the_page(app, client, auth, runner):
    user = new_user(app)
    auth.login(user)
    assert runner.invoke(args=["users", "deactivate", user.email]).exit_code == 0
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.location.startswith("/login")
