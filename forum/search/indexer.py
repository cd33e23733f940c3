"""The indexer: drains the outbox into the search backend.

How the index stays exactly in step with the database
-----------------------------------------------------
1. Every change writes outbox rows in its own transaction (``outbox.py``): a committed
   change always has a row; a rolled-back one has none.
2. One drainer at a time. The drain lock is taken *before* reading the outbox and held
   until the rows read are deleted. Whoosh: ``flock`` on a file next to the index
   directory; the PostgreSQL backend: ``pg_try_advisory_lock`` on a dedicated
   connection. The kernel or the server releases either lock when its process dies.
   Without it, two drainers could build documents from two moments and the older one
   could commit last, leaving a stale document with its outbox row already gone.
3. A batch: read rows ordered by id, coalesce them into document keys, build the
   documents from the *current* database state (a change whose row was read committed
   before the read, so the build sees it), index those that exist, remove those that do
   not, and only after the backend has committed, delete exactly the ids read. A
   ``counts`` row (a support toggle) of a document not otherwise refreshed in the batch
   only updates its count (``SearchBackend.update_counts``: no text analysed again). Never
   ``id <= max``: transactions commit out of id order, and a lower id committed late
   would be deleted unseen. A crash anywhere before the delete leaves the rows, and the
   next drain repeats the (idempotent) work.
4. No database transaction stays open while the backend writes: on SQLite a CLI
   transaction is ``BEGIN IMMEDIATE`` and would stall every web writer.

Inline drains (after a web request's commit) only *try* the lock and give up at once
when it is busy. A row committed while another drainer held the lock is still never
stranded, because every holder re-checks the outbox *after releasing* the lock and
drains again if rows remain (see ``drain_outbox``).
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app, g, has_app_context

from forum.core.database import no_busy_wait
from forum.core.outages import describe
from forum.extensions import db
from forum.search.backend import SearchBackend
from forum.search.documents import build_documents, forum_keys, thread_keys
from forum.search.engines import get_backend
from forum.search.models import OutboxEntity, SearchOutbox
from forum.search.outbox import WROTE_ROWS

logger = logging.getLogger(__name__)

# An arbitrary 64-bit key, the same in every process of the deployment.
ADVISORY_LOCK_KEY = 0x68_69_65_6E_6B_65_01  # "hienke" + 1
_POLL_SECONDS = 0.05
DOCUMENTS_PER_COMMIT = 500

# Tests set this to a callable(point) to stop or slow the drainer at a named point
# ("after_read", "before_backend", "after_backend_commit", "after_outbox_delete",
# "before_release").
checkpoint_hook: Callable[[str], None] | None = None


def _checkpoint(point: str) -> None:
    if checkpoint_hook is not None:
        checkpoint_hook(point)


class DrainBusy(RuntimeError):
    """Another process holds the drain lock."""


# Locks --------------------------------------------------------------------------------
class FileDrainLock:
    """``flock`` on a lock file: exclusive between processes and between threads (each
    acquire opens its own file description), released by the kernel if the process dies."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self, timeout: float = 0.0) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(_POLL_SECONDS)
            else:
                self._fd = fd
                return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the only descriptor drops the flock


class AdvisoryDrainLock:
    """A session-level PostgreSQL advisory lock held on a dedicated connection; the
    server releases it when the connection (or the process) dies."""

    def __init__(self, engine: sa.Engine, key: int = ADVISORY_LOCK_KEY):
        self.engine = engine
        self.key = key
        self._connection: sa.Connection | None = None

    def acquire(self, timeout: float = 0.0) -> bool:
        connection = self.engine.connect()
        deadline = time.monotonic() + timeout
        try:
            while True:
                got = connection.scalar(sa.select(sa.func.pg_try_advisory_lock(self.key)))
                connection.commit()  # the lock is session-level: it outlives the transaction
                if got:
                    self._connection = connection
                    return True
                if time.monotonic() >= deadline:
                    connection.close()
                    return False
                time.sleep(_POLL_SECONDS)
        except BaseException:
            connection.invalidate()
            connection.close()
            raise

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.scalar(sa.select(sa.func.pg_advisory_unlock(self.key)))
            connection.commit()
        except Exception:
            # Closing the server session is the other way to drop the lock.
            connection.invalidate()
        finally:
            connection.close()


def drain_lock_for(backend: SearchBackend) -> FileDrainLock | AdvisoryDrainLock:
    """The lock matching where the index lives: the database for the PostgreSQL backend,
    a file next to the index directory for Whoosh (and any other local index)."""
    if backend.name == "postgres":
        return AdvisoryDrainLock(db.engine)
    index_dir = Path(getattr(backend, "index_dir", None) or current_app.config["SEARCH_INDEX_DIR"])
    return FileDrainLock(index_dir.with_name(index_dir.name + ".drain.lock"))


# Draining -----------------------------------------------------------------------------
def outbox_size() -> int:
    with so.Session(db.engine) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(SearchOutbox)) or 0


def pending_keys() -> set[str]:
    """The document keys that outbox rows still ask to refresh."""
    with so.Session(db.engine) as session:
        items = session.execute(sa.select(SearchOutbox.entity, SearchOutbox.entity_id).distinct()).all()
        return expand_entities(((row.entity, row.entity_id) for row in items), session=session)


def _outbox_has_rows() -> bool:
    with so.Session(db.engine) as session:
        return session.scalar(sa.select(SearchOutbox.id).limit(1)) is not None


def expand_entities(items, *, session: so.Session) -> set[str]:
    """Outbox ``(entity, entity_id)`` pairs → the document keys they concern now."""
    keys: set[str] = set()
    threads: set[int] = set()
    forums: set[int] = set()
    for entity, entity_id in items:
        if entity in (OutboxEntity.PROPOSAL, OutboxEntity.COMMENT):
            keys.add(f"{entity}:{entity_id}")
        elif entity == OutboxEntity.COUNTS:
            keys.add(f"{OutboxEntity.PROPOSAL}:{entity_id}")
        elif entity == OutboxEntity.THREAD:
            threads.add(entity_id)
        elif entity == OutboxEntity.FORUM:
            forums.add(entity_id)
        else:
            logger.warning("search outbox: unknown entity %r (id %s) ignored", entity, entity_id)
    if threads:
        keys |= thread_keys(threads, session=session)
    if forums:
        keys |= forum_keys(forums, session=session)
    return keys


def _drain_batch(backend: SearchBackend, batch_size: int) -> int:
    """One batch, with the drain lock held. Returns the number of outbox rows consumed."""
    with so.Session(db.engine) as session:
        rows = session.execute(
            sa.select(SearchOutbox.id, SearchOutbox.entity, SearchOutbox.entity_id)
            .order_by(SearchOutbox.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return 0
        _checkpoint("after_read")
        keys = expand_entities(((row.entity, row.entity_id) for row in rows if row.entity != OutboxEntity.COUNTS),
                               session=session)
        # Count-only changes of documents not refreshed whole anyway.
        count_keys = expand_entities(((row.entity, row.entity_id) for row in rows
                                      if row.entity == OutboxEntity.COUNTS), session=session) - keys
        documents = build_documents(keys | count_keys, session=session)
    # The read transaction is over: nothing is held while the backend writes.
    missing = sorted((keys | count_keys) - documents.keys())
    _checkpoint("before_backend")
    # A thread or forum row can stand for thousands of documents: commit them in slices,
    # so that no single index commit (and its writer lock) lasts long.
    present = [document for key, document in documents.items() if key in keys]
    for start in range(0, len(present), DOCUMENTS_PER_COMMIT):
        backend.index_documents(present[start:start + DOCUMENTS_PER_COMMIT])
    counted = [document for key, document in documents.items() if key in count_keys]
    for start in range(0, len(counted), DOCUMENTS_PER_COMMIT):
        backend.update_counts(counted[start:start + DOCUMENTS_PER_COMMIT])
    if missing:
        backend.remove_documents(missing)
    _checkpoint("after_backend_commit")
    ids = [row.id for row in rows]
    with so.Session(db.engine) as session, session.begin():
        for start in range(0, len(ids), 500):
            session.execute(sa.delete(SearchOutbox).where(SearchOutbox.id.in_(ids[start:start + 500])))
    _checkpoint("after_outbox_delete")
    return len(rows)


def drain_outbox(backend: SearchBackend, *, batch_size: int = 500, wait: float = 0.0) -> int:
    """Apply every pending outbox row to ``backend``; returns how many rows were consumed.

    The drainer works on its own connections; call it with no transaction open on
    ``db.session`` (on SQLite an open write transaction would make it wait).

    ``wait``: seconds to wait for the drain lock (0: give up at once if another drainer
    holds it; that drainer will see our rows, see below).

    Why no committed row is ever stranded: let row r commit at time t, and let a
    drainer D fail to take the lock at some moment after t because H holds it. H, after
    releasing the lock (later than D's attempt, so later than t), reads the outbox
    again. Either r is gone (someone drained it) or H sees it and tries the lock again:
    it succeeds and drains r, or it fails because another holder X took the lock after
    H's release, and X makes the same re-check after its own release, later than t.
    The chain ends only with r drained. (A holder that is killed leaves r for the next
    drain: the next write's inline drain, the worker or ``flask search sync``.)
    """
    lock = drain_lock_for(backend)
    drained = 0
    timeout = wait
    while True:
        if not lock.acquire(timeout=timeout):
            return drained
        timeout = 0.0
        try:
            # A short batch was the last one: rows committed since are found by the
            # re-check after the release, so no empty batch is read to make sure.
            while (consumed := _drain_batch(backend, batch_size)) >= batch_size:
                drained += consumed
            drained += consumed
            _checkpoint("before_release")
        finally:
            lock.release()
        if not _outbox_has_rows():  # the re-check after release (see above)
            return drained


@contextmanager
def drain_lock_held(backend: SearchBackend, *, wait: float = 30.0) -> Iterator[None]:
    """Hold the drain lock around work that must not interleave with a drain (reindex,
    repair). Afterwards, drain: rows that arrived meanwhile must not be stranded."""
    lock = drain_lock_for(backend)
    if not lock.acquire(timeout=wait):
        raise DrainBusy("the search drain lock is held by another process")
    try:
        yield
    finally:
        lock.release()
        try:
            drain_outbox(backend)
        except Exception:
            logger.exception("search: draining after an exclusive operation failed")


# Inline drains after a successful commit ---------------------------------------------
_COMMITTED = "_search_outbox_committed"


def _after_commit(session: so.Session) -> None:
    if session.info.pop(WROTE_ROWS, False) and has_app_context():
        setattr(g, _COMMITTED, True)


def _drain_quietly(app: Flask) -> None:
    """Inline drain: small batches, locks tried once (the drain lock, and on SQLite the
    database's write lock: a busy database is left alone at once, never waited for), never
    raises: the outbox keeps the work for the next drain."""
    try:
        with no_busy_wait():
            drain_outbox(get_backend(app), batch_size=app.config.get("SEARCH_INLINE_BATCH_SIZE", 100))
    except sa.exc.OperationalError as error:
        # Busy or unreachable: the request's own handling has said so once already.
        logger.info("search: inline drain left for later (%s)", describe(error))
    except Exception:
        logger.exception("search: inline drain failed; the outbox keeps the pending updates")


def drain_after_response(app: Flask) -> None:
    """The inline drain of a request that committed outbox rows, run once its response is sent."""
    with app.app_context():
        _drain_quietly(app)


def _schedule_after_response(response):
    """After a request that committed outbox rows: drain once the response is sent."""
    if g.pop(_COMMITTED, False) and current_app.config.get("SEARCH_INLINE_DRAIN", True):
        app = current_app._get_current_object()
        response.call_on_close(lambda: drain_after_response(app))
    return response


def _drain_at_teardown(_exc) -> None:
    """Commits outside a request (CLI commands, scripts) drain when their context ends."""
    if g.pop(_COMMITTED, False) and current_app.config.get("SEARCH_INLINE_DRAIN", True):
        # The drainer uses its own connections: end this context's transaction first (it
        # is about to be removed anyway), or on SQLite the drainer would wait for it.
        db.session.remove()
        _drain_quietly(current_app._get_current_object())


_listener_lock = threading.Lock()


def init_app(app: Flask) -> None:
    with _listener_lock:
        if not sa.event.contains(db.session, "after_commit", _after_commit):
            sa.event.listen(db.session, "after_commit", _after_commit)
    app.after_request(_schedule_after_response)
    app.teardown_appcontext(_drain_at_teardown)
