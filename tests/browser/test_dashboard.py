"""The organizers' participation dashboard in a real browser, at phone and desktop
widths: the charts are drawn (inline SVG, nothing refused by the Content-Security-Policy:
no console error), every table opens, axe finds nothing serious."""
import pytest

from forum.extensions import db
from forum.moderation.queue.services import report_content
from tests import factories
from tests.browser.helpers import DESKTOP, PHONE, accessibility_report, check_accessibility, collect_errors, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def dashboard_data(live_app):
    with live_app.app_context():
        forum = factories.make_forum(number=1)
        hidden = factories.make_forum(number=2, hide_tallies_until_closed=True)
        author = factories.make_user(unit="Công đoàn Khu công nghiệp Bắc Ninh", province="Bắc Ninh")
        supporter = factories.make_user(unit="LĐLĐ tỉnh Đồng Nai", province="Đồng Nai")
        factories.make_user(unit="Công đoàn Dệt May Việt Nam", province="Hà Nội")  # not yet
        proposal = factories.make_proposal(forum, author)
        factories.make_proposal(hidden, supporter)
        factories.make_comment(proposal, supporter)
        factories.make_support(proposal, supporter)
        report_content(proposal, reason="spam", actor=supporter)
        organizer = factories.make_user(role="organizer")
        db.session.commit()
        return {"organizer": organizer.email}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_dashboard_in_a_browser(live_server, page_factory, dashboard_data, viewport):
    page = page_factory(viewport)
    errors = collect_errors(page)
    log_in(page, live_server, dashboard_data["organizer"], factories.DEFAULT_PASSWORD)
    page.goto(live_server + "/organizer/dashboard")
    assert page.locator("svg.chart").count() == 5
    for summary in page.locator("details.dashboard-data summary").all():
        summary.click()
    assert page.locator("details.dashboard-data[open]").count() == page.locator("details.dashboard-data").count()
    assert page.get_by_text("Công đoàn Dệt May Việt Nam").first.is_visible()
    # The bars are drawn with their sizes (a chart drawn at zero size would be empty).
    box = page.locator("#chart-forums-title").locator("xpath=..").bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100
    found: dict[str, list[str]] = {}
    check_accessibility(page, f"dashboard-{viewport['width']}", found)
    assert not found, "serious or critical accessibility violations:\n" + accessibility_report(found)
    assert errors == []
