"""Moderators' scope (forum/forums/moderators.py): ``can_moderate`` is the one check;
organizers and admins moderate every forum, moderators their assigned ones or all."""
import pytest
import sqlalchemy as sa

from forum.core.audit import AuditEntry
from forum.core.errors import InvalidAction, PermissionDenied
from forum.extensions import db
from forum.forums.models import ModeratorAssignment
from forum.forums.moderators import (
    ALL_FORUMS,
    assign_moderator_scope,
    can_moderate,
    clear_moderator_scope,
    moderated_forum_ids,
    moderator_scopes,
)
from tests.factories import make_forum, make_user


@pytest.fixture
def forums(app):
    with app.app_context():
        return [make_forum(number=n).id for n in (1, 2, 3)]


def _rows(user_id):
    return sorted(
        db.session.scalars(sa.select(ModeratorAssignment.forum_id).where(ModeratorAssignment.user_id == user_id)),
        key=lambda value: value or 0,
    )


@pytest.mark.parametrize(("role", "scope", "expected"), [
    ("delegate", None, [False, False, False]),
    ("moderator", None, [False, False, False]),  # a new moderator has no forum yet
    ("moderator", [0], [True, False, False]),
    ("moderator", [0, 2], [True, False, True]),
    ("moderator", "all", [True, True, True]),
    ("organizer", None, [True, True, True]),
    ("admin", None, [True, True, True]),
])
def test_can_moderate_matrix(app, forums, role, scope, expected):
    with app.app_context():
        user = make_user(role=role)
        if scope is not None:
            assign_moderator_scope(
                user, ALL_FORUMS if scope == "all" else [forums[i] for i in scope], actor=None
            )
            db.session.commit()
        user_id = user.id
    with app.test_request_context():  # a fresh request: nothing cached
        from forum.auth.models import User

        user = db.session.get(User, user_id)
        assert [can_moderate(user, forum_id) for forum_id in forums] == expected


def test_nobody_moderates_when_logged_out_or_deactivated(app, forums):
    with app.test_request_context():
        from flask_login import AnonymousUserMixin

        assert not can_moderate(AnonymousUserMixin(), forums[0])
        moderator = make_user(role="moderator")
        assign_moderator_scope(moderator, ALL_FORUMS, actor=None)
        moderator.is_active_account = False
        assert moderated_forum_ids(moderator) == frozenset()


def test_a_moderator_costs_one_query_per_request(app, forums, count_queries):
    with app.app_context():
        moderator = make_user(role="moderator")
        assign_moderator_scope(moderator, forums[:2], actor=None)
        db.session.commit()
        moderator_id = moderator.id
    with app.test_request_context():
        from forum.auth.models import User

        moderator = db.session.get(User, moderator_id)
        with count_queries() as counter:
            for _ in range(3):
                for forum_id in forums:
                    can_moderate(moderator, forum_id)
        assert counter.count == 1


@pytest.mark.parametrize(("role", "allowed"), [
    ("delegate", False), ("moderator", False), ("organizer", True), ("admin", True),
])
def test_organizers_and_admins_assign_moderators(app, forums, role, allowed):
    with app.app_context():
        actor, moderator = make_user(role=role), make_user(role="moderator")
        if allowed:
            assert assign_moderator_scope(moderator, [forums[1]], actor=actor, reason="Diễn đàn số 2") is True
            db.session.commit()
            (entry,) = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "moderator.scope_changed")).all()
            assert (entry.actor_id, entry.target_id, entry.reason) == (actor.id, moderator.id, "Diễn đàn số 2")
            assert (entry.before, entry.after) == ({"forums": []}, {"forums": [2]})
        else:
            with pytest.raises(PermissionDenied):
                assign_moderator_scope(moderator, [forums[1]], actor=actor)
            db.session.rollback()
            assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
        assert _rows(moderator.id) == ([forums[1]] if allowed else [])


def test_scope_replaces_the_previous_one_and_all_forums_is_one_row(app, forums):
    with app.app_context():
        moderator = make_user(role="moderator")
        assign_moderator_scope(moderator, forums[:2], actor=None)
        assign_moderator_scope(moderator, ALL_FORUMS, actor=None)
        assert _rows(moderator.id) == [None]
        assert assign_moderator_scope(moderator, ALL_FORUMS, actor=None) is False  # no change, no entry
        assign_moderator_scope(moderator, [forums[2]], actor=None)
        assert _rows(moderator.id) == [forums[2]]
        clear_moderator_scope(moderator, actor=None)
        assert _rows(moderator.id) == []
        afters = [e.after for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]
        assert afters == [{"forums": [1, 2]}, {"forums": "all"}, {"forums": [3]}, {"forums": []}]


def test_only_moderators_get_forums_and_unknown_forums_are_refused(app, forums):
    with app.app_context():
        delegate, moderator = make_user(), make_user(role="moderator")
        with pytest.raises(InvalidAction):
            assign_moderator_scope(delegate, [forums[0]], actor=None)
        with pytest.raises(InvalidAction):
            assign_moderator_scope(moderator, [forums[0], 999], actor=None)
        assert _rows(delegate.id) == [] and _rows(moderator.id) == []


def test_the_database_refuses_two_all_forums_rows(app, forums):
    with app.app_context():
        moderator = make_user(role="moderator")
        db.session.add_all([ModeratorAssignment(user_id=moderator.id), ModeratorAssignment(user_id=moderator.id)])
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()


def test_scopes_of_many_moderators_in_one_query(app, forums, count_queries):
    with app.app_context():
        a, b, c = (make_user(role="moderator") for _ in range(3))
        assign_moderator_scope(a, [forums[2], forums[0]], actor=None)
        assign_moderator_scope(b, ALL_FORUMS, actor=None)
        db.session.commit()
        ids = [a.id, b.id, c.id]
        with count_queries() as counter:
            scopes = moderator_scopes(ids)
        assert counter.count == 1
        assert [forum.number for forum in scopes[a.id]] == [1, 3]
        assert scopes[b.id] is ALL_FORUMS and ids[2] not in scopes


def test_the_demo_moderator_moderates_forums_one_and_two(app):
    from forum import demo
    from forum.auth.services import get_user_by_email

    with app.app_context():
        assert demo.seed_demo().moderator_scopes_set == 1
        db.session.commit()
        assert demo.seed_demo().moderator_scopes_set == 0  # idempotent
        moderator = get_user_by_email("dieuhanh@demo.hienke.vn")
        assert [forum.number for forum in moderator_scopes([moderator.id])[moderator.id]] == [1, 2]


def test_the_console_assigns_forums_and_role_changes_clear_them(app, runner, forums):
    from forum.auth.services import get_user_by_email

    with app.app_context():
        make_user(role="moderator", email="dh@congdoan.vn")
        make_user(role="admin")
    result = runner.invoke(args=["forum", "set-moderator", "dh@congdoan.vn", "1", "3"])
    assert result.exit_code == 0, result.output
    assert "diễn đàn số 1, 3" in result.output
    with app.app_context():
        user = get_user_by_email("dh@congdoan.vn")
        assert _rows(user.id) == [forums[0], forums[2]]
    assert runner.invoke(args=["forum", "set-moderator", "dh@congdoan.vn", "--all"]).exit_code == 0
    with app.app_context():
        assert _rows(user.id) == [None]
    result = runner.invoke(args=["forum", "set-moderator", "nobody@congdoan.vn", "1"])
    assert result.exit_code != 0
    assert runner.invoke(args=["users", "set-role", "dh@congdoan.vn", "delegate"]).exit_code == 0
    with app.app_context():
        assert _rows(user.id) == []
        assert get_user_by_email("dh@congdoan.vn").role == "delegate"
    result = runner.invoke(args=["forum", "set-moderator", "dh@congdoan.vn", "1"])
    assert result.exit_code != 0 and "điều hành viên" in result.output
