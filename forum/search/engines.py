"""Which search engine the app uses (``SEARCH_BACKEND``): created once per app and kept
in ``app.extensions``. Only this module imports an engine package; everything else
talks to the ``backend.SearchBackend`` interface it returns."""
from __future__ import annotations

import threading

from flask import Flask, current_app

from forum.extensions import db
from forum.search.backend import SearchBackend

BACKENDS = ("whoosh", "postgres")
EXTENSION_KEY = "forum.search.backend"
_backend_lock = threading.Lock()


def check_backend_setting(app: Flask) -> None:
    """Fail at startup, with a clear message, on an unknown ``SEARCH_BACKEND``."""
    name = app.config.get("SEARCH_BACKEND", "whoosh")
    if name not in BACKENDS:
        raise RuntimeError(f"Unknown SEARCH_BACKEND {name!r}; use one of {', '.join(BACKENDS)}.")


def _create_backend(app: Flask) -> SearchBackend:
    check_backend_setting(app)
    if app.config.get("SEARCH_BACKEND", "whoosh") == "whoosh":
        from forum.search.whoosh.backend import WhooshBackend

        return WhooshBackend(
            app.config["SEARCH_INDEX_DIR"], posting_cache_size=app.config.get("SEARCH_POSTING_CACHE")
        )
    from forum.search.postgres.backend import PostgresBackend

    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        raise RuntimeError("SEARCH_BACKEND=postgres needs a PostgreSQL DATABASE_URL.")
    return PostgresBackend(engine)


def get_backend(app: Flask | None = None) -> SearchBackend:
    """The app's search backend, created once per app and kept in ``app.extensions``."""
    app = app or current_app._get_current_object()
    backend = app.extensions.get(EXTENSION_KEY)
    if backend is None:
        with _backend_lock:
            backend = app.extensions.get(EXTENSION_KEY)
            if backend is None:
                backend = app.extensions[EXTENSION_KEY] = _create_backend(app)
    return backend
