"""Role changes (forum/auth/services.set_user_role): admins only, never one's own role,
never the last active admin, the account's sessions end, an audit entry with before/after."""
import pytest
import sqlalchemy as sa

from forum.auth import services
from forum.auth.models import User
from forum.core.audit import AuditEntry
from forum.core.errors import InvalidAction, PermissionDenied
from forum.extensions import db
from tests.factories import make_user


def _entries(action="user.role_changed"):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


@pytest.mark.parametrize("role", ["delegate", "moderator", "organizer"])
def test_only_admins_change_roles(app, role):
    with app.app_context():
        actor, target = make_user(role=role), make_user()
        with pytest.raises(PermissionDenied):
            services.set_user_role(target, "moderator", actor=actor)
        assert target.role == "delegate" and not _entries()


def test_an_admin_changes_a_role_with_a_reason_and_the_account_is_logged_out(app):
    with app.app_context():
        admin, target = make_user(role="admin"), make_user()
        token = target.session_token
        services.set_user_role(target, "moderator", actor=admin, reason="Thư ký diễn đàn số 1")
        db.session.commit()
        assert target.role == "moderator" and target.session_token != token
        (entry,) = _entries()
        assert (entry.actor_id, entry.actor_role, entry.target_id) == (admin.id, "admin", target.id)
        assert (entry.before, entry.after, entry.reason) == ({"role": "delegate"}, {"role": "moderator"}, "Thư ký diễn đàn số 1")


def test_an_admin_cannot_change_their_own_role(app):
    with app.app_context():
        admin = make_user(role="admin")
        make_user(role="admin")
        with pytest.raises(InvalidAction, match="tự đổi"):
            services.set_user_role(admin, "organizer", actor=admin)
        assert admin.role == "admin" and not _entries()


def test_the_last_active_admin_keeps_the_role(app):
    with app.app_context():
        last = make_user(role="admin")
        make_user(role="admin", is_active=False)
        with pytest.raises(InvalidAction, match="cuối cùng"):
            services.set_user_role(last, "delegate", actor=None)  # even from the console
        assert last.role == "admin"
        other = make_user(role="admin")
        services.set_user_role(last, "organizer", actor=other)
        assert last.role == "organizer"


def test_a_staff_member_named_with_a_title_cannot_become_a_delegate(app):
    with app.app_context():
        admin = make_user(role="admin")
        btc = make_user(role="organizer", full_name="Ban Tổ chức Đại hội")
        with pytest.raises(InvalidAction, match="chức danh"):
            services.set_user_role(btc, "delegate", actor=admin)
        assert btc.role == "organizer"


def test_a_role_change_ends_the_other_sessions_of_the_account(app, client, auth):
    with app.app_context():
        admin, target = make_user(role="admin"), make_user(role="moderator")
        admin_id, target_id, email = admin.id, target.id, target.email
    auth.login(email)
    assert client.get("/profile").status_code == 200
    with app.app_context():
        services.set_user_role(db.session.get(User, target_id), "delegate", actor=db.session.get(User, admin_id))
        db.session.commit()
    assert client.get("/profile").status_code == 302  # logged out: back to the login page
