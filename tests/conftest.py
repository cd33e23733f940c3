"""Shared fixtures: an app per test on SQLite (always) and PostgreSQL (when
``TEST_DATABASE_URL`` is set), a client, a CLI runner, login helpers, query counting.
What they are built from lives in tests/helpers.py (tests import from there, never
from a conftest.py).

In CI (``CI=true``) a missing PostgreSQL or Chromium fails the run instead of skipping.
"""
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from forum.extensions import db
from tests.helpers import (
    IN_CI,
    TEST_DATABASE_URL,
    AuthActions,
    QueryCounter,
    build_app,
    destroy_app,
    require_service,
    temporary_postgres_database,
)

DB_BACKENDS = ["sqlite", "postgresql"] if TEST_DATABASE_URL else ["sqlite"]


def pytest_configure(config):
    if IN_CI and not TEST_DATABASE_URL:
        raise pytest.UsageError(
            "CI=true but TEST_DATABASE_URL is not set: the PostgreSQL tests must run in CI "
            "(e.g. TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres)."
        )


@pytest.fixture(scope="session")
def postgres_server_url():
    """The PostgreSQL server for tests, from TEST_DATABASE_URL (skips when absent)."""
    if not TEST_DATABASE_URL:
        require_service(
            "PostgreSQL not configured: set TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres"
        )
    return TEST_DATABASE_URL


@pytest.fixture(scope="session")
def postgres_database(postgres_server_url):
    """One database for the whole session; each test creates and drops its tables."""
    with temporary_postgres_database(postgres_server_url) as url:
        yield url


@pytest.fixture(params=DB_BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return request.getfixturevalue("postgres_database")


@pytest.fixture
def app_overrides():
    """Config overrides for the ``app`` fixture; override this fixture in a test module."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, app_overrides):
    app = build_app(database_url, tmp_path, **app_overrides)
    yield app
    destroy_app(app)


@pytest.fixture
def csrf_app(database_url, tmp_path):
    """An app with CSRF protection switched on, as in production."""
    app = build_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    yield app
    destroy_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter:`` records every SQL statement sent."""

    @contextmanager
    def counting():
        counter = QueryCounter()

        def record(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
                counter.statements.append(statement)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)

    return counting
