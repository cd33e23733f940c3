"""Shared fixtures: an app per test on SQLite (always) and PostgreSQL (when
``TEST_DATABASE_URL`` is set), a client, a CLI runner, login helpers, query counting.

In CI (``CI=true``) a missing PostgreSQL or Chromium fails the run instead of skipping.
"""
import os
import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from config import TestingConfig
from forum import create_app
from forum.extensions import db
from forum.search.postgres.schema import ensure_schema as ensure_search_schema
from tests import factories

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
DB_BACKENDS = ["sqlite", "postgresql"] if TEST_DATABASE_URL else ["sqlite"]


def pytest_configure(config):
    if IN_CI and not TEST_DATABASE_URL:
        raise pytest.UsageError(
            "CI=true but TEST_DATABASE_URL is not set: the PostgreSQL tests must run in CI "
            "(e.g. TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres)."
        )


def require_service(reason: str):
    """Skip outside CI, fail in CI: CI must run every test."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@contextmanager
def temporary_postgres_database(server_url: str):
    """Create a throw-away database on the server of ``server_url``; drop it afterwards."""
    server = sa.make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"hienke_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        admin.dispose()
        require_service(f"PostgreSQL at {server.render_as_string(hide_password=True)} is unreachable: {error}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


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


def build_app(database_url: str, tmp_path, **overrides):
    """A testing app on ``database_url`` with its tables created."""
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        SEARCH_INDEX_DIR=str(tmp_path / "search-index"),
        **overrides,
    )
    with app.app_context():
        db.create_all()
        with db.engine.begin() as connection:
            ensure_search_schema(connection)
    return app


def destroy_app(app) -> None:
    with app.app_context():
        db.session.remove()
        db.drop_all()  # also drops the PostgreSQL-only search columns with their table
        db.engine.dispose()


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


class AuthActions:
    """Log a test client in and out through the real login form."""

    def __init__(self, client):
        self._client = client

    def login(self, user_or_email, password: str = factories.DEFAULT_PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


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
