"""Account safety: login lockouts that spare the owner (OWASP's "Slow Down Online Guessing
Attacks with Device Cookies") and the idle and absolute lifetime of a session. Never commits.

After a successful login the browser gets a signed device cookie for that account. A login
attempt that presents a valid device cookie for the account is limited per cookie: after
``LOGIN_LOCKOUT_FAILURES`` failures within ``LOGIN_LOCKOUT_MINUTES`` that cookie is locked
out for ``LOGIN_LOCKOUT_MINUTES``. Attempts without one (untrusted clients) share one
allowance per typed email: once it is spent, every untrusted attempt for that account is
refused for ``LOGIN_LOCKOUT_MINUTES`` without checking the password, while the owner's
browsers, which hold a device cookie, still get in. Unknown emails are counted and locked
exactly like existing ones, so a lockout reveals nothing.

The counters live in the rate-limit storage (``RATELIMIT_STORAGE_URI``): Redis when
``REDIS_URL`` is set, so every gunicorn worker and server sees the same counts (each
process's memory while Redis is unreachable: forum/core/rate_limits.py); process memory
otherwise (one worker only). Keys hold a hash of the email, never the email.
"""
import hashlib
import math
import secrets
import time

from flask import Flask, current_app, request, session
from flask_login import login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits.storage import Storage, storage_from_string

from forum.auth.models import User
from forum.core.audit import record_audit

DEVICE_COOKIE_NAME = "hienke_device"
# A browser shared at a venue keeps the device cookies of its last few accounts only.
DEVICE_COOKIE_MAX_ACCOUNTS = 8
# What an audit entry keeps of a typed email (normalised): enough to read, bounded.
AUDIT_EMAIL_LENGTH = 100
# Session keys (epoch seconds): when this login happened, when the session was last used.
SESSION_LOGIN_AT = "_login_at"
SESSION_SEEN_AT = "_seen_at"
# Writing the last-seen time at most once a minute keeps the cookie from changing on every page.
SEEN_AT_RESOLUTION = 60


def init_app(app: Flask) -> None:
    """One counter storage per application, on the rate limits' storage URI."""
    app.extensions["account_safety"] = storage_from_string(
        app.config.get("RATELIMIT_STORAGE_URI") or "memory://", **app.config.get("RATELIMIT_STORAGE_OPTIONS", {})
    )


def _storage() -> Storage:
    return current_app.extensions["account_safety"]


def _failures_allowed() -> int:
    return current_app.config["LOGIN_LOCKOUT_FAILURES"]


def _period_seconds() -> int:
    return current_app.config["LOGIN_LOCKOUT_MINUTES"] * 60


# Device cookies -------------------------------------------------------------------------
def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt="device-cookie", signer_kwargs={"digest_method": hashlib.sha256}
    )


def _device_entries() -> list[list]:
    """The ``[user id, nonce]`` pairs of this browser's device cookie; [] if absent, forged or old."""
    raw = request.cookies.get(DEVICE_COOKIE_NAME)
    if not raw:
        return []
    try:
        entries = _serializer().loads(raw, max_age=current_app.config["DEVICE_COOKIE_DAYS"] * 86400)
    except BadSignature:
        return []
    if not isinstance(entries, list):
        return []
    return [
        entry
        for entry in entries
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int) and isinstance(entry[1], str)
    ]


def trusted_device(user: User | None) -> str | None:
    """The nonce of this browser's valid device cookie for ``user``, else None (untrusted)."""
    if user is None:
        return None
    for user_id, nonce in _device_entries():
        if user_id == user.id:
            return nonce
    return None


def remember_device(response, user: User) -> None:
    """Give this browser a fresh device cookie for ``user`` (a new nonce after each login)."""
    others = [entry for entry in _device_entries() if entry[0] != user.id]
    entries = [[user.id, secrets.token_urlsafe(16)], *others][:DEVICE_COOKIE_MAX_ACCOUNTS]
    response.set_cookie(
        DEVICE_COOKIE_NAME,
        _serializer().dumps(entries),
        max_age=current_app.config["DEVICE_COOKIE_DAYS"] * 86400,
        httponly=True,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        samesite="Lax",
    )


# Lockouts ---------------------------------------------------------------------------------
def _email_digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def _keys(email: str, device: str | None) -> tuple[str, str]:
    """(failure counter, lockout) keys: the device cookie's, or the account's for untrusted clients."""
    if device:
        return f"login-failures:device:{device}", f"login-lockout:device:{device}"
    digest = _email_digest(email)
    return f"login-failures:untrusted:{digest}", f"login-lockout:untrusted:{digest}"


def login_lockout_minutes(email: str, device: str | None) -> int | None:
    """Minutes left in the lockout that refuses this attempt, or None when it may proceed.

    ``email`` is the normalised typed email, ``device`` the nonce of a valid device cookie
    for that account (``trusted_device``): a trusted browser is judged by its own count only.
    """
    _failures, lockout = _keys(email, device)
    if not _storage().get(lockout):
        return None
    remaining = _storage().get_expiry(lockout) - time.time()
    return max(1, math.ceil(remaining / 60))


def _audit_email(email: str) -> dict:
    return {"email": email[:AUDIT_EMAIL_LENGTH]}


def record_failed_login(email: str, user: User | None, device: str | None) -> bool:
    """Count a wrong password (the audit entry names the account when it exists, and
    never the password); True when this failure starts a lockout, which is logged once."""
    record_audit("auth.login_failed", user, actor=None, after=_audit_email(email) | {"trusted_device": bool(device)})
    failures, lockout = _keys(email, device)
    period = _period_seconds()
    # ``incr`` is atomic (also on Redis): exactly one request sees the count reach the limit.
    if _storage().incr(failures, period) != _failures_allowed():
        return False
    _storage().incr(lockout, period)
    _storage().clear(failures)  # after the lockout, a fresh allowance
    record_audit(
        "auth.lockout",
        user,
        actor=None,
        after=_audit_email(email)
        | {"scope": "device" if device else "untrusted", "minutes": current_app.config["LOGIN_LOCKOUT_MINUTES"]},
    )
    return True


def record_successful_login(user: User, device: str | None) -> None:
    """Audit the login; a trusted browser that proved the password starts its count afresh."""
    if device:
        _storage().clear(_keys("", device)[0])
    record_audit("auth.login", user, actor=user, after={"trusted_device": bool(device)})


def record_logout(user: User) -> None:
    """Audit a logout, which ends every session of the account (``end_all_sessions``)."""
    record_audit("auth.logout", user, actor=user, after={"sessions_ended": "all"})


# Sessions -----------------------------------------------------------------------------------
def start_session(user: User, *, persistent: bool = False) -> None:
    """Log ``user`` in on a fresh session: nothing planted before login survives it (the
    CSRF token included), another account's session neither. ``persistent`` keeps the
    session cookie across browser restarts, never beyond ``SESSION_MAX_HOURS``."""
    session.clear()
    login_user(user)
    session.permanent = persistent
    now = int(time.time())
    session[SESSION_LOGIN_AT] = now
    session[SESSION_SEEN_AT] = now


def end_session() -> None:
    """Log out of this browser and drop everything the session held (the CSRF token too)."""
    logout_user()
    session.clear()


def session_expired() -> bool:
    """Whether the logged-in session has been idle or alive too long; else note this visit.

    A session without the stamps (from before they existed, or forged) counts as expired.
    """
    now = int(time.time())
    login_at = session.get(SESSION_LOGIN_AT)
    seen_at = session.get(SESSION_SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return True
    config = current_app.config
    if now - login_at >= config["SESSION_MAX_HOURS"] * 3600 or now - seen_at >= config["SESSION_IDLE_MINUTES"] * 60:
        return True
    if now - seen_at >= SEEN_AT_RESOLUTION:
        session[SESSION_SEEN_AT] = now
    return False
