"""Engine tuning per database, and small helpers shared by the domains.

SQLite (the embedded default) gets WAL, foreign keys and a busy timeout, and write
requests open their transaction with ``BEGIN IMMEDIATE``: concurrent writers then queue
on the busy timeout instead of failing with "database is locked" when a read
transaction tries to upgrade to a write one.

Connections are checked before use only when they sat in the pool for a while
(``DATABASE_PING_AFTER_IDLE_SECONDS``): SQLAlchemy's ``pool_pre_ping`` pings on every
checkout, a round trip per request and several per search drain, to guard against what
happens to idle connections (a server restart, a firewall dropping them). A connection
that fails anyway makes its request fail (503) and SQLAlchemy renews the whole pool.
"""
import time
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from flask import Flask, has_request_context, request

from forum.extensions import db

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def utcnow() -> datetime:
    """Timezone-aware current time in UTC (stored as UTC everywhere)."""
    return datetime.now(UTC)


def configure_engine(app: Flask) -> None:
    """Attach per-dialect connection settings to the app's engine."""
    with app.app_context():
        engine = db.engine
    _ping_idle_connections(engine, app.config.get("DATABASE_PING_AFTER_IDLE_SECONDS", 1.0))
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_timeout_ms=app.config.get("SQLITE_BUSY_TIMEOUT_MS", 30000))


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


def _configure_sqlite(engine: sa.Engine, busy_timeout_ms: int) -> None:
    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy emit BEGIN itself (see the "begin" listener below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


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
