"""The forum settings pages (/organizer/forums): who may open and post each form, what a
save changes and records in the audit log, and bad input kept with a message."""
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from forum.core.audit import AuditEntry
from forum.extensions import db
from forum.forums.models import Forum, Theme
from tests.factories import make_forum, make_proposal, make_user

ROLES = ("anonymous", "delegate", "moderator", "organizer", "admin")


@pytest.fixture
def setup(app):
    with app.app_context():
        forum = make_forum(phase="open", is_sample=True, title="Tên mẫu của diễn đàn")
        emails = {role: make_user(role=role).email for role in ROLES if role != "anonymous"}
        make_proposal(forum, make_user(), theme=forum.themes[0])
        return {"forum_id": forum.id, "theme_ids": [t.id for t in forum.themes], "emails": emails}


def posts(setup) -> list[tuple[str, dict]]:
    f, (t0, t1) = setup["forum_id"], setup["theme_ids"]
    return [
        (f"/organizer/forums/{f}/details", {
            "details-title": "Tên chính thức", "details-description": "Thảo luận, đề xuất sáng kiến, giải pháp đột phá.",
            "details-held_on": "2023-11-30", "details-venue": "Hà Nội",
            "chair_name": ["Nguyễn Đình Khang", "Bà A", ""],
            "chair_position": ["Chủ tịch Tổng LĐLĐ Việt Nam", "Phó Chủ tịch", ""],
        }),
        (f"/organizer/forums/{f}/phase", {"phase-phase": "voting"}),
        (f"/organizer/forums/{f}/schedule", {"schedule-proposals_open_at": "2026-12-01T08:00",
                                             "schedule-proposals_close_at": "2026-12-10T17:00"}),
        (f"/organizer/forums/{f}/rules", {"rules-max_supports_per_user": "5", "rules-supports_withdrawable": "y",
                                          "rules-hide_tallies_until_closed": "y", "rules-comments_open": "y",
                                          "supporting_roles": ["delegate"]}),
        (f"/organizer/forums/{f}/themes", {"new-theme-title": "Nhóm mới"}),
        (f"/organizer/forums/{f}/themes/{t0}", {f"theme-{t0}-title": "Tên nhóm mới"}),
        (f"/organizer/forums/{f}/themes/{t0}/move", {"direction": "down"}),
        (f"/organizer/forums/{f}/themes/{t1}/retire", {"retired": "1"}),
    ]


def snapshot(app, forum_id: int):
    with app.app_context():
        forum = db.session.get(Forum, forum_id)
        row = {column.name: getattr(forum, column.name) for column in Forum.__table__.columns}
        themes = [(t.id, t.title, t.position, t.is_retired) for t in db.session.scalars(sa.select(Theme).order_by(Theme.id))]
        # Refusals are themselves recorded (security.forbidden): only other entries count.
        audits = db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEntry).where(sa.not_(AuditEntry.action.startswith("security.")))
        )
        return row, themes, audits


def login(client, auth, setup, role):
    if role != "anonymous":
        auth.login(setup["emails"][role])


@pytest.mark.parametrize("role", ROLES)
def test_pages_open_for_organizers_and_admins_only(app, client, auth, setup, role):
    login(client, auth, setup, role)
    for url in ("/organizer/forums", f"/organizer/forums/{setup['forum_id']}"):
        response = client.get(url)
        expected = {"anonymous": 302, "delegate": 403, "moderator": 403}.get(role, 200)
        assert response.status_code == expected, url
        if expected == 200:
            assert response.headers["Cache-Control"] == "no-store"
            assert "Tên mẫu của diễn đàn" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["anonymous", "delegate", "moderator"])
def test_refused_posts_change_nothing(app, client, auth, setup, role):
    login(client, auth, setup, role)
    before = snapshot(app, setup["forum_id"])
    for url, data in posts(setup):
        response = client.post(url, data=data)
        assert response.status_code == (302 if role == "anonymous" else 403), url
        if role == "anonymous":
            assert "/login" in response.headers["Location"]
    assert snapshot(app, setup["forum_id"]) == before


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_each_form_saves_and_records_what_changed(app, client, auth, setup, role):
    login(client, auth, setup, role)
    for url, data in posts(setup):
        response = client.post(url, data=data)
        assert response.status_code == 302, (url, response.get_data(as_text=True)[-2000:])
        assert response.headers["Location"].startswith(f"/organizer/forums/{setup['forum_id']}#")
    with app.app_context():
        forum = db.session.get(Forum, setup["forum_id"])
        assert (forum.title, forum.is_sample) == ("Tên chính thức", False)
        assert forum.chairs == [{"name": "Nguyễn Đình Khang", "position": "Chủ tịch Tổng LĐLĐ Việt Nam"},
                                {"name": "Bà A", "position": "Phó Chủ tịch"}]
        assert forum.phase == "voting"
        opens = forum.proposals_open_at.replace(tzinfo=forum.proposals_open_at.tzinfo or UTC)
        assert opens == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
        assert (forum.max_supports_per_user, forum.hide_tallies_until_closed, forum.supports_withdrawable) == (5, True, True)
        assert forum.premoderate_new_accounts is False and forum.edit_window_minutes is None
        themes = sorted(forum.themes, key=lambda t: t.position)
        assert [(t.title, t.is_retired) for t in themes] == [
            ("Cán bộ Công đoàn", True), ("Tên nhóm mới", False), ("Nhóm mới", False)
        ]
        assert themes[1].proposal_count == 1  # renamed and moved, it keeps its proposal
        changes = sa.select(AuditEntry).where(AuditEntry.action.not_like("auth.%")).order_by(AuditEntry.id)
        entries = list(db.session.scalars(changes))  # not the login events of the test's own login
        assert [entry.action for entry in entries] == [
            "forum.update_details", "forum.set_phase", "forum.update_schedule", "forum.update_rules",
            "forum.add_theme", "forum.update_theme", "forum.reorder_themes", "forum.retire_theme",
        ]
        details = entries[0]
        assert set(details.after) == {"title", "chairs", "is_sample"}  # only what changed
        assert details.before["title"] == "Tên mẫu của diễn đàn"
        assert entries[2].after == {"proposals_open_at": "2026-12-01T01:00:00+00:00",
                                    "proposals_close_at": "2026-12-10T10:00:00+00:00"}
        assert {entry.actor_role for entry in entries} == {role}


def test_saving_unchanged_values_records_nothing(app, client, auth, setup):
    login(client, auth, setup, "organizer")
    client.post(f"/organizer/forums/{setup['forum_id']}/rules",
                data={"rules-supports_withdrawable": "y", "rules-comments_open": "y", "supporting_roles": "delegate"})
    with app.app_context():
        changes = sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action.not_like("auth.%"))
        assert db.session.scalar(changes) == 0


@pytest.mark.parametrize(
    "path, data, message",
    [
        ("schedule", {"schedule-proposals_open_at": "2026-12-10T08:00", "schedule-proposals_close_at": "2026-12-01T08:00"},
         "Thời điểm ngừng nhận hiến kế phải sau thời điểm mở nhận hiến kế."),
        ("schedule", {"schedule-proposals_open_at": "ngày mai"}, "Thời điểm không hợp lệ"),
        ("details", {"details-title": "  "}, "Vui lòng nhập tên diễn đàn."),
        ("details", {"details-title": "Tên", "chair_name": "", "chair_position": "Chủ tịch"},
         "Vui lòng nhập họ tên người chủ trì có chức vụ «Chủ tịch»."),
        ("details", {"details-title": "Tên", "details-held_on": "31/02/2026"}, "Ngày không hợp lệ"),
        ("rules", {"rules-max_supports_per_user": "0", "supporting_roles": "delegate"},
         "Nhập một số từ 1 đến"),
        ("rules", {"rules-edit_window_minutes": "mười", "supporting_roles": "delegate"}, "Nhập một số từ 0 đến"),
        ("rules", {"rules-max_supports_per_user": "3"}, "Vui lòng chọn ít nhất một vai trò"),
        ("themes", {"new-theme-title": ""}, "Vui lòng nhập tên nhóm vấn đề."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_kept(app, client, auth, setup, path, data, message):
    login(client, auth, setup, "organizer")
    before = snapshot(app, setup["forum_id"])
    response = client.post(f"/organizer/forums/{setup['forum_id']}/{path}", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    for value in data.values():
        if value.strip() and value != "delegate":
            assert f'value="{value}"' in html
    assert snapshot(app, setup["forum_id"]) == before


def test_unknown_forum_and_theme_are_404(app, client, auth, setup):
    login(client, auth, setup, "organizer")
    assert client.get("/organizer/forums/999").status_code == 404
    other = None
    with app.app_context():
        other = make_forum().themes[0].id
    response = client.post(f"/organizer/forums/{setup['forum_id']}/themes/{other}/retire", data={"retired": "1"})
    assert response.status_code == 404


def test_the_menu_has_the_forums_entry(app, client, auth, setup):
    login(client, auth, setup, "organizer")
    assert 'href="/organizer/forums"' in client.get("/organizer/").get_data(as_text=True)
