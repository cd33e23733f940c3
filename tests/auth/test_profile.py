"""The profile page: own details, own proposals, supported proposals."""
from datetime import UTC, datetime

import pytest

from tests.auth.helpers import new_user, ref
from tests.factories import make_forum, make_proposal, make_support, make_user


def test_profile_requires_login(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.location == "/login?next=%2Fprofile"


def test_profile_shows_the_users_details(app, client, auth):
    user = new_user(app, full_name="Lê Văn Hùng", unit="CĐCS Công ty Điện lực", province="Đà Nẵng", role="moderator")
    auth.login(user)
    html = client.get("/profile").get_data(as_text=True)
    for text in ("Lê Văn Hùng", "CĐCS Công ty Điện lực", "Đà Nẵng", "Điều hành viên", user.email):
        assert text in html
    assert 'href="/account/password"' in html
    assert "Bạn chưa gửi hiến kế nào." in html
    assert "Bạn chưa ủng hộ hiến kế nào." in html


def _sections(html: str) -> tuple[str, str]:
    own, supported = html.split('id="supported-proposals-heading"')
    return own, supported


def test_profile_lists_own_and_supported_proposals_with_their_columns(app, client, auth):
    with app.app_context():
        me, other = make_user(), make_user()
        forum_3 = make_forum(number=3, phase="voting")
        forum_7 = make_forum(number=7)
        mine = make_proposal(forum_3, me, title="Hiến kế của tôi về đoàn viên", status="under_review")
        make_support(mine, other)
        theirs = make_proposal(forum_7, other, title="Hiến kế tôi ủng hộ về cán bộ")
        make_support(theirs, me)
        make_proposal(forum_7, other, title="Hiến kế không liên quan")
        mine_id, theirs_id, me = mine.id, theirs.id, ref(me)
    auth.login(me)
    response = client.get("/profile")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    own, supported = _sections(html)

    assert "Hiến kế của tôi về đoàn viên" in own
    assert f'href="/proposals/{mine_id}"' in own
    assert "Diễn đàn số 3" in own
    assert "Đang xem xét" in own
    assert "1 ủng hộ" in own
    assert "Hiến kế tôi ủng hộ về cán bộ" not in own

    assert "Hiến kế tôi ủng hộ về cán bộ" in supported
    assert f'href="/proposals/{theirs_id}"' in supported
    assert "Diễn đàn số 7" in supported
    assert "Đã đăng" in supported
    assert "Hiến kế của tôi về đoàn viên" not in supported

    assert "Hiến kế không liên quan" not in html


def test_dates_are_vietnamese_short_dates_in_vietnam_time(app, client, auth):
    with app.app_context():
        me = make_user()
        # 17:30 UTC is already the next day in Hà Nội (UTC+7).
        make_proposal(make_forum(number=1), me, created_at=datetime(2023, 11, 29, 17, 30, tzinfo=UTC))
        me = ref(me)
    auth.login(me)
    assert "30/11/2023" in client.get("/profile").get_data(as_text=True)


def test_support_counts_use_vietnamese_thousands_separator(app, client, auth):
    with app.app_context():
        me = make_user()
        make_proposal(make_forum(number=1), me, support_count=1628)
        me = ref(me)
    auth.login(me)
    assert "1.628 ủng hộ" in client.get("/profile").get_data(as_text=True)


def test_hidden_proposals_of_others_never_show_but_own_hidden_ones_do(app, client, auth):
    with app.app_context():
        me, other = make_user(), make_user()
        forum = make_forum(number=2)
        hidden_theirs = make_proposal(forum, other, title="Hiến kế bị ẩn của người khác", is_hidden=True)
        make_support(hidden_theirs, me)  # supported before it was hidden
        make_proposal(forum, me, title="Hiến kế bị ẩn của tôi", is_hidden=True)
        me = ref(me)
    auth.login(me)
    html = client.get("/profile").get_data(as_text=True)
    assert "Hiến kế bị ẩn của người khác" not in html
    assert "Hiến kế bị ẩn của tôi" in html
    assert "Đã ẩn" in html


@pytest.mark.parametrize("role", ["delegate", "moderator", "organizer", "admin"])
def test_others_hidden_proposals_are_left_out_whatever_the_role(app, client, auth, role):
    with app.app_context():
        me, other = make_user(role=role), make_user()
        make_support(make_proposal(make_forum(number=2), other, title="Hiến kế đã ẩn", is_hidden=True), me)
        me = ref(me)
    auth.login(me)
    assert "Hiến kế đã ẩn" not in client.get("/profile").get_data(as_text=True)


@pytest.mark.parametrize("role", ["delegate", "moderator"])
def test_proposals_in_draft_forums_are_left_out_for_non_organizers(app, client, auth, role):
    with app.app_context():
        me, other = make_user(role=role), make_user()
        draft = make_forum(number=4, phase="draft")
        make_support(make_proposal(draft, other, title="Hiến kế ở diễn đàn nháp"), me)
        me = ref(me)
    auth.login(me)
    assert "Hiến kế ở diễn đàn nháp" not in client.get("/profile").get_data(as_text=True)


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_organizers_see_their_proposals_in_draft_forums(app, client, auth, role):
    with app.app_context():
        me = make_user(role=role)
        make_proposal(make_forum(number=4, phase="draft"), me, title="Hiến kế mẫu khi chuẩn bị")
        me = ref(me)
    auth.login(me)
    assert "Hiến kế mẫu khi chuẩn bị" in client.get("/profile").get_data(as_text=True)


@pytest.mark.parametrize("phase", ["open", "voting", "closed"])
def test_withdrawn_and_closed_forum_proposals_still_show_with_their_status(app, client, auth, phase):
    with app.app_context():
        me = make_user()
        make_proposal(make_forum(number=6, phase=phase), me, title="Hiến kế đã rút", status="withdrawn")
        me = ref(me)
    auth.login(me)
    own, _supported = _sections(client.get("/profile").get_data(as_text=True))
    assert "Hiến kế đã rút" in own
    assert "Đã rút" in own


def test_user_text_is_escaped(app, client, auth):
    with app.app_context():
        me = make_user(full_name="<script>alert(1)</script> Hoa", unit="<b>Đơn vị</b>")
        make_proposal(make_forum(number=5), me, title="<img src=x onerror=alert(1)>")
        me = ref(me)
    auth.login(me)
    html = client.get("/profile").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Hoa" in html
    assert "&lt;b&gt;Đơn vị&lt;/b&gt;" in html
    assert "<img src=x" not in html


def _add_proposals(app, me_id: int, other_id: int, forum_numbers, per_forum: int) -> None:
    from forum.auth.models import User
    from forum.extensions import db

    with app.app_context():
        me, other = db.session.get(User, me_id), db.session.get(User, other_id)
        for number in forum_numbers:
            forum = make_forum(number=number)
            for _ in range(per_forum):
                make_proposal(forum, me)
                make_support(make_proposal(forum, other), me)


def test_query_count_does_not_grow_with_the_number_of_proposals(app, client, auth, count_queries):
    me, other = new_user(app), new_user(app)
    _add_proposals(app, me.id, other.id, [1], per_forum=1)
    auth.login(me)
    client.get("/profile")  # warm-up (template compilation, flashes)
    with count_queries() as few:
        assert client.get("/profile").status_code == 200

    _add_proposals(app, me.id, other.id, [2, 3, 4], per_forum=4)
    with count_queries() as many:
        html = client.get("/profile").get_data(as_text=True)
    assert html.count('class="proposal-item-title"') == 2 + 3 * 4 * 2
    assert many.count == few.count <= 5, many.statements  # 4 + the header's unread notifications
