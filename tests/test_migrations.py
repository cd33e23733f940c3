"""Migrations are the only way the schema changes: upgrading an empty database must
give exactly the models' schema (no drift), on SQLite and on PostgreSQL."""
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from config import TestingConfig
from forum import create_app
from forum.extensions import db
from tests.helpers import temporary_postgres_database


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
    from forum.search.postgres.schema import UNMAPPED_COLUMNS, UNMAPPED_INDEXES

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


MOMENT = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
AUDIT_DETAILS_REVISION = "ff01e33abce0"  # audit entries still carry one ``details`` column
AUDIT_BEFORE_AFTER_REVISION = "e777ce6e5e80"
OLD_AUDIT_DETAILS = {
    "forum.set_phase": {"old": "open", "new": "voting"},
    "user.role_changed": {"previous": "delegate", "role": "moderator"},
    "votes.repair_support_count": {"stored": 7, "actual": 2},
    "user.deactivated": {},
    "user.created": {"role": "admin"},
}
CONVERTED_AUDIT = {
    "forum.set_phase": ({"phase": "open"}, {"phase": "voting"}),
    "user.role_changed": ({"role": "delegate"}, {"role": "moderator"}),
    "votes.repair_support_count": ({"support_count": 7}, {"support_count": 2}),
    "user.deactivated": ({"is_active": True}, {"is_active": False}),
    "user.created": (None, {"role": "admin"}),
}


def convert_audit_entries(database_url: str, tmp_path) -> None:
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, SEARCH_INDEX_DIR=str(tmp_path / "ix"))
    runner = app.test_cli_runner()
    entries = sa.table(
        "audit_entries", sa.column("action", sa.String), sa.column("target_type", sa.String),
        sa.column("reason", sa.Text), sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("details", sa.JSON), sa.column("before", sa.JSON), sa.column("after", sa.JSON),
    )
    try:
        assert runner.invoke(args=["db", "upgrade", AUDIT_DETAILS_REVISION]).exit_code == 0
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(sa.insert(entries), [
                {"action": action, "target_type": "forums", "reason": "", "created_at": MOMENT,
                 "details": details}
                for action, details in OLD_AUDIT_DETAILS.items()
            ])
        upgrade = runner.invoke(args=["db", "upgrade", AUDIT_BEFORE_AFTER_REVISION])
        assert upgrade.exit_code == 0, upgrade.output
        with app.app_context(), db.engine.connect() as connection:
            rows = connection.execute(sa.select(entries.c.action, entries.c.before, entries.c.after))
            assert {action: (before, after) for action, before, after in rows} == CONVERTED_AUDIT
        downgrade = runner.invoke(args=["db", "downgrade", AUDIT_DETAILS_REVISION])
        assert downgrade.exit_code == 0, downgrade.output
        with app.app_context(), db.engine.connect() as connection:
            rows = connection.execute(sa.select(entries.c.action, entries.c.details))
            assert dict(rows.all()) == OLD_AUDIT_DETAILS
    finally:
        with app.app_context():
            db.engine.dispose()


def test_audit_details_become_before_and_after_on_sqlite(tmp_path):
    convert_audit_entries(f"sqlite:///{tmp_path / 'audit.sqlite3'}", tmp_path)


@pytest.mark.postgres
def test_audit_details_become_before_and_after_on_postgresql(postgres_server_url, tmp_path):
    with temporary_postgres_database(postgres_server_url) as url:
        convert_audit_entries(url, tmp_path)


DAILY_TALLIES_PARENT = "5d2c8e9a4b17"  # before forum_days


def backfill_daily_tallies(database_url: str, tmp_path) -> None:
    """The demo's daily tallies, as the app keeps them, are what the migration computes
    from the rows when it adds the table to a database that has them."""
    from forum.forums.models import ForumDay
    from forum.proposals.counts import find_counter_drift

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, SEARCH_INDEX_DIR=str(tmp_path / "ix"))
    runner = app.test_cli_runner()

    def tallies():
        with app.app_context():
            return sorted(tuple(row) for row in db.session.execute(sa.select(
                ForumDay.forum_id, ForumDay.day, ForumDay.proposals, ForumDay.comments, ForumDay.supports)))

    try:
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        seeded = runner.invoke(args=["forum", "seed-demo"])
        assert seeded.exit_code == 0, seeded.output
        kept = tallies()
        assert len(kept) > 3 and sum(row[4] for row in kept) > 50
        assert runner.invoke(args=["db", "downgrade", DAILY_TALLIES_PARENT]).exit_code == 0
        upgrade = runner.invoke(args=["db", "upgrade"])
        assert upgrade.exit_code == 0, upgrade.output
        assert tallies() == kept
        with app.app_context():
            assert find_counter_drift() == []
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.slow
def test_the_daily_tallies_are_filled_from_the_rows_on_sqlite(tmp_path):
    backfill_daily_tallies(f"sqlite:///{tmp_path / 'days.sqlite3'}", tmp_path)


@pytest.mark.slow
@pytest.mark.postgres
def test_the_daily_tallies_are_filled_from_the_rows_on_postgresql(postgres_server_url, tmp_path):
    with temporary_postgres_database(postgres_server_url) as url:
        backfill_daily_tallies(url, tmp_path)
