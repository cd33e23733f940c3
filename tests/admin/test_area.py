"""The organizer area's frame: who may open it, its menu, its caching, the header link."""
import pytest

from tests.factories import make_forum, make_user


@pytest.fixture
def people(app):
    with app.app_context():
        make_forum(number=1, phase="open")
        make_forum(number=2, phase="draft", title="Diễn đàn nháp")
        return {role: make_user(role=role).email for role in ("delegate", "moderator", "organizer", "admin")}


def test_anonymous_visitors_are_sent_to_the_login_page(client, people):
    response = client.get("/organizer/")
    assert response.status_code == 302
    assert "/login?next=/organizer/" in response.headers["Location"]


@pytest.mark.parametrize("role", ["delegate", "moderator"])
def test_delegates_and_moderators_are_refused(client, auth, people, role):
    auth.login(people[role])
    assert client.get("/organizer/").status_code == 403


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_organizers_and_admins_see_every_forum_drafts_included(client, auth, people, role):
    auth.login(people[role])
    response = client.get("/organizer/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Khu vực Ban Tổ chức" in html
    assert "Diễn đàn nháp" in html
    assert response.headers["Cache-Control"] == "no-store"


def test_a_deactivated_organizer_is_treated_as_logged_out(client, auth, app, people):
    auth.login(people["organizer"])
    with app.app_context():
        from forum.auth.models import User
        from forum.extensions import db
        import sqlalchemy as sa

        db.session.execute(sa.update(User).where(User.email == people["organizer"]).values(is_active_account=False))
        db.session.commit()
    assert client.get("/organizer/").status_code == 302


@pytest.mark.parametrize(("role", "shown"), [("delegate", False), ("moderator", False), ("organizer", True), ("admin", True)])
def test_the_header_links_to_the_area_for_organizers_only(client, auth, people, role, shown):
    auth.login(people[role])
    html = client.get("/").get_data(as_text=True)
    assert ('href="/organizer/"' in html) is shown
