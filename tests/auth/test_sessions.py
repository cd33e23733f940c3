"""Session lifetime: idle and absolute expiry, CSRF tokens bound to the session, other
sessions ended by logout, password and role changes, and no-store on personal pages."""
import time

import pytest

from forum.auth.safety import SESSION_LOGIN_AT, SESSION_SEEN_AT
from tests.auth.helpers import csrf_token_from, is_logged_in, new_user
from tests.factories import DEFAULT_PASSWORD

EXPIRED = "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại."


def _age_session(client, *, login_seconds_ago: int, seen_seconds_ago: int):
    now = int(time.time())
    with client.session_transaction() as session:
        session[SESSION_LOGIN_AT] = now - login_seconds_ago
        session[SESSION_SEEN_AT] = now - seen_seconds_ago


def test_an_idle_session_ends_with_a_message(app, client, auth):
    auth.login(new_user(app))
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    _age_session(client, login_seconds_ago=idle + 10, seen_seconds_ago=idle + 1)
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.location.startswith("/login")
    assert EXPIRED in client.get(response.location).get_data(as_text=True)
    assert not is_logged_in(client)


def test_a_used_session_outlives_the_idle_time(app, client, auth):
    auth.login(new_user(app))
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    _age_session(client, login_seconds_ago=idle * 2, seen_seconds_ago=idle - 120)
    assert is_logged_in(client)
    with client.session_transaction() as session:
        assert session[SESSION_SEEN_AT] >= int(time.time()) - 60  # the visit was noted
    _age_session(client, login_seconds_ago=idle * 3, seen_seconds_ago=idle - 120)
    assert is_logged_in(client)


def test_a_session_ends_at_its_absolute_lifetime_however_busy(app, client, auth):
    auth.login(new_user(app))
    _age_session(client, login_seconds_ago=app.config["SESSION_MAX_HOURS"] * 3600 + 1, seen_seconds_ago=0)
    assert not is_logged_in(client)


def test_remember_me_does_not_outlive_the_absolute_lifetime(app, client):
    user = new_user(app)
    client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD, "remember": "y"})
    _age_session(client, login_seconds_ago=app.config["SESSION_MAX_HOURS"] * 3600 + 1, seen_seconds_ago=0)
    assert not is_logged_in(client)


def test_a_session_without_its_login_time_is_not_trusted(app, client, auth):
    auth.login(new_user(app))
    with client.session_transaction() as session:
        del session[SESSION_LOGIN_AT]
    assert not is_logged_in(client)


def test_the_lifetimes_are_settings(app, client, auth):
    app.config.update(SESSION_IDLE_MINUTES=5, SESSION_MAX_HOURS=1)
    auth.login(new_user(app))
    _age_session(client, login_seconds_ago=300, seen_seconds_ago=299)
    assert is_logged_in(client)
    _age_session(client, login_seconds_ago=300, seen_seconds_ago=301)
    assert not is_logged_in(client)
    auth.login(new_user(app))
    _age_session(client, login_seconds_ago=3601, seen_seconds_ago=0)
    assert not is_logged_in(client)


class TestCsrfTokenLifetime:
    @staticmethod
    def _log_in(client, user):
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token})
        assert response.status_code == 302
        return token

    @staticmethod
    def _change_password(client, token):
        new = "mat-khau-moi-rat-dai-123"
        return client.post(
            "/account/password",
            data={"current_password": DEFAULT_PASSWORD, "new_password": new, "confirm_password": new, "csrf_token": token},
        )

    def test_login_replaces_the_anonymous_token(self, csrf_app):
        client = csrf_app.test_client()
        before_login = self._log_in(client, new_user(csrf_app))
        assert self._change_password(client, before_login).status_code == 400

    def test_a_token_from_before_logout_is_refused(self, csrf_app):
        user = new_user(csrf_app)
        client = csrf_app.test_client()
        self._log_in(client, user)
        old = csrf_token_from(client.get("/account/password").get_data(as_text=True))
        assert client.post("/logout", data={"csrf_token": old}).status_code == 302
        assert client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": old}).status_code == 400
        self._log_in(client, user)
        assert self._change_password(client, old).status_code == 400
        assert is_logged_in(client)

    def test_a_token_from_before_expiry_is_refused(self, csrf_app):
        user = new_user(csrf_app)
        client = csrf_app.test_client()
        self._log_in(client, user)
        old = csrf_token_from(client.get("/account/password").get_data(as_text=True))
        _age_session(client, login_seconds_ago=csrf_app.config["SESSION_MAX_HOURS"] * 3600 + 1, seen_seconds_ago=0)
        assert not is_logged_in(client)
        assert client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": old}).status_code == 400

    def test_a_fresh_token_works(self, csrf_app):
        """The counterpart of the tests above: the same request with a live token succeeds."""
        client = csrf_app.test_client()
        self._log_in(client, new_user(csrf_app))
        token = csrf_token_from(client.get("/account/password").get_data(as_text=True))
        assert self._change_password(client, token).status_code == 302


def test_logout_ends_the_accounts_other_sessions(app, login_as):
    user = new_user(app)
    laptop, phone = login_as(user), login_as(user)
    assert laptop.post("/logout").status_code == 302
    assert not is_logged_in(laptop)
    assert not is_logged_in(phone)


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, login_as):
    user = new_user(app)
    laptop, phone = login_as(user), login_as(user)
    new = "mat-khau-moi-rat-dai-123"
    response = laptop.post(
        "/account/password", data={"current_password": DEFAULT_PASSWORD, "new_password": new, "confirm_password": new}
    )
    assert response.status_code == 302
    assert is_logged_in(laptop)
    assert not is_logged_in(phone)


def test_a_role_change_ends_the_accounts_sessions(app, runner, login_as):
    user = new_user(app)
    phone = login_as(user)
    result = runner.invoke(args=["users", "set-role", user.email, "moderator"])
    assert result.exit_code == 0, result.output
    assert not is_logged_in(phone)
    assert is_logged_in(login_as(user))


class TestNoStore:
    @pytest.mark.parametrize("path", ["/profile", "/account/password", "/", "/search"])
    def test_every_page_for_a_logged_in_user_is_no_store(self, app, client, auth, path):
        auth.login(new_user(app))
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-store"

    def test_the_login_page_is_no_store(self, client):
        response = client.get("/login")
        assert response.headers["Cache-Control"] == "private, no-store"

    def test_public_pages_for_anonymous_visitors_stay_cacheable(self, client):
        response = client.get("/")
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")

    def test_static_files_stay_cacheable_when_logged_in(self, app, client, auth):
        auth.login(new_user(app))
        response = client.get("/static/css/app.css")
        response.close()
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")
