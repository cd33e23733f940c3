"""The curation pages in a browser (issue 8): axe finds no serious violation on the
proposal page with the moderator tools, an answered proposal, the tools page, the answer
drafts and the forum settings' statuses, at phone and desktop widths; the tools are plain
form posts, and nothing scrolls sideways on a phone."""
import pytest

from forum.extensions import db
from forum.forums.moderators import assign_moderator_scope
from forum.forums.statuses import add_forum_status
from forum.moderation.curation import answers
from tests import factories
from tests.browser.helpers import (
    DESKTOP, PHONE, accessibility_report, check_accessibility, collect_errors, log_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a live server and Chromium


@pytest.fixture
def curated(live_app):
    with live_app.app_context():
        forum = factories.make_forum(number=1, slug="dien-dan-1")
        factories.make_forum(number=2, slug="dien-dan-2")
        moderator = factories.make_user(role="moderator", full_name="Đỗ Mạnh Hùng")
        organizer = factories.make_user(role="organizer", full_name="Kiều Thị Lan Phương")
        assign_moderator_scope(moderator, [forum.id], actor=None)
        author = factories.make_user(full_name="Trần Thị Bích Ngọc")
        open_one = factories.make_proposal(forum, author, title="Thành lập nghiệp đoàn xe ôm công nghệ")
        answered = factories.make_proposal(forum, author, title="Công khai thu, chi đoàn phí hằng quý")
        add_forum_status(forum, code="dua_vao_van_kien", title="Đưa vào dự thảo văn kiện", actor=None)
        answers.publish_answer(answered, status="accepted", body="Diễn đàn **tiếp thu** hiến kế.", actor=moderator)
        answers.save_draft(open_one, status="under_review", body="Ban Tổ chức đang xem xét.", actor=moderator)
        db.session.commit()
        return {"forum": forum.id, "open": open_one.id, "answered": answered.id,
                "moderator": moderator.email, "organizer": organizer.email}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_curation_pages_have_no_serious_accessibility_violations(live_server, page_factory, curated, viewport):
    page = page_factory(viewport)
    errors = collect_errors(page)
    width = viewport["width"]
    found: dict[str, list[str]] = {}
    log_in(page, live_server, curated["moderator"], factories.DEFAULT_PASSWORD)
    page.goto(f"{live_server}/proposals/{curated['open']}")
    assert page.locator("#moderation-tools").count() == 1
    check_accessibility(page, f"proposal-tools-{width}", found)
    page.goto(f"{live_server}/proposals/{curated['answered']}")
    assert page.locator("#official-answer").count() == 1
    check_accessibility(page, f"answered-{width}", found)
    page.goto(f"{live_server}/moderation/proposals/{curated['open']}")
    check_accessibility(page, f"tools-page-{width}", found)
    page.goto(f"{live_server}/moderation/forums/{curated['forum']}/answers")
    check_accessibility(page, f"answer-drafts-{width}", found)
    page.goto(f"{live_server}/moderation/answers")
    check_accessibility(page, f"answers-{width}", found)
    page.goto(f"{live_server}/")
    page.context.clear_cookies()
    log_in(page, live_server, curated["organizer"], factories.DEFAULT_PASSWORD)
    page.goto(f"{live_server}/organizer/forums/{curated['forum']}#statuses")
    check_accessibility(page, f"settings-statuses-{width}", found)
    assert not found, "serious or critical accessibility violations:\n" + accessibility_report(found)
    assert errors == []


def test_a_moderator_pins_and_publishes_the_drafts_through_plain_forms(live_server, page_factory, curated):
    page = page_factory({"width": 360, "height": 800})
    log_in(page, live_server, curated["moderator"], factories.DEFAULT_PASSWORD)
    page.goto(f"{live_server}/proposals/{curated['open']}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Ghim lên đầu diễn đàn").click()
    page.locator(".flash, [role=status], [role=alert]").first.wait_for()
    assert page.get_by_role("button", name="Bỏ ghim").count() == 1
    page.goto(f"{live_server}/moderation/forums/{curated['forum']}/answers")
    page.get_by_role("button", name="Công bố tất cả").click()
    page.goto(f"{live_server}/proposals/{curated['open']}")
    assert "Ban Tổ chức đang xem xét." in page.locator("#official-answer").inner_text()
