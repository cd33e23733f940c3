"""Login lockouts with device cookies: guessing one account locks out untrusted browsers,
never the owner's own; each lockout is logged once; no password ever reaches the log."""
import json

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from forum.auth.safety import DEVICE_COOKIE_NAME
from forum.core.audit import ANONYMOUS, AuditEntry
from forum.extensions import db
from tests.auth.helpers import is_logged_in, issue_code_for, new_unactivated_user, new_user
from tests.factories import DEFAULT_PASSWORD

FAILURES = 3
WRONG = "doan-sai-mat-khau"
UNTRUSTED_LOCKED = "Tài khoản này đang tạm khóa đăng nhập từ thiết bị lạ"
DEVICE_LOCKED = "Trình duyệt này đã nhập sai mật khẩu quá nhiều lần"
GENERIC_ERROR = "Email hoặc mật khẩu không đúng."


@pytest.fixture
def app_overrides():
    return {"LOGIN_LOCKOUT_FAILURES": FAILURES, "LOGIN_LOCKOUT_MINUTES": 15}


def _login(client, email, password=DEFAULT_PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def _trusted_browser(app, user):
    """A browser that has logged in to ``user``'s account before (and logged out)."""
    browser = app.test_client()
    assert _login(browser, user.email).status_code == 302
    assert browser.post("/logout").status_code == 302
    assert browser.get_cookie(DEVICE_COOKIE_NAME) is not None
    return browser


def _entries(app, action=None) -> list[AuditEntry]:
    with app.app_context():
        query = sa.select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        entries = list(db.session.scalars(query))
        db.session.expunge_all()
        return entries


def _attack(client, email, attempts=FAILURES):
    for _ in range(attempts):
        assert _login(client, email, WRONG).status_code == 422


def test_owner_with_a_device_cookie_logs_in_while_untrusted_browsers_are_locked_out(app):
    user = new_user(app)
    owner = _trusted_browser(app, user)
    attacker = app.test_client()
    _attack(attacker, user.email)

    # The attacker is refused even with the right password, without it being checked.
    refused = _login(attacker, user.email)
    assert refused.status_code == 429
    assert UNTRUSTED_LOCKED in refused.get_data(as_text=True)
    assert not is_logged_in(attacker)
    # So is every other browser that never logged in to this account...
    newcomer = app.test_client()
    assert _login(newcomer, user.email.upper()).status_code == 429
    # ...but not the owner's.
    assert _login(owner, user.email).status_code == 302
    assert is_logged_in(owner)


def test_the_lockout_refuses_before_checking_the_password(app, monkeypatch):
    from forum.auth import services

    user = new_user(app)
    _attack(app.test_client(), user.email)
    checked = []
    monkeypatch.setattr(services, "check_credentials", lambda *args: checked.append(args))
    assert _login(app.test_client(), user.email).status_code == 429
    assert checked == []


def test_failures_below_the_limit_lock_nobody_out(app):
    user = new_user(app)
    client = app.test_client()
    _attack(client, user.email, attempts=FAILURES - 1)
    assert _login(client, user.email).status_code == 302


def test_the_failure_that_reaches_the_limit_says_so(app):
    user = new_user(app)
    client = app.test_client()
    _attack(client, user.email, attempts=FAILURES - 1)
    last = _login(client, user.email, WRONG)
    assert last.status_code == 422
    assert UNTRUSTED_LOCKED in last.get_data(as_text=True)
    assert "15 phút" in last.get_data(as_text=True)


def test_unknown_emails_are_locked_out_like_existing_ones(app):
    """The lockout reveals nothing about which emails have accounts."""
    client = app.test_client()
    _attack(client, "khong.co@congdoan.vn")
    response = _login(client, "khong.co@congdoan.vn")
    assert response.status_code == 429
    assert UNTRUSTED_LOCKED in response.get_data(as_text=True)


def test_a_device_cookie_of_another_account_does_not_help(app):
    victim = new_user(app)
    attacker_account = new_user(app)
    attacker = _trusted_browser(app, attacker_account)  # holds a valid cookie, for its own account
    _attack(attacker, victim.email)
    assert _login(attacker, victim.email).status_code == 429
    # Its own account is not affected by the attack on the victim's.
    assert _login(attacker, attacker_account.email).status_code == 302


def test_a_forged_device_cookie_does_not_help(app):
    victim = new_user(app)
    _trusted_browser(app, victim)
    attacker = app.test_client()
    _attack(attacker, victim.email)
    forged = URLSafeTimedSerializer("guessed-secret", salt="device-cookie").dumps([[victim.id, "nonce"]])
    attacker.set_cookie(DEVICE_COOKIE_NAME, forged)
    assert _login(attacker, victim.email).status_code == 429
    attacker.set_cookie(DEVICE_COOKIE_NAME, "not-even-signed")
    assert _login(attacker, victim.email).status_code == 429


def test_a_trusted_browser_that_keeps_failing_is_locked_out_alone(app):
    user = new_user(app)
    stolen = _trusted_browser(app, user)
    other_trusted = _trusted_browser(app, user)
    _attack(stolen, user.email)

    refused = _login(stolen, user.email)
    assert refused.status_code == 429
    assert DEVICE_LOCKED in refused.get_data(as_text=True)
    # The owner's other browser and untrusted browsers keep their own allowances.
    assert _login(other_trusted, user.email).status_code == 302
    assert _login(app.test_client(), user.email).status_code == 302


def test_a_successful_login_starts_the_browsers_count_afresh(app):
    user = new_user(app)
    browser = _trusted_browser(app, user)
    _attack(browser, user.email, attempts=FAILURES - 1)
    assert _login(browser, user.email).status_code == 302
    browser.post("/logout")
    _attack(browser, user.email, attempts=FAILURES - 1)
    assert _login(browser, user.email).status_code == 302


def test_each_login_gets_a_new_device_cookie(app):
    user = new_user(app)
    browser = _trusted_browser(app, user)
    first = browser.get_cookie(DEVICE_COOKIE_NAME).value
    _login(browser, user.email)
    assert browser.get_cookie(DEVICE_COOKIE_NAME).value != first


def test_one_browser_keeps_device_cookies_for_several_accounts(app):
    """A computer shared at a venue: each delegate's account trusts it."""
    first, second = new_user(app), new_user(app)
    browser = app.test_client()
    for user in (first, second):
        assert _login(browser, user.email).status_code == 302
        browser.post("/logout")
    for user in (first, second):
        _attack(app.test_client(), user.email)
    for user in (first, second):
        assert _login(browser, user.email).status_code == 302
        browser.post("/logout")


def test_the_device_cookie_is_http_only_lax_and_secure_when_asked(app):
    user = new_user(app)
    response = _login(app.test_client(), user.email)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(DEVICE_COOKIE_NAME))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Max-Age=" in cookie
    assert "Secure" not in cookie
    app.config["SESSION_COOKIE_SECURE"] = True
    response = _login(app.test_client(), user.email)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(DEVICE_COOKIE_NAME))
    assert "Secure" in cookie
    assert user.email not in cookie


def test_each_lockout_is_logged_once(app):
    user = new_user(app)
    attacker = app.test_client()
    _attack(attacker, "  " + user.email.upper())
    for _ in range(3):
        assert _login(attacker, user.email).status_code == 429
    lockouts = _entries(app, "auth.lockout")
    assert len(lockouts) == 1
    entry = lockouts[0]
    assert (entry.target_type, entry.target_id) == ("users", user.id)
    assert entry.actor_id is None
    assert entry.actor_role == ANONYMOUS
    assert entry.after == {"email": user.email, "scope": "untrusted", "minutes": 15}
    # Refused attempts are not failures: only the ones that checked a password are logged.
    assert len(_entries(app, "auth.login_failed")) == FAILURES


def test_a_device_lockout_is_logged_with_its_scope(app):
    user = new_user(app)
    browser = _trusted_browser(app, user)
    _attack(browser, user.email)
    [entry] = _entries(app, "auth.lockout")
    assert entry.after["scope"] == "device"


def test_failed_logins_are_logged_with_the_account_and_never_the_password(app):
    user = new_user(app)
    client = app.test_client()
    first = _login(client, " " + user.email.upper() + " ", WRONG)
    second = _login(client, "Khong.Co@CongDoan.vn", WRONG)
    # The responses do not tell an existing account from an unknown email.
    assert first.status_code == second.status_code == 422
    assert GENERIC_ERROR in first.get_data(as_text=True)
    assert GENERIC_ERROR in second.get_data(as_text=True)

    known, unknown = _entries(app, "auth.login_failed")
    assert (known.target_type, known.target_id) == ("users", user.id)
    assert known.after == {"email": user.email, "trusted_device": False}
    assert (unknown.target_type, unknown.target_id) == ("", None)
    assert unknown.after == {"email": "khong.co@congdoan.vn", "trusted_device": False}
    for entry in (known, unknown):
        assert entry.actor_id is None and entry.actor_role == ANONYMOUS
        assert entry.client_address == "127.0.0.1"


def test_a_very_long_typed_email_is_truncated_in_the_log(app):
    typed = "a" * 200 + "@congdoan.vn"
    _login(app.test_client(), typed, WRONG)
    [entry] = _entries(app, "auth.login_failed")
    assert entry.after["email"] == typed[:100]


def test_logins_and_logouts_are_logged(app):
    user = new_user(app)
    browser = _trusted_browser(app, user)
    _login(browser, user.email)
    first, second = _entries(app, "auth.login")
    for entry in (first, second):
        assert (entry.actor_id, entry.target_id) == (user.id, user.id)
    assert first.after == {"trusted_device": False}
    assert second.after == {"trusted_device": True}
    [logout] = _entries(app, "auth.logout")
    assert (logout.actor_id, logout.target_id) == (user.id, user.id)


def test_no_password_ever_reaches_the_audit_log(app):
    user = new_user(app)
    owner = _trusted_browser(app, user)
    typed_passwords = [WRONG + str(n) for n in range(FAILURES + 2)]
    attacker = app.test_client()
    for password in typed_passwords:
        _login(attacker, user.email, password)
    assert _login(owner, user.email).status_code == 302
    new_password = "mat-khau-moi-rat-dai-123"
    owner.post(
        "/account/password",
        data={"current_password": DEFAULT_PASSWORD, "new_password": new_password, "confirm_password": new_password},
    )
    owner.post("/logout")
    entries = _entries(app)
    assert {"auth.login_failed", "auth.lockout", "auth.login", "user.password_changed", "auth.logout"} <= {
        entry.action for entry in entries
    }
    dumped = json.dumps(
        [[e.action, e.before, e.after, e.reason, e.target_type] for e in entries], ensure_ascii=False
    )
    for password in [*typed_passwords, DEFAULT_PASSWORD, new_password]:
        assert password not in dumped


def test_the_browser_that_redeemed_an_activation_code_is_trusted(app):
    """Proving the account with a code marks the browser like a password login does."""
    user = new_unactivated_user(app)
    browser = app.test_client()
    code = issue_code_for(app, user.id)
    new_password = "mat-khau-moi-cua-toi"
    response = browser.post("/activate", data={"code": code, "new_password": new_password, "confirm_password": new_password})
    assert response.status_code == 302
    assert is_logged_in(browser)
    browser.post("/logout")
    _attack(app.test_client(), user.email)
    assert _login(app.test_client(), user.email, new_password).status_code == 429
    assert _login(browser, user.email, new_password).status_code == 302


@pytest.mark.parametrize(("minutes", "expected"), [(1, "in 1 minute."), (15, "in 15 minutes.")])
def test_the_english_lockout_message_counts_minutes_properly(app, minutes, expected):
    from forum.auth.views import lockout_message
    from forum.core.i18n import LOCALE_COOKIE

    with app.test_request_context(headers={"Cookie": f"{LOCALE_COOKIE}=en"}):
        assert lockout_message("device", minutes).endswith(expected)
        assert f"in {minutes} minute" in lockout_message(None, minutes)
    with app.test_request_context():
        assert lockout_message(None, minutes).startswith("Tài khoản này đang tạm khóa")
