"""The API's documentation page in Chromium (issue 9 item 4): Swagger UI from static/
renders every operation from the generated document under the site's strict
Content-Security-Policy (no console error, nothing from another origin), and "Try it out"
calls the API from the page."""
import pytest

from tests import factories
from tests.browser.helpers import DESKTOP, PHONE, collect_errors, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def a_forum(live_app):
    with live_app.app_context():
        forum = factories.make_forum(number=1, title="Phát triển đoàn viên ở khu công nghiệp")
        factories.make_proposal(forum, factories.make_user(), title="Ngày hội đoàn viên ở khu nhà trọ")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_documentation_page_works_under_the_strict_policy(live_server, page_factory, a_forum, viewport):
    page = page_factory(viewport)
    errors = collect_errors(page)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto(live_server + "/api/v1/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    operations = page.locator(".opblock")
    operations.first.wait_for()
    assert operations.count() == 8
    assert page.get_by_role("heading", level=1).first.inner_text().startswith("Tài liệu API")

    page.locator(".opblock-summary-path", has_text="/api/v1/forums").first.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    page.locator(".live-responses-table .response-col_status", has_text="200").wait_for()
    assert "Phát triển đoàn viên ở khu công nghiệp" in page.locator(".live-responses-table").inner_text()
    screenshot(page, f"api-docs-{viewport['width']}")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    assert errors == []
    assert all(url.startswith(live_server) or url.startswith("data:") for url in requested), requested
