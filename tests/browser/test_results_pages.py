"""The results pages in Chromium at phone and desktop widths (issue 9): the organizers'
results list, a frozen result after "verify", the export form with its errors, and the
public page of a published result; axe finds nothing serious, nothing scrolls sideways,
no console error."""
import pytest

from forum.extensions import db
from forum.forums.services import set_forum_phase
from forum.results import snapshots
from tests import factories
from tests.browser.helpers import DESKTOP, PHONE, accessibility_report, check_accessibility, collect_errors, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def closed_forum(live_app):
    """Forum 4, closed with a published result: three proposals supported from two provinces."""
    with live_app.app_context():
        forum = factories.make_forum(number=4, phase="voting", title="Phân định chức năng, nhiệm vụ các cấp Công đoàn")
        authors = [factories.make_user(full_name=name, unit=unit) for name, unit in (
            ("Nguyễn Thị Hồng Nhung", "LĐLĐ tỉnh Đồng Nai"), ("Trần Văn Đức", "Công đoàn Khu công nghiệp Bắc Ninh"))]
        supporters = [factories.make_user(province=province) for province in ("Hà Nội", "Đồng Nai", "Thừa Thiên Huế")]
        for index, title in enumerate(("Giao cho Công đoàn cơ sở quyền chủ động chi tiêu kinh phí",
                                       "Tinh gọn bộ máy Công đoàn cấp trên trực tiếp cơ sở",
                                       "Chuẩn hóa chức danh cán bộ Công đoàn chuyên trách")):
            proposal = factories.make_proposal(forum, authors[index % 2], title=title)
            for supporter in supporters[index:]:
                factories.make_support(proposal, supporter)
        set_forum_phase(forum, "closed", actor=None)
        snapshots.publish_result(snapshots.current_snapshot(forum), actor=None)
        organizer = factories.make_user(role="organizer", full_name="Phạm Thu Hà")
        db.session.commit()
        return {"organizer": organizer.email}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_results_pages_are_accessible(live_server, page_factory, closed_forum, viewport):
    page = page_factory(viewport)
    errors = collect_errors(page)
    width = viewport["width"]
    found: dict[str, list[str]] = {}

    def look(name):
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways"
        check_accessibility(page, f"{name}-{width}", found)

    page.goto(live_server + "/results")
    look("results-public")
    page.goto(live_server + "/results/4")
    assert page.locator(".result-table tbody tr").count() == 3
    look("result-public")

    log_in(page, live_server, closed_forum["organizer"], factories.DEFAULT_PASSWORD)
    page.goto(live_server + "/organizer/results")
    look("results-organizer")
    page.goto(live_server + "/organizer/results/4")
    page.get_by_role("button", name="Kiểm tra lại từ dữ liệu ủng hộ").click()
    page.locator(".result-check-ok").wait_for()
    look("result-verified")
    page.goto(live_server + "/organizer/results/export")
    page.get_by_label("Số hiến kế đầu bảng (để trống: tất cả)").fill("-1")
    page.get_by_role("button", name="Tải về").click()
    page.locator(".form-error-summary").wait_for()
    look("export-errors")

    assert not found, "serious or critical accessibility violations:\n" + accessibility_report(found)
    assert [e for e in errors if "status of 422" not in e] == []
