"""Engine tuning per database, and small helpers shared by the domains.

SQLite (the embedded default) gets WAL, foreign keys and a busy timeout, and write
requests open their transaction with ``BEGIN IMMEDIATE``: concurrent writers then queue
on the busy timeout instead of failing with "database is locked" when a read
transaction tries to upgrade to a write one.
"""
from datetime import UTC, datetime

import sqlalchemy as sa
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
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_timeout_ms=app.config.get("SQLITE_BUSY_TIMEOUT_MS", 30000))


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
