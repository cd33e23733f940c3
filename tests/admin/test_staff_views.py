"""The roles page (/organizer/staff): the staff list with scopes, an account's role
(admins) and a moderator's forums (organizers and admins), the person page's partial."""
import re

import pytest
import sqlalchemy as sa
from flask import render_template_string

from forum.auth.models import User
from forum.core.audit import AuditEntry
from forum.extensions import db
from forum.forums.models import ModeratorAssignment
from forum.forums.moderators import ALL_FORUMS, assign_moderator_scope
from tests.factories import make_forum, make_user


@pytest.fixture
def world(app):
    with app.app_context():
        one, two = make_forum(number=1), make_forum(number=2)
        admin = make_user(role="admin", full_name="Lương Minh Đức")
        organizer = make_user(role="organizer", full_name="Kiều Thị Lan Phương")
        moderator = make_user(role="moderator", full_name="Đỗ Mạnh Hùng")
        everywhere = make_user(role="moderator", full_name="Phạm Thu Trang")
        unassigned = make_user(role="moderator", full_name="Hà Văn Lâm")
        delegate = make_user(full_name="Vũ Thị Thanh Hương")
        assign_moderator_scope(moderator, [two.id], actor=None)
        assign_moderator_scope(everywhere, ALL_FORUMS, actor=None)
        db.session.commit()
        return {"one": one.id, "two": two.id, "admin": admin.id, "admin_email": admin.email,
                "organizer_email": organizer.email, "moderator": moderator.id, "unassigned": unassigned.id,
                "delegate": delegate.id, "delegate_email": delegate.email}


def _user(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        return user.role, user.session_token


def _scope(app, user_id):
    with app.app_context():
        return sorted(db.session.scalars(sa.select(ModeratorAssignment.forum_id).where(ModeratorAssignment.user_id == user_id)),
                      key=lambda value: value or 0)


def _entries(app, action):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def test_the_staff_list_shows_roles_and_scopes(client, auth, world):
    auth.login(world["organizer_email"])
    html = client.get("/organizer/staff").get_data(as_text=True)
    assert "Vai trò và phân quyền" in html
    html = html[html.index("<table"):]
    for name in ("Lương Minh Đức", "Kiều Thị Lan Phương", "Đỗ Mạnh Hùng", "Phạm Thu Trang", "Hà Văn Lâm"):
        assert name in html
    assert "Vũ Thị Thanh Hương" not in html  # delegates are not staff
    assert "Diễn đàn số 2" in html and "Chưa được phân công" in html and "Mọi diễn đàn" in html
    assert html.index("Lương Minh Đức") < html.index("Kiều Thị Lan Phương") < html.index("Đỗ Mạnh Hùng")


def test_organizers_see_the_scope_form_but_not_the_role_form(client, auth, world):
    auth.login(world["organizer_email"])
    html = client.get(f"/organizer/staff/{world['moderator']}").get_data(as_text=True)
    assert f'action="/organizer/staff/{world["moderator"]}/forums"' in html
    assert "/role" not in html and "Chỉ quản trị hệ thống mới đổi được vai trò." in html


def test_an_admin_changes_a_role_and_comes_back(client, auth, app, world):
    auth.login(world["admin_email"])
    _role, token = _user(app, world["delegate"])
    response = client.post(f"/organizer/staff/{world['delegate']}/role",
                           data={"role": "moderator", "reason": "Thư ký diễn đàn 1", "next": "/organizer/staff"})
    assert response.status_code == 302 and response.headers["Location"] == "/organizer/staff"
    role, new_token = _user(app, world["delegate"])
    assert role == "moderator" and new_token != token
    (entry,) = _entries(app, "user.role_changed")
    assert entry.reason == "Thư ký diễn đàn 1" and entry.after == {"role": "moderator"}
    assert "Các phiên đăng nhập của tài khoản này đã kết thúc." in client.get("/organizer/staff").get_data(as_text=True)


def test_an_unsafe_next_is_ignored(client, auth, app, world):
    auth.login(world["admin_email"])
    response = client.post(f"/organizer/staff/{world['delegate']}/role",
                           data={"role": "moderator", "next": "https://evil.example/"})
    assert response.headers["Location"] == f"/organizer/staff/{world['delegate']}"


@pytest.mark.parametrize(("data", "message"), [
    ({"role": "superuser"}, "Vai trò không hợp lệ"),
    ({"role": "delegate", "reason": "x" * 501}, "Tối đa 500 ký tự"),
    ({"role": "delegate"}, "Tài khoản đã có vai trò này."),
])
def test_bad_role_changes_are_refused_with_a_message(client, auth, app, world, data, message):
    auth.login(world["admin_email"])
    response = client.post(f"/organizer/staff/{world['delegate']}/role", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _user(app, world["delegate"])[0] == "delegate" and not _entries(app, "user.role_changed")


def test_an_admin_cannot_demote_themselves_from_the_page(client, auth, app, world):
    auth.login(world["admin_email"])
    response = client.post(f"/organizer/staff/{world['admin']}/role", data={"role": "organizer"})
    assert response.status_code == 422
    assert "tự đổi vai trò" in response.get_data(as_text=True)
    assert _user(app, world["admin"])[0] == "admin"


def test_demoting_a_moderator_removes_their_forums(client, auth, app, world):
    auth.login(world["admin_email"])
    client.post(f"/organizer/staff/{world['moderator']}/role", data={"role": "delegate"})
    assert _user(app, world["moderator"])[0] == "delegate"
    assert _scope(app, world["moderator"]) == []


def test_an_organizer_assigns_forums(client, auth, app, world):
    auth.login(world["organizer_email"])
    response = client.post(f"/organizer/staff/{world['unassigned']}/forums",
                           data={"scope": "some", "forums": [world["one"], world["two"]], "reason": "Phân công"})
    assert response.status_code == 302
    assert _scope(app, world["unassigned"]) == [world["one"], world["two"]]
    client.post(f"/organizer/staff/{world['unassigned']}/forums", data={"scope": "all"})
    assert _scope(app, world["unassigned"]) == [None]
    html = client.get(f"/organizer/staff/{world['unassigned']}").get_data(as_text=True)
    checked = re.findall(r'value="(\w+)" checked', html)
    assert checked == ["all"]


@pytest.mark.parametrize("data", [
    {"scope": "some", "forums": ["999"]},
    {"scope": "some", "forums": ["abc"]},
    {"scope": "all", "forums": ["1"]},
])
def test_bad_scopes_are_refused_with_a_message(client, auth, app, world, data):
    auth.login(world["organizer_email"])
    response = client.post(f"/organizer/staff/{world['moderator']}/forums", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "không tồn tại" in html or "Mọi diễn đàn" in html
    assert _scope(app, world["moderator"]) == [world["two"]]


def test_a_delegate_gets_no_forums(client, auth, app, world):
    auth.login(world["organizer_email"])
    response = client.post(f"/organizer/staff/{world['delegate']}/forums", data={"scope": "some", "forums": [world["one"]]})
    assert response.status_code == 422
    assert "Chỉ tài khoản có vai trò điều hành viên" in response.get_data(as_text=True)
    assert _scope(app, world["delegate"]) == []


def test_finding_an_account_by_email(client, auth, world):
    auth.login(world["organizer_email"])
    response = client.get("/organizer/staff/find", query_string={"email": world["delegate_email"].upper()})
    assert response.headers["Location"] == f"/organizer/staff/{world['delegate']}"
    response = client.get("/organizer/staff/find", query_string={"email": "khong-co@congdoan.vn"})
    assert response.status_code == 404
    assert "Không có tài khoản nào với email khong-co@congdoan.vn." in response.get_data(as_text=True)
    assert client.get("/organizer/staff/find").status_code == 400


def test_an_unknown_account_is_404(client, auth, world):
    auth.login(world["admin_email"])
    assert client.get("/organizer/staff/99999").status_code == 404
    assert client.post("/organizer/staff/99999/role", data={"role": "admin"}).status_code == 404


def test_the_person_page_partial_needs_only_the_person(app, world):
    """The people part includes admin/people/_roles.html with ``person`` in its context."""
    with app.test_request_context(f"/organizer/people/{world['moderator']}"):
        from flask_login import login_user

        app.preprocess_request()
        login_user(db.session.get(User, world["admin"]))
        person = db.session.get(User, world["moderator"])
        html = render_template_string('{% include "admin/people/_roles.html" ignore missing %}', person=person)
    assert "Đổi vai trò" in html and "Diễn đàn phụ trách" in html
    assert f'name="next" type="hidden" value="/organizer/people/{world["moderator"]}"' in html
