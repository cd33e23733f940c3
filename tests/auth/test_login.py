"""Login and logout: credentials, inactive accounts, redirects, sessions, CSRF."""
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask_login.utils import encode_cookie

from forum.auth.models import User
from forum.extensions import db
from tests.auth.helpers import csrf_token_from, is_logged_in, new_user
from tests.factories import DEFAULT_PASSWORD, make_user

GENERIC_ERROR = "Email hoặc mật khẩu không đúng."


def test_login_page_renders_a_labelled_form(client):
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<label class="label" for="email">' in html
    assert '<label class="label" for="password">' in html
    assert 'autocomplete="current-password"' in html


def test_login_with_the_right_password_logs_in_and_records_the_time(app, client, auth):
    user_id = new_user(app, email="daibieu@congdoan.vn", full_name="Trần Thị Lan").id
    response = auth.login("daibieu@congdoan.vn")
    assert response.status_code == 302
    assert response.location == "/"
    assert "Xin chào Trần Thị Lan!" in client.get("/").get_data(as_text=True)
    assert is_logged_in(client)
    with app.app_context():
        assert db.session.get(User, user_id).last_login_at is not None


@pytest.mark.parametrize("typed", ["DaiBieu@CongDoan.VN", "  daibieu@congdoan.vn  ", "DAIBIEU@CONGDOAN.VN"])
def test_email_is_compared_case_insensitively(app, client, auth, typed):
    with app.app_context():
        make_user(email="daibieu@congdoan.vn")
    assert auth.login(typed).status_code == 302
    assert is_logged_in(client)


def test_wrong_password_and_unknown_email_get_the_same_generic_message(app, client, auth):
    with app.app_context():
        make_user(email="daibieu@congdoan.vn")
    wrong_password = auth.login("daibieu@congdoan.vn", "sai-mat-khau-roi")
    unknown_email = auth.login("khongco@congdoan.vn", DEFAULT_PASSWORD)
    for response in (wrong_password, unknown_email):
        assert response.status_code == 422
        assert GENERIC_ERROR in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_failed_login_keeps_the_typed_email(app, auth):
    with app.app_context():
        make_user(email="daibieu@congdoan.vn")
    html = auth.login("daibieu@congdoan.vn", "sai-mat-khau-roi").get_data(as_text=True)
    assert 'value="daibieu@congdoan.vn"' in html
    assert "sai-mat-khau-roi" not in html  # passwords are never echoed back


def test_inactive_user_cannot_log_in_even_with_the_right_password(app, client, auth):
    with app.app_context():
        make_user(email="bikhoa@congdoan.vn", is_active=False)
    response = auth.login("bikhoa@congdoan.vn")
    assert response.status_code == 422
    # Same message as a wrong password: the page does not reveal that the account exists.
    assert GENERIC_ERROR in response.get_data(as_text=True)
    assert not is_logged_in(client)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "https://evil.com",
        "http://evil.com/profile",
        "/\\evil.com",
        "\\\\evil.com",
        "javascript:alert(1)",
        " //evil.com",
        "///evil.com",
        "/\t/evil.com",
        "https:/evil.com",
    ],
)
def test_next_pointing_off_site_lands_on_the_home_page(app, auth, client, target):
    user = new_user(app)
    response = client.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response.location == "/"
    assert urlsplit(response.location).netloc == ""


def test_next_inside_the_site_is_followed(app, client):
    user = new_user(app)
    response = client.post(
        "/login",
        query_string={"next": "/forums/dien-dan-1?page=2"},
        data={"email": user.email, "password": DEFAULT_PASSWORD},
    )
    assert response.location == "/forums/dien-dan-1?page=2"


def test_logged_in_user_visiting_login_is_sent_on_but_not_off_site(app, client, auth):
    user = new_user(app)
    auth.login(user)
    assert client.get("/login", query_string={"next": "//evil.com"}).location == "/"
    assert client.get("/login", query_string={"next": "/profile"}).location == "/profile"


def test_login_starts_a_fresh_session(app, client):
    """Anything planted in the session before login (fixation) is gone after it."""
    user = new_user(app)
    with client.session_transaction() as session:
        session["planted"] = "by-attacker"
    client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{user.id}:")


def test_login_required_pages_redirect_to_login_with_next(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_logout_is_post_only(app, client, auth):
    user = new_user(app)
    auth.login(user)
    assert client.get("/logout").status_code == 405
    assert is_logged_in(client)


def test_logout_kills_every_copy_of_the_session_cookie(app, client, auth):
    user = new_user(app)
    auth.login(user)
    stolen = client.get_cookie("session").value
    response = auth.logout()
    assert response.status_code == 302
    assert not is_logged_in(client)

    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert not is_logged_in(replay)


def test_logout_rotates_the_session_token(app, auth):
    user = new_user(app)
    before = user.session_token
    auth.login(user)
    auth.logout()
    with app.app_context():
        assert db.session.get(User, user.id).session_token != before


def test_logout_of_anonymous_user_redirects_to_login(client):
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_remember_me_keeps_the_session_cookie_across_browser_restarts_only(app, client):
    """"Remember me" makes the session cookie outlive the browser, capped at the absolute
    lifetime; no separate remember-me cookie exists that could outlive it."""
    user = new_user(app)
    client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD, "remember": "y"})
    assert client.get_cookie("session").expires is not None
    assert app.permanent_session_lifetime == timedelta(hours=app.config["SESSION_MAX_HOURS"])
    assert client.get_cookie("remember_token") is None


def test_without_remember_me_the_session_cookie_ends_with_the_browser(app, client):
    user = new_user(app)
    client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert client.get_cookie("session").expires is None
    assert is_logged_in(client)


def test_an_old_remember_me_cookie_is_deleted_not_followed(app):
    """Cookies issued before remember-me was capped would bypass the absolute lifetime."""
    user = new_user(app)
    with app.test_request_context():
        value = encode_cookie(f"{user.id}:{user.session_token}")
    replay = app.test_client()
    replay.set_cookie("remember_token", value)
    assert not is_logged_in(replay)
    assert replay.get_cookie("remember_token") is None


class TestCsrf:
    def test_login_without_token_is_refused(self, csrf_app):
        user = new_user(csrf_app)
        client = csrf_app.test_client()
        response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
        assert response.status_code == 400
        assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)
        assert not is_logged_in(client)

    def test_logout_without_token_is_refused_and_keeps_the_session(self, csrf_app):
        user = new_user(csrf_app)
        client = csrf_app.test_client()
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        response = client.post(
            "/login", data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302
        assert client.post("/logout").status_code == 400
        assert is_logged_in(client)

        token = csrf_token_from(client.get("/account/password").get_data(as_text=True))
        assert client.post("/logout", data={"csrf_token": token}).status_code == 302
        assert not is_logged_in(client)
