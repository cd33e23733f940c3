"""Rate limits on login and password change (only failed attempts count); the lockout of
one account is in test_lockout.py."""
import pytest

from forum.auth.views import LOGIN_LIMIT_PER_ADDRESS, PASSWORD_CHANGE_LIMIT
from tests.auth.helpers import new_user
from tests.factories import DEFAULT_PASSWORD


@pytest.fixture
def app_overrides():
    return {"RATELIMIT_ENABLED": True}


def _allowed(limit: str) -> int:
    return int(limit.split("/")[0])


def _login(client, email, password=DEFAULT_PASSWORD, address="10.0.0.1"):
    return client.post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_one_address_guessing_many_accounts_is_stopped(app, client):
    user = new_user(app)
    for n in range(_allowed(LOGIN_LIMIT_PER_ADDRESS)):
        assert _login(client, f"nguoi{n}@congdoan.vn", "doan-sai-mat-khau").status_code == 422
    assert _login(client, user.email).status_code == 429
    # Another address is unaffected.
    assert _login(client, user.email, address="10.9.9.9").status_code == 302


def test_successful_logins_do_not_count(app, client):
    """A whole delegation logging in through one venue network is never locked out."""
    user = new_user(app)
    for _ in range(_allowed(LOGIN_LIMIT_PER_ADDRESS) + 5):
        assert _login(client, user.email).status_code == 302
        client.post("/logout", environ_base={"REMOTE_ADDR": "10.0.0.1"})


def test_get_login_is_never_limited(client):
    for _ in range(_allowed(LOGIN_LIMIT_PER_ADDRESS) + 5):
        assert client.get("/login").status_code == 200


def test_guessing_the_current_password_on_a_stolen_session_is_limited(app, client, auth):
    user = new_user(app)
    auth.login(user)
    data = {
        "current_password": "doan-sai-mat-khau",
        "new_password": "mat-khau-moi-rat-dai",
        "confirm_password": "mat-khau-moi-rat-dai",
    }
    for _ in range(_allowed(PASSWORD_CHANGE_LIMIT)):
        assert client.post("/account/password", data=data).status_code == 422
    data["current_password"] = DEFAULT_PASSWORD
    assert client.post("/account/password", data=data).status_code == 429


def test_logins_the_server_could_not_answer_do_not_count(tmp_path):
    """While another process holds SQLite's write lock every login is a 503: the venue's
    delegates retrying must not spend the address's allowance for wrong passwords."""
    import sqlite3

    from forum.extensions import db
    from tests.helpers import build_app, destroy_app

    app = build_app(f"sqlite:///{tmp_path / 'site.sqlite3'}", tmp_path, RATELIMIT_ENABLED=True,
                    DATABASE_BUSY_WAIT_SECONDS=0.05)
    try:
        user = new_user(app)
        client = app.test_client()
        with app.app_context():
            holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            statuses = {_login(client, user.email).status_code for _ in range(_allowed(LOGIN_LIMIT_PER_ADDRESS) + 5)}
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert statuses == {503}
        assert _login(client, user.email).status_code == 302
    finally:
        destroy_app(app)
