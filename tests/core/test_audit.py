"""The audit log's request fields: request id, client address (behind proxies too) and
the actor's role at the time; console entries are covered by the CLI tests."""
import re

import pytest
import sqlalchemy as sa

from forum.auth.models import User
from forum.core.audit import AuditEntry, record_audit
from forum.extensions import db
from tests.factories import make_user

REGISTRATION = {
    "email": "moi@congdoan.vn",
    "full_name": "Phạm Thị Hồng",
    "unit": "CĐCS Công ty May 10",
    "province": "Hà Nội",
    "new_password": "mật khẩu đủ dài",
    "confirm_password": "mật khẩu đủ dài",
}
PROXY_REQUEST_ID = "edge-7f3a9c21"


def only_entry(app) -> AuditEntry:
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry)).one()
        db.session.expunge(entry)
        return entry


def test_every_response_carries_its_own_request_id(client):
    first = client.get("/").headers["X-Request-ID"]
    second = client.get("/no-such-page").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


def test_a_clients_request_id_and_forwarded_address_are_not_trusted_without_proxies(app, client):
    app.config["ALLOW_REGISTRATION"] = True
    response = client.post(
        "/register",
        data=REGISTRATION,
        headers={"X-Request-ID": PROXY_REQUEST_ID, "X-Forwarded-For": "203.0.113.9"},
    )
    assert response.status_code == 302
    assert response.headers["X-Request-ID"] != PROXY_REQUEST_ID
    entry = only_entry(app)
    assert (entry.request_id, entry.client_address) == (response.headers["X-Request-ID"], "127.0.0.1")


class TestBehindOneProxy:
    @pytest.fixture
    def app_overrides(self):
        return {"TRUSTED_PROXIES": 1, "ALLOW_REGISTRATION": True}

    def test_the_proxys_request_id_and_client_address_are_recorded(self, app, client):
        response = client.post(
            "/register",
            data=REGISTRATION,
            headers={"X-Request-ID": PROXY_REQUEST_ID, "X-Forwarded-For": "203.0.113.9"},
        )
        assert response.status_code == 302
        assert response.headers["X-Request-ID"] == PROXY_REQUEST_ID
        entry = only_entry(app)
        assert (entry.action, entry.actor_role) == ("user.registered", "delegate")
        assert (entry.request_id, entry.client_address) == (PROXY_REQUEST_ID, "203.0.113.9")

    @pytest.mark.parametrize("bad", ["short", "x" * 65, "semi;colon-12345", "a b c d e f g h"])
    def test_a_malformed_request_id_is_replaced(self, client, bad):
        returned = client.get("/", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", returned)


def test_the_actors_role_at_the_time_stays_when_the_role_changes(app):
    with app.app_context():
        user = make_user(role="moderator")
        record_audit("test.action", user, actor=user)
        user.role = "delegate"
        db.session.commit()
        entry = db.session.scalars(sa.select(AuditEntry)).one()
        assert (entry.actor_id, entry.actor_role) == (user.id, "moderator")
        assert db.session.get(User, user.id).role == "delegate"


def test_an_event_about_no_object_by_a_visitor_is_recorded_as_anonymous(app):
    with app.test_request_context("/login", environ_base={"REMOTE_ADDR": "198.51.100.7"}):
        from flask_login import AnonymousUserMixin

        record_audit("auth.login_failed", None, actor=AnonymousUserMixin(), after={"email": "x@congdoan.vn"})
        db.session.commit()
    entry = only_entry(app)
    assert (entry.actor_id, entry.actor_role, entry.target_type, entry.target_id) == (None, "anonymous", "", None)
    assert entry.client_address == "198.51.100.7"


def test_a_console_entry_has_no_role_and_says_cli(app):
    with app.app_context():
        record_audit("forum.set_phase", None, actor=None)
        db.session.commit()
    entry = only_entry(app)
    assert (entry.actor_role, entry.client_address) == ("", "cli")


def test_entries_name_the_forum_of_their_target(app):
    from tests.factories import make_forum, make_proposal

    with app.app_context():
        forum = make_forum()
        user = make_user()
        proposal = make_proposal(forum, user)
        record_audit("forum.set_phase", forum, actor=user)
        record_audit("proposal.hidden", proposal, actor=user)
        record_audit("user.role_changed", user, actor=user)
        db.session.commit()
        forum_ids = db.session.execute(sa.select(AuditEntry.action, AuditEntry.forum_id).order_by(AuditEntry.id)).all()
        assert [tuple(row) for row in forum_ids] == [
            ("forum.set_phase", forum.id), ("proposal.hidden", forum.id), ("user.role_changed", None)
        ]
