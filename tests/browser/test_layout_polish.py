"""Layout slips of issue 10 item 6, measured in Chromium: the "comment sent" message is no
wider than the proposal's column, and each item of a form's error summary keeps its
bullet beside its first line at phone width."""
import pytest

from tests import factories
from tests.browser.helpers import DESKTOP, PHONE, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def scene(live_app):
    with live_app.app_context():
        forum = factories.make_forum(number=1)
        proposal = factories.make_proposal(forum, factories.make_user(), title="Ngày hội đoàn viên ở khu nhà trọ")
        delegate = factories.make_user()
        return {"proposal": proposal.id, "slug": forum.slug, "delegate": delegate.email}


def bullet_pixels(png: bytes) -> int:
    """How many dark pixels an image holds (a bullet on the summary's pale background)."""
    import io

    from PIL import Image

    return sum(Image.open(io.BytesIO(png)).convert("L").histogram()[:110])


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_messages_and_error_summaries_keep_to_their_column(live_server, page_factory, scene, viewport):
    page = page_factory(viewport)
    log_in(page, live_server, scene["delegate"], factories.DEFAULT_PASSWORD)
    page.goto(f"{live_server}/proposals/{scene['proposal']}")
    page.locator("#comment-form textarea").fill("Tôi đồng ý, cần làm ngay ở khu công nghiệp.")
    page.locator("#comment-form button[type=submit]").click()
    page.locator(".flash").wait_for()
    flash, column = box(page, ".flashes"), box(page, ".reading-column")
    assert flash["x"] >= column["x"] - 1 and flash["x"] + flash["width"] <= column["x"] + column["width"] + 1
    screenshot(page, f"polish-flash-{viewport['width']}")

    page.goto(f"{live_server}/forums/{scene['slug']}/proposals/new")
    page.locator("input[name=title]").fill("a")
    page.locator("main form button[type=submit]").last.click()
    items = page.locator(".form-error-list li")
    items.first.wait_for()
    assert items.count() == 3
    for index in range(3):
        item = items.nth(index).bounding_box()
        # The bullet is drawn left of the item, beside its first line (an inline-block
        # link put it beside its last line, or nowhere to be seen): look for its pixels.
        gutter = {"x": item["x"] - 18, "y": item["y"], "width": 16, "height": 22}
        assert bullet_pixels(page.screenshot(clip=gutter)) > 4, f"no bullet beside item {index + 1}"
    screenshot(page, f"polish-errors-{viewport['width']}")
