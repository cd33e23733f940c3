"""``set_forum_phase``: who may change a forum's phase, and the audit entry it writes."""
import pytest
import sqlalchemy as sa

from forum.core.audit import AuditEntry
from forum.core.errors import InvalidAction, PermissionDenied
from forum.extensions import db
from forum.forums import services
from tests.factories import make_forum, make_user


def audit_entries() -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry)))


@pytest.mark.parametrize(
    "role, active, allowed",
    [("delegate", True, False), ("moderator", True, False), ("organizer", True, True),
     ("admin", True, True), ("organizer", False, False)],
)
def test_only_active_organizers_and_admins_change_the_phase(app, role, active, allowed):
    with app.app_context():
        forum = make_forum(phase="open")
        actor = make_user(role=role, is_active=active)
        if allowed:
            assert services.set_forum_phase(forum, "voting", actor=actor) is True
            [entry] = audit_entries()
            assert (entry.action, entry.target_type, entry.target_id) == ("forum.set_phase", "forums", forum.id)
            assert (entry.actor_id, entry.actor_role) == (actor.id, role)
            assert (entry.before, entry.after) == ({"phase": "open"}, {"phase": "voting"})
        else:
            with pytest.raises(PermissionDenied, match="Ban Tổ chức"):
                services.set_forum_phase(forum, "voting", actor=actor)
            assert audit_entries() == []
        assert forum.phase == ("voting" if allowed else "open")


def test_the_console_operator_may_change_the_phase(app):
    with app.app_context():
        forum = make_forum(phase="draft")
        assert services.set_forum_phase(forum, "open", actor=None) is True
        [entry] = audit_entries()
        assert (entry.actor_id, entry.client_address) == (None, "cli")


def test_the_current_phase_changes_nothing_and_records_nothing(app):
    with app.app_context():
        forum = make_forum(phase="voting")
        assert services.set_forum_phase(forum, "voting", actor=make_user(role="organizer")) is False
        assert audit_entries() == []


def test_an_unknown_phase_is_refused(app):
    with app.app_context():
        forum = make_forum(phase="open")
        with pytest.raises(InvalidAction, match="finished"):
            services.set_forum_phase(forum, "finished", actor=None)
        assert forum.phase == "open" and audit_entries() == []


def test_get_forum_by_number_finds_drafts_too(app):
    with app.app_context():
        forum_id = make_forum(number=7, phase="draft").id
        assert services.get_forum_by_number(7).id == forum_id
        assert services.get_forum_by_number(8) is None
