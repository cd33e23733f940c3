"""Outages of the services the site depends on, one log line each way.

When Redis, the database or the SQLite write lock fails, every request that meets the
fault would log it; operations want one line when the fault begins (what, since when,
what the site does meanwhile) and one when it ends, per process. ``begin`` and ``end``
keep that state: only the first ``begin`` of an outage and the first ``end`` after it
write a line (logger ``forum.outages``, lines starting ``OUTAGE <kind>:`` and
``RECOVERED <kind>:``). Both are cheap enough to call on every request.
"""
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

log = logging.getLogger("forum.outages")

REDIS = "redis"
DATABASE = "database"
DATABASE_LOCK = "database-lock"


@dataclass
class _Outage:
    since_wall: datetime
    since: float
    meanwhile: str
    refused: int = 0


_lock = threading.Lock()
_current: dict[str, _Outage] = {}


def begin(kind: str, error: BaseException | str, *, meanwhile: str) -> None:
    """``kind`` is failing (``error``); the first call of an outage logs it with what the
    site does ``meanwhile``, later calls only count."""
    with _lock:
        outage = _current.get(kind)
        if outage is not None:
            outage.refused += 1
            return
        outage = _current[kind] = _Outage(datetime.now(UTC), time.monotonic(), meanwhile, refused=1)
    log.warning(
        "OUTAGE %s: %s since %s UTC (%s); %s",
        kind, _what(kind), outage.since_wall.strftime("%Y-%m-%d %H:%M:%S"), describe(error), meanwhile,
    )


def end(kind: str) -> None:
    """``kind`` works again: logs the recovery if an outage was under way."""
    if kind not in _current:  # the usual case, without taking the lock
        return
    with _lock:
        outage = _current.pop(kind, None)
    if outage is None:
        return
    log.warning(
        "RECOVERED %s: %s again after %.1f s (since %s UTC; %d requests met the fault meanwhile)",
        kind, _what_again(kind), time.monotonic() - outage.since,
        outage.since_wall.strftime("%H:%M:%S"), outage.refused,
    )


def under_way(kind: str) -> bool:
    """Whether this process is living through an outage of ``kind`` (no lock taken)."""
    return kind in _current


def reset() -> None:
    """Forget the outages under way, without a line (a test starting afresh)."""
    with _lock:
        _current.clear()


# What each kind of outage is, and what its end is, in the log lines.
_WORDS = {
    REDIS: ("Redis unreachable", "Redis reachable"),
    DATABASE: ("database unreachable", "database reachable"),
    DATABASE_LOCK: ("SQLite write lock held by another process", "SQLite write lock free"),
}


def _what(kind: str) -> str:
    return _WORDS.get(kind, (f"{kind} failing",))[0]


def _what_again(kind: str) -> str:
    return _WORDS.get(kind, (None, f"{kind} working"))[1]


def describe(error: BaseException | str) -> str:
    if isinstance(error, str):
        return error
    # A driver's message can span lines (psycopg adds hints): the first line says it.
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(getattr(error, 'orig', None) or error).__name__}: {text[0] if text else ''}"[:300]
