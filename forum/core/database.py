"""Engine tuning per database, and small helpers shared by the domains.

SQLite (the embedded default) gets WAL (readers never wait for a writer), foreign keys
and a busy timeout, and write requests open their transaction with ``BEGIN IMMEDIATE``:
concurrent writers then queue on the busy timeout instead of failing with "database is
locked" when a read transaction tries to upgrade to a write one. A web request waits
``DATABASE_BUSY_WAIT_SECONDS`` (a few seconds) for the lock, then fails with "database is
locked", which the error handlers answer with 503 "busy, try again" (forum.core.errors):
a backup or a long CLI command holding the lock never holds the site's workers. The CLI
and background work wait ``SQLITE_BUSY_TIMEOUT_MS``; work that must never wait (the
search update after a response) runs under ``no_busy_wait()``.

PostgreSQL connections give up after ``DATABASE_CONNECT_TIMEOUT_SECONDS``: a server that
does not answer costs a request that long, then a 503.

Connections are checked before use only when they sat in the pool for a while
(``DATABASE_PING_AFTER_IDLE_SECONDS``): SQLAlchemy's ``pool_pre_ping`` pings on every
checkout, a round trip per request and several per search drain, to guard against what
happens to idle connections (a server restart, a firewall dropping them). A connection
that fails anyway makes its request fail (503) and SQLAlchemy renews the whole pool.
"""
import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from flask import Flask, has_request_context, request

from forum.core import outages
from forum.extensions import db

log = logging.getLogger(__name__)

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# While this process knows the SQLite write lock is held for long (an outage, see
# forum.core.outages), its writes wait only this long: each fails fast with a 503 instead
# of holding a worker for the whole busy wait, and the first write that gets the lock
# ends the outage.
LOCK_OUTAGE_WAIT_MS = 100


def utcnow() -> datetime:
    """Timezone-aware current time in UTC (stored as UTC everywhere)."""
    return datetime.now(UTC)


def engine_options(config: dict) -> dict:
    """``SQLALCHEMY_ENGINE_OPTIONS`` completed for the configured database (before the
    engine is made): PostgreSQL connections time out instead of hanging on a server that
    does not answer."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    url = sa.engine.make_url(config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", int(config.get("DATABASE_CONNECT_TIMEOUT_SECONDS", 5)))
        options["connect_args"] = connect_args
    return options


def configure_engine(app: Flask) -> None:
    """Attach per-dialect connection settings to the app's engine."""
    with app.app_context():
        engine = db.engine
    _ping_idle_connections(engine, app.config.get("DATABASE_PING_AFTER_IDLE_SECONDS", 1.0))
    _note_recoveries(engine)
    # Flask-SQLAlchemy's own teardown runs after this one (teardowns run in reverse).
    app.teardown_appcontext(_end_session_quietly)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(
            engine,
            request_busy_ms=int(app.config.get("DATABASE_BUSY_WAIT_SECONDS", 3.0) * 1000),
            background_busy_ms=app.config.get("SQLITE_BUSY_TIMEOUT_MS", 30000),
        )


def _end_session_quietly(_error: BaseException | None) -> None:
    """End the request's session before Flask-SQLAlchemy does, so that a connection the
    database dropped (a server shutting down mid-request) cannot turn an answer already
    made into a bare 500 at teardown: the rollback's failure is one log line."""
    try:
        db.session.remove()
    except Exception as error:  # the driver's own errors too: nothing may escape a teardown
        db.session.registry.clear()
        log.warning("database session ended with an error: %s", outages.describe(error))


def _note_recoveries(engine: sa.Engine) -> None:
    """A new connection after a database outage ends it (one log line, forum.core.outages)."""

    @sa.event.listens_for(engine, "connect")
    def connected(_dbapi_connection, _record):
        outages.end(outages.DATABASE)


_RETURNED_AT = "returned_to_pool_at"


def _ping_idle_connections(engine: sa.Engine, idle_seconds: float) -> None:
    """Ping a connection at checkout when it was idle for ``idle_seconds`` or more; a
    failed ping makes the pool replace it (and retry) before anyone uses it."""

    @sa.event.listens_for(engine, "connect")
    @sa.event.listens_for(engine, "checkin")
    def returned(_dbapi_connection, record):
        if record is not None:
            record.info[_RETURNED_AT] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def checkout(dbapi_connection, record, _proxy):
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is not None and time.monotonic() - returned_at < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise sa.exc.DisconnectionError(f"an idle connection failed its ping: {error}") from error


def _wants_write_lock() -> bool:
    # Outside a request (CLI, workers) transactions usually write; inside one, only
    # state-changing methods do.
    return not has_request_context() or request.method not in READ_ONLY_METHODS


_busy_wait_override: ContextVar[int | None] = ContextVar("sqlite_busy_wait_override", default=None)
_BUSY_TIMEOUT = "sqlite_busy_timeout_ms"


@contextmanager
def no_busy_wait() -> Iterator[None]:
    """Within this block SQLite transactions never wait for the write lock: "database is
    locked" at once (work that can be left for later must not hold a worker)."""
    token = _busy_wait_override.set(0)
    try:
        yield
    finally:
        _busy_wait_override.reset(token)


def is_lock_timeout(error: BaseException) -> bool:
    """``error`` is SQLite's "database is locked" (the write lock stayed taken too long)."""
    original = getattr(error, "orig", error)
    return type(original).__module__ == "sqlite3" and "locked" in str(original).lower()


def _configure_sqlite(engine: sa.Engine, *, request_busy_ms: int, background_busy_ms: int) -> None:
    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy emit BEGIN itself (see the "begin" listener below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection):
        wait_ms = _busy_wait_override.get()
        if wait_ms is None:
            wait_ms = request_busy_ms if has_request_context() else background_busy_ms
            if outages.under_way(outages.DATABASE_LOCK):
                wait_ms = min(wait_ms, LOCK_OUTAGE_WAIT_MS)
        if connection.info.get(_BUSY_TIMEOUT) != wait_ms:
            # On the driver's connection: a setting, not one of the request's statements.
            connection.connection.driver_connection.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
            connection.info[_BUSY_TIMEOUT] = wait_ms
        if _wants_write_lock():
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            outages.end(outages.DATABASE_LOCK)  # the lock was free (again)
        else:
            connection.exec_driver_sql("BEGIN")


# Vietnam keeps UTC+7 all year (no daylight saving time since 1975).
LOCAL_UTC_OFFSET_HOURS = 7


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands back naive ones, all UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local_day(moment: datetime) -> date:
    """The calendar day in Vietnam of a stored time (naive: UTC), as ``local_date``
    computes it in the database."""
    return (as_utc(moment) + timedelta(hours=LOCAL_UTC_OFFSET_HOURS)).date()


class local_date(sa.sql.functions.FunctionElement):
    """``local_date(column)``: the calendar day in Vietnam (Asia/Ho_Chi_Minh, UTC+7) of a
    stored UTC time, computed by the database so that a GROUP BY buckets by day without
    reading the rows into Python. SQLite keeps times as text (``2023-11-30 17:30:00.000000``,
    UTC): ``date(column, '+7 hours')``; PostgreSQL shifts the timestamptz's UTC wall time."""

    type = sa.Date()
    inherit_cache = True
    name = "local_date"


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+{LOCAL_UTC_OFFSET_HOURS} hours')"


@compiles(local_date)
def _local_date_default(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"CAST(({column} AT TIME ZONE 'UTC') + INTERVAL '{LOCAL_UTC_OFFSET_HOURS} hours' AS DATE)"
