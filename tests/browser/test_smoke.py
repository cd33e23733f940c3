"""The home page renders in a real browser without console errors (CSP included)."""
import pytest

from tests import factories
from tests.browser.helpers import PHONE, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a live server and Chromium


def test_home_page_has_no_console_errors(live_app, live_server, page_factory):
    with live_app.app_context():
        factories.make_forum(number=1, title="Đổi mới công tác vận động, tập hợp người lao động")
    page = page_factory(PHONE)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server + "/")
    assert "Đổi mới công tác vận động" in page.content()
    screenshot(page, "smoke-home-phone")
    assert errors == []
