"""Configuration: the only module that reads the environment.

Each class is a complete profile; ``create_app`` picks one by name (``FORUM_CONFIG``)
or takes a class directly (tests).
"""
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEFAULT_SECRET_KEY = "dev-only-secret-key-change-me"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    """Development defaults: SQLite and Whoosh under ``instance/``, no setup needed."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'hienke.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # A pooled connection idle for longer than this is pinged before use (a restarted
    # server, a firewall's idle timeout); one used more recently is not (forum.core.database).
    DATABASE_PING_AFTER_IDLE_SECONDS = float(os.environ.get("DATABASE_PING_AFTER_IDLE_SECONDS") or 1.0)
    # How long a web request waits for the SQLite write lock (another request, a backup, a
    # long CLI command) before answering 503 "busy, try again"; the CLI and workers wait
    # SQLITE_BUSY_TIMEOUT_MS. Well below gunicorn's worker timeout (gunicorn.conf.py).
    DATABASE_BUSY_WAIT_SECONDS = float(os.environ.get("DATABASE_BUSY_WAIT_SECONDS") or 3.0)
    SQLITE_BUSY_TIMEOUT_MS = _int("SQLITE_BUSY_TIMEOUT_MS", 30000)
    # Seconds to wait for a PostgreSQL server to accept a connection before answering 503.
    DATABASE_CONNECT_TIMEOUT_SECONDS = _int("DATABASE_CONNECT_TIMEOUT_SECONDS", 5)
    SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "whoosh")
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", str(INSTANCE_DIR / "search-index"))
    # Whoosh: decoded posting lists kept per process, counted in postings (~40 bytes each).
    SEARCH_POSTING_CACHE = _int("SEARCH_POSTING_CACHE", 3_000_000)
    # Drain the search outbox right after a request's commit (once the response is sent).
    # With a `flask search worker` running this may stay on: drains never wait for each other.
    SEARCH_INLINE_DRAIN = _bool("SEARCH_INLINE_DRAIN", True)
    SEARCH_INLINE_BATCH_SIZE = _int("SEARCH_INLINE_BATCH_SIZE", 100)
    SEARCH_WORKER_POLL_SECONDS = float(os.environ.get("SEARCH_WORKER_POLL_SECONDS") or 1.0)
    # Pages of visitors who are not logged in, kept per process and keyed by the
    # database's content version (forum/core/pagecache.py): on, off or verify.
    PAGE_CACHE = os.environ.get("PAGE_CACHE", "on")
    # Redis shares rate limits and login lockouts between workers and servers. When it is
    # unreachable each process counts in its own memory until it is back (fallback+redis:
    # forum/core/rate_limits.py); nothing else depends on it.
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = f"fallback+{REDIS_URL}" if REDIS_URL else "memory://"
    # Connect and read timeout of every Redis call: a Redis that hangs costs a request this long.
    RATELIMIT_STORAGE_OPTIONS = {"timeout": float(os.environ.get("REDIS_TIMEOUT_SECONDS") or 0.5)}
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # Requests to the read-only API (/api/v1/) per user or client address.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120/minute;3000/hour")

    # Number of reverse proxies in front of the app whose X-Forwarded-* headers we trust
    # (rate limits then see the real client address). 0 = trust none.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    ALLOW_REGISTRATION = _bool("ALLOW_REGISTRATION", False)
    # Minutes during which authors may edit their own proposal or comment.
    EDIT_WINDOW_MINUTES = _int("EDIT_WINDOW_MINUTES", 30)
    PROPOSALS_PER_PAGE = _int("PROPOSALS_PER_PAGE", 20)
    # Top-level comments per page of a proposal's thread (their replies come with them).
    COMMENTS_PER_PAGE = _int("COMMENTS_PER_PAGE", 50)
    REPORTS_TO_HIDE = _int("REPORTS_TO_HIDE", 3)  # distinct reporters that hide a post pending review

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "forum" / "translations")
    LANGUAGES = ("vi", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    # A login ends after this long without a request, and this long after it began whatever
    # happens ("remember me" only keeps the session cookie across browser restarts, within
    # the same absolute lifetime; there is no longer-lived remember-me cookie).
    SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", 120)
    SESSION_MAX_HOURS = _int("SESSION_MAX_HOURS", 12)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=SESSION_MAX_HOURS)
    # Login lockouts (forum/auth/safety.py): this many wrong passwords within the period
    # lock out untrusted browsers for the account (or one browser's device cookie) for the period.
    LOGIN_LOCKOUT_FAILURES = _int("LOGIN_LOCKOUT_FAILURES", 10)
    LOGIN_LOCKOUT_MINUTES = _int("LOGIN_LOCKOUT_MINUTES", 15)
    DEVICE_COOKIE_DAYS = _int("DEVICE_COOKIE_DAYS", 365)
    # Strict-Transport-Security on responses served over HTTPS (production).
    HSTS_ENABLED = False
    MAX_CONTENT_LENGTH = 1024 * 1024  # 1 MB: far above any legitimate form post
    # The token lives in the session (a new one at each login and logout) and never
    # longer than the session's absolute lifetime.
    WTF_CSRF_TIME_LIMIT = SESSION_MAX_HOURS * 3600
    # Scrypt with OWASP's minimum cost (N = 2**17, r = 8, p = 1).
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt:131072:8:1")

    # The site's public address (``https://hienke.congdoan.vn``): links in mails and on the
    # printed activation sheets. Unset: pages use the address the request came to, and no
    # mail is sent (a mail's link must never come from a request's Host header).
    SITE_URL = os.environ.get("SITE_URL", "").strip().rstrip("/")
    # Activation codes: the ones organizers print or send (and per-person reset codes) live
    # ACTIVATION_CODE_TTL_HOURS; the ones delegates request by mail, PASSWORD_RESET_TTL_MINUTES.
    ACTIVATION_CODE_TTL_HOURS = _int("ACTIVATION_CODE_TTL_HOURS", 14 * 24)
    PASSWORD_RESET_TTL_MINUTES = _int("PASSWORD_RESET_TTL_MINUTES", 60)

    # Outgoing mail (activation codes, password resets). Mail is on when MAIL_SERVER,
    # MAIL_DEFAULT_SENDER and SITE_URL are set; `flask mail deliver --watch` sends it.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "").strip()
    MAIL_PORT = _int("MAIL_PORT", 587)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)  # STARTTLS on a plain connection (port 587)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)  # TLS from the first byte (port 465)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "").strip()  # "Ban tổ chức <bantochuc@...>"
    MAIL_TIMEOUT_SECONDS = float(os.environ.get("MAIL_TIMEOUT_SECONDS") or 20.0)
    MAIL_BATCH_SIZE = _int("MAIL_BATCH_SIZE", 50)  # mails per SMTP connection
    MAIL_MAX_ATTEMPTS = _int("MAIL_MAX_ATTEMPTS", 8)  # then the mail is marked failed
    MAIL_WORKER_POLL_SECONDS = float(os.environ.get("MAIL_WORKER_POLL_SECONDS") or 5.0)


class DevelopmentConfig(Config):
    # Not DEBUG: `make run` should show the real (Vietnamese) error pages.
    TEMPLATES_AUTO_RELOAD = True
    # Edited templates must show at once: no stored pages (unless asked for).
    PAGE_CACHE = os.environ.get("PAGE_CACHE", "off")


class TestingConfig(Config):
    """Used by the test suite; the fixtures override the database URI per test."""

    TESTING = True
    SECRET_KEY = "testing-secret-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing: tests create many users
    # Most tests do not search: they leave the outbox alone (search tests drain it or turn this on).
    SEARCH_INLINE_DRAIN = False
    # Every page is rendered and compared with its stored copy: a test that reads a page
    # twice fails if the cache would have shown it stale.
    PAGE_CACHE = "verify"
    # Mail is off unless a test turns it on (with its own local SMTP server).
    SITE_URL = ""
    MAIL_SERVER = ""
    MAIL_DEFAULT_SENDER = ""


class ProductionConfig(Config):
    REQUIRE_STRONG_SECRET_KEY = True
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    PREFERRED_URL_SCHEME = "https"
    HSTS_ENABLED = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_environment() -> type[Config]:
    """The config class named by ``FORUM_CONFIG`` (default: development)."""
    name = os.environ.get("FORUM_CONFIG", "development").strip().lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"Unknown FORUM_CONFIG {name!r}; use one of {sorted(CONFIGS)}") from None
