"""Rendered pages for anonymous readers, kept per process and exact.

Public pages (the home page, a forum, a proposal) are read far more often than anything
changes, and by visitors who are not logged in: every such visitor sees the same HTML
for the same address and language. This module keeps that HTML, keyed by a **content
version**: one number in the database (``content_version``) that moves with every
committed write of the content pages show, in the same transaction as the write. A page
is served from memory only when the version read at the start of the request is the
version it was rendered at, so no page older than the database is ever shown, and the
gunicorn workers, each with its own memory, cannot disagree.

How the version moves: every statement the app sends through its engine is looked at
(``before_cursor_execute``); one that writes a table other than ``UNVERSIONED_TABLES``
(the search index, its outbox, the audit log: nothing a cached page shows) marks the
transaction, and when that transaction commits, ``UPDATE content_version SET version =
version + 1`` goes first, on the same connection, inside it. New tables are versioned
without anyone doing anything; the row is locked only while the transaction commits, so
writers never wait on it for longer, and never deadlock on it (it is always their last
lock). A change made outside the app (psql) is not seen: run any write through the app,
or restart it, afterwards.

How a page uses it: the view reads the version in the same statement as the page's
first row (``version_column()``), so the page's data is never older than its version,
then calls ``cached_page(version, render, *state)``. The key is the host, the path with
its query string, the language, the version and ``state`` (what the page shows that can
change without a write: a forum's phase if it follows a clock). Only GET and HEAD
requests of visitors who are not logged in and have no flashed message waiting are
served or stored, and a page is not stored when its rendering asked for a CSRF token
(one visitor's token must not reach another) or when the request itself wrote.

``PAGE_CACHE``: ``on`` (production), ``off`` (development, where templates change under
a running server), ``verify`` (tests: every page is rendered, and one that differs from
its stored copy raises ``StalePage``, so every test that reads a page twice checks the
key).
"""
from __future__ import annotations

import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

from forum.extensions import db

# Tables whose writes change nothing a cached page shows.
# (Activation codes, password reset requests and the mail outbox: the mail worker and
# anonymous reset requests write them, and no public page shows them.)
UNVERSIONED_TABLES = frozenset({
    "search_entries", "search_outbox", "audit_entries", "content_version",
    "activation_codes", "password_reset_requests", "mail_outbox",
})
MODES = ("on", "off", "verify")
VERSION_ROW = 1
BUMP_SQL = f"UPDATE content_version SET version = version + 1 WHERE id = {VERSION_ROW}"

# Statements that change no rows: reads, transaction control, settings, schema changes
# (a migration that moves data does so with UPDATE or INSERT statements, which count).
_SCHEMA = ("CREATE", "DROP", "ALTER")
_READS = ("SELECT", "BEGIN", "SAVEPO", "RELEAS", "ROLLBA", "COMMIT", "PRAGMA", "SHOW", "SET ", "EXPLAI", "LOCK ",
          "ANALYZ", "VACUUM", "COMMEN", *_SCHEMA)
_WRITE_TARGET = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM|REPLACE\s+INTO)\s+\"?(\w+)",
    re.IGNORECASE,
)
_WROTE = "content_version_wrote"  # connection.info: this transaction wrote versioned content
_SCHEMA_CHANGED = "content_version_schema"  # connection.info: ... and changed the schema
_REQUEST_WROTE = "_page_cache_request_wrote"


class ContentVersion(db.Model):
    """One row (id 1): the content version. Created with the table."""

    __tablename__ = "content_version"

    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    version: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)


sa.event.listen(
    ContentVersion.__table__,
    "after_create",
    sa.DDL(f"INSERT INTO content_version (id, version) VALUES ({VERSION_ROW}, 0)"),
)


class StalePage(AssertionError):
    """``PAGE_CACHE = "verify"``: a stored page differs from the page rendered now."""


def version_column():
    """The content version as a column, to read with the page's first row."""
    return (
        sa.select(ContentVersion.version).where(ContentVersion.id == VERSION_ROW).scalar_subquery()
        .label("content_version")
    )


def writes_versioned_content(statement: str) -> bool:
    """Whether ``statement`` may write a versioned table (unknown kinds count as writes)."""
    head = statement.lstrip()[:6].upper()
    if head.startswith(_READS):
        return False
    match = _WRITE_TARGET.match(statement)
    if match is None:
        return True  # WITH ..., DDL, anything unusual: assume it changes content
    return match.group(1).lower() not in UNVERSIONED_TABLES


# Keeping the version -----------------------------------------------------------------
def _on_begin(connection) -> None:
    connection.info.pop(_WROTE, None)
    connection.info.pop(_SCHEMA_CHANGED, None)


def _before_execute(connection, _cursor, statement, _parameters, _context, _executemany) -> None:
    if statement.lstrip()[:6].upper().startswith(_SCHEMA):
        connection.info[_SCHEMA_CHANGED] = True
    elif writes_versioned_content(statement):
        connection.info[_WROTE] = True
        if has_request_context():
            setattr(g, _REQUEST_WROTE, True)


_TABLE_EXISTS_SQL = {
    "sqlite": "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'content_version'",
    "postgresql": "SELECT to_regclass('content_version') IS NOT NULL",
}
_has_version_table: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _on_commit(connection) -> None:
    """Runs just before the transaction commits: the bump is its last statement. A
    database without the table (a migration creating or dropping it) is left alone."""
    schema_changed = connection.info.pop(_SCHEMA_CHANGED, False)
    if not connection.info.pop(_WROTE, False):
        return
    engine = connection.engine
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        if schema_changed or not _has_version_table.get(engine):
            cursor.execute(_TABLE_EXISTS_SQL.get(engine.dialect.name, _TABLE_EXISTS_SQL["postgresql"]))
            row = cursor.fetchone()
            _has_version_table[engine] = bool(row and row[0])
            if not _has_version_table[engine]:
                return
        cursor.execute(BUMP_SQL)
    finally:
        cursor.close()


def _on_rollback(connection) -> None:
    connection.info.pop(_WROTE, None)
    connection.info.pop(_SCHEMA_CHANGED, None)


def watch_engine(engine: sa.Engine) -> None:
    """Attach the version keeping to ``engine`` (once per engine)."""
    if sa.event.contains(engine, "commit", _on_commit):
        return
    sa.event.listen(engine, "begin", _on_begin)
    sa.event.listen(engine, "before_cursor_execute", _before_execute)
    sa.event.listen(engine, "commit", _on_commit)
    sa.event.listen(engine, "rollback", _on_rollback)


# The pages ---------------------------------------------------------------------------------
class PageCache:
    """Pages of one content version, least recently used dropped first. A newer version
    empties it (nothing older can be served again)."""

    def __init__(self, max_entries: int = 512, max_bytes: int = 64 * 1024 * 1024):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._version: int | None = None
        self._pages: OrderedDict[tuple, str] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._pages)

    def get(self, version: int, key: tuple) -> str | None:
        with self._lock:
            if version != self._version:
                return None
            html = self._pages.get(key)
            if html is not None:
                self._pages.move_to_end(key)
            return html

    def put(self, version: int, key: tuple, html: str) -> None:
        size = len(html)
        if size > self.max_bytes:
            return
        with self._lock:
            if self._version is None or version > self._version:
                self._pages.clear()
                self._bytes = 0
                self._version = version
            elif version < self._version:
                return
            old = self._pages.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._pages[key] = html
            self._bytes += size
            while len(self._pages) > self.max_entries or self._bytes > self.max_bytes:
                _key, dropped = self._pages.popitem(last=False)
                self._bytes -= len(dropped)


def _cache() -> PageCache:
    return current_app.extensions["page_cache"]


def _request_key(version: int | None, state: tuple) -> tuple | None:
    """The page's key, or None when this request may not use stored pages."""
    if version is None or current_app.config["PAGE_CACHE"] == "off":
        return None
    if request.method not in ("GET", "HEAD") or current_user.is_authenticated or "_flashes" in session:
        return None
    return (request.host, request.full_path, str(get_locale()), state)


def cached_page(version: int | None, render: Callable[[], str], *state: Hashable) -> str:
    """The page ``render()`` makes, from memory when this request may use it (see the
    module's docstring); ``state`` is what else the page depends on."""
    key = _request_key(version, state)
    if key is None:
        return render()
    cache = _cache()
    stored = cache.get(version, key)
    verify = current_app.config["PAGE_CACHE"] == "verify"
    if stored is not None and not verify:
        return stored
    html = render()
    if stored is not None and html != stored:
        raise StalePage(
            f"the stored page for {key} differs from the page rendered now (content version {version}): "
            "the page shows something that changed without a write through the app. Put it in the key "
            "(the state passed to cached_page, e.g. Forum.page_state for a forum's phase); see forum/core/pagecache.py"
        )
    if "csrf_token" not in g and not g.get(_REQUEST_WROTE):
        cache.put(version, key, html)
    return html


def init_app(app: Flask) -> None:
    mode = app.config.setdefault("PAGE_CACHE", "on")
    if mode not in MODES:
        raise RuntimeError(f"PAGE_CACHE must be one of {', '.join(MODES)}, not {mode!r}")
    app.extensions["page_cache"] = PageCache(
        max_entries=app.config.get("PAGE_CACHE_ENTRIES", 512),
        max_bytes=app.config.get("PAGE_CACHE_BYTES", 64 * 1024 * 1024),
    )
    with app.app_context():
        watch_engine(db.engine)
