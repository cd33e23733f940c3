"""Helpers shared by the tests of every domain: the test app on SQLite or PostgreSQL,
services that must run in CI, logging in through the real form, counting SQL statements.
The fixtures built on them live in tests/conftest.py."""
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


class AuthActions:
    """Log a test client in and out through the real login form."""

    def __init__(self, client):
        self._client = client

    def login(self, user_or_email, password: str = factories.DEFAULT_PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)
