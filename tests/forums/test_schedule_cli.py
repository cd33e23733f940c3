"""``flask forum schedule``: shows and sets a forum's schedule in Vietnam time, through
the same service as the organizer page (validation, audit entry)."""
from datetime import UTC, datetime

import sqlalchemy as sa

from forum.core.audit import AuditEntry
from forum.extensions import db
from forum.forums.models import Forum
from tests.factories import make_forum


def invoke(runner, *args):
    return runner.invoke(args=["forum", "schedule", *args])


def stored(app, number: int) -> dict:
    with app.app_context():
        forum = db.session.scalar(sa.select(Forum).where(Forum.number == number))
        return {
            column: value.replace(tzinfo=value.tzinfo or UTC) if value else None
            for column in ("proposals_open_at", "proposals_close_at", "supports_open_at", "supports_close_at")
            for value in [getattr(forum, column)]
        }


def test_sets_changes_and_clears_moments_in_vietnam_time(app, runner):
    with app.app_context():
        make_forum(number=3, phase="draft")
    result = invoke(runner, "3", "--proposals-open", "2026-12-01 08:00", "--proposals-close", "20/12/2026 17:00")
    assert result.exit_code == 0, result.output
    assert "Mở nhận hiến kế: 01/12/2026 08:00" in result.output
    assert stored(app, 3)["proposals_open_at"] == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert invoke(runner, "3", "--proposals-close", "none").exit_code == 0
    assert stored(app, 3)["proposals_close_at"] is None
    assert stored(app, 3)["proposals_open_at"] is not None  # the moments not named are kept
    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEntry.action)))
        assert actions == ["forum.update_schedule", "forum.update_schedule"]


def test_refuses_bad_moments_and_changes_nothing(app, runner):
    with app.app_context():
        make_forum(number=4)
    result = invoke(runner, "4", "--proposals-open", "2026-12-20 08:00", "--proposals-close", "2026-12-01 08:00")
    assert result.exit_code == 1
    assert "phải sau thời điểm mở nhận hiến kế" in result.output
    assert invoke(runner, "4", "--supports-open", "ngày mai").exit_code == 2
    assert invoke(runner, "9").exit_code == 1  # no such forum
    assert set(stored(app, 4).values()) == {None}
