"""Migrations are the only way the schema changes: upgrading an empty database must
give exactly the models' schema (no drift), on SQLite and on PostgreSQL."""
import pytest
import sqlalchemy as sa

from config import TestingConfig
from forum import create_app
from forum.extensions import db
from tests.conftest import temporary_postgres_database


def upgrade_then_check(database_url: str, tmp_path) -> None:
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, SEARCH_INDEX_DIR=str(tmp_path / "ix"))
    runner = app.test_cli_runner()
    try:
        upgrade = runner.invoke(args=["db", "upgrade"])
        assert upgrade.exit_code == 0, upgrade.output
        with app.app_context():
            tables = set(sa.inspect(db.engine).get_table_names())
        assert {"users", "forums", "themes", "proposals", "comments", "supports", "audit_entries",
                "search_outbox", "search_entries"} <= tables
        if database_url.startswith("postgresql"):
            assert_postgres_search_objects(app)
        check = runner.invoke(args=["db", "check"])
        assert check.exit_code == 0, check.output + repr(check.exception)
        downgrade = runner.invoke(args=["db", "downgrade", "base"])
        assert downgrade.exit_code == 0, downgrade.output
    finally:
        with app.app_context():
            db.engine.dispose()


def assert_postgres_search_objects(app) -> None:
    """The PostgreSQL-only search columns, indexes and function exist after upgrading."""
    from forum.search.postgres_schema import UNMAPPED_COLUMNS, UNMAPPED_INDEXES

    with app.app_context():
        inspector = sa.inspect(db.engine)
        columns = {(table, column["name"]) for table, _ in UNMAPPED_COLUMNS for column in inspector.get_columns(table)}
        indexes = {index["name"] for index in inspector.get_indexes("search_entries")}
        with db.engine.connect() as connection:
            folded = connection.exec_driver_sql("SELECT vi_unaccent('Đoàn viên Công đoàn cơ sở')").scalar()
    assert UNMAPPED_COLUMNS <= columns
    assert UNMAPPED_INDEXES <= indexes
    assert folded == "Doan vien Cong doan co so"


def test_upgrade_and_check_on_sqlite(tmp_path):
    upgrade_then_check(f"sqlite:///{tmp_path / 'migrated.sqlite3'}", tmp_path)


@pytest.mark.postgres
def test_upgrade_and_check_on_postgresql(postgres_server_url, tmp_path):
    with temporary_postgres_database(postgres_server_url) as url:
        upgrade_then_check(url, tmp_path)


def test_check_detects_drift(tmp_path):
    """``flask db check`` must fail when a model changes without a migration."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'drift.sqlite3'}")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    extra = sa.Table("not_in_migrations", db.metadata, sa.Column("id", sa.Integer, primary_key=True))
    try:
        result = runner.invoke(args=["db", "check"])
        assert result.exit_code != 0
    finally:
        db.metadata.remove(extra)
        with app.app_context():
            db.engine.dispose()
