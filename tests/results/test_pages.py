"""The results pages: organizers freeze a forum closed by its schedule, read its ranking
and digest, verify it, publish it; the public sees a result only once it is published."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.forums.models import Forum
from forum.results.models import ResultSnapshot
from tests.factories import make_forum, make_proposal, make_support, make_user


@pytest.fixture
def closed_by_schedule(app):
    """Forum 2, closed by its schedule five minutes ago (nothing frozen yet): two
    proposals, 2 and 1 supports; an organizer."""
    with app.app_context():
        forum = make_forum(number=2, phase="voting")
        author = make_user(full_name="Trần Thị Mai")
        first = make_proposal(forum, author, title="Ngày hội đoàn viên ở khu nhà trọ")
        second = make_proposal(forum, author, title="Tủ sách cho con công nhân")
        for user in (make_user(province="Hà Nội"), make_user(province="Đồng Nai")):
            make_support(first, user)
        make_support(second, make_user(province="Hà Nội"))
        forum.supports_close_at = datetime.now(UTC) - timedelta(minutes=5)
        organizer = make_user(role="organizer")
        db.session.commit()
        return {"organizer": organizer.email, "first": first.id}


def _snapshot(app) -> ResultSnapshot | None:
    with app.app_context():
        return db.session.scalar(sa.select(ResultSnapshot))


def test_an_organizer_freezes_verifies_and_publishes(app, client, auth, closed_by_schedule):
    auth.login(closed_by_schedule["organizer"])
    page = client.get("/organizer/results").get_data(as_text=True)
    assert "kết quả chưa được chốt" in page
    assert client.post("/organizer/results/2/freeze").status_code == 302
    snapshot = _snapshot(app)
    page = client.get("/organizer/results").get_data(as_text=True)
    assert snapshot.digest in page and "Chưa công bố" in page
    detail = client.get("/organizer/results/2").get_data(as_text=True)
    assert "Ngày hội đoàn viên ở khu nhà trọ" in detail and "Hà Nội: 1; Đồng Nai: 1" in detail.replace(
        "Đồng Nai: 1; Hà Nội: 1", "Hà Nội: 1; Đồng Nai: 1")
    verified = client.post("/organizer/results/2/verify").get_data(as_text=True)
    assert "Khớp." in verified

    client.get("/logout")
    assert client.get("/results/2").status_code == 404
    assert "Chưa có kết quả nào được công bố." in client.get("/results").get_data(as_text=True)

    auth.login(closed_by_schedule["organizer"])
    assert client.post("/organizer/results/2/publish").status_code == 302
    client.get("/logout")
    public = client.get("/results").get_data(as_text=True)
    assert snapshot.digest in public and "Diễn đàn số 2" in public
    result = client.get("/results/2")
    assert result.status_code == 200 and snapshot.digest in result.get_data(as_text=True)


def test_verify_on_the_page_shows_what_changed(app, client, auth, closed_by_schedule):
    from forum.votes.models import Support

    auth.login(closed_by_schedule["organizer"])
    client.post("/organizer/results/2/freeze")
    with app.app_context():
        db.session.add(Support(proposal_id=closed_by_schedule["first"], user_id=make_user().id))
        db.session.commit()
    page = client.post("/organizer/results/2/verify").get_data(as_text=True)
    assert "Không khớp." in page and f"Hiến kế #{closed_by_schedule['first']}: hạng 1 → 1, 2 → 3 lượt ủng hộ." in page


def test_an_open_forum_cannot_be_frozen(app, client, auth, closed_by_schedule):
    with app.app_context():
        make_forum(number=5, phase="open")
        db.session.commit()
    auth.login(closed_by_schedule["organizer"])
    response = client.post("/organizer/results/5/freeze", follow_redirects=True)
    assert "chỉ chốt kết quả khi diễn đàn đã đóng" in response.get_data(as_text=True)
    assert _snapshot(app) is None
    assert client.get("/organizer/results/5").status_code == 404
    assert client.get("/results/99").status_code == 404


def test_an_export_freezes_a_forum_closed_by_schedule_in_the_organizers_name(app, client, auth, closed_by_schedule):
    from forum.auth.models import User
    from forum.core.audit import AuditEntry

    auth.login(closed_by_schedule["organizer"])
    response = client.post("/organizer/results/export", data={"forums": ["2"], "format": "json", "top": "20"})
    assert response.status_code == 200
    digest = _snapshot(app).digest
    assert digest in response.get_data(as_text=True)
    with app.app_context():
        organizer_id = db.session.scalar(sa.select(User.id).where(User.email == closed_by_schedule["organizer"]))
        entries = db.session.execute(
            sa.select(AuditEntry.action, AuditEntry.actor_id).where(AuditEntry.action.like("results.%"))
            .order_by(AuditEntry.id)).all()
        assert [tuple(entry) for entry in entries] == [("results.freeze", organizer_id), ("results.export", organizer_id)]
