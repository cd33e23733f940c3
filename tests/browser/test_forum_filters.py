"""The forum page's sort and theme apply on change with JavaScript (issue 10, item 5):
static/js/filters.js. A pick with the mouse (or a phone's picker) reloads at once; arrow
keys on a closed select only change it (Chromium fires "change" on every arrow there),
Enter applies; after the reload the select used has the focus again."""
import pytest

from tests import factories
from tests.browser.helpers import DESKTOP, PHONE, collect_errors, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a live server and Chromium


@pytest.fixture
def forum_url(live_app, live_server):
    with live_app.app_context():
        forum = factories.make_forum(number=1, title="Đổi mới công tác vận động, tập hợp người lao động")
        author = factories.make_user()
        for theme in forum.themes:
            factories.make_proposal(forum, author, theme=theme, title=f"Hiến kế về {theme.title.lower()}")
        return f"{live_server}/forums/{forum.slug}"


def selected(page, name: str) -> str:
    return page.eval_on_selector(f"select[name={name}]", "select => select.value")


def test_choosing_a_sort_with_the_mouse_applies_it_and_keeps_the_focus(page_factory, forum_url):
    page = page_factory(PHONE)
    errors = collect_errors(page)
    page.goto(forum_url)
    screenshot(page, "forum-filters-phone")
    assert page.locator("form[data-auto-submit] button[type=submit]").is_visible()  # "Xem" stays
    with page.expect_navigation():
        page.select_option("#filter-sort", "newest")
    assert "sort=newest" in page.url
    assert selected(page, "sort") == "newest"
    assert page.evaluate("document.activeElement.id") == "filter-sort"
    assert errors == []


def test_arrow_keys_do_not_reload_enter_applies(page_factory, forum_url):
    page = page_factory(DESKTOP)
    errors = collect_errors(page)
    page.goto(forum_url)
    page.focus("#filter-theme")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert "theme=" not in page.url  # still here: two changes, no reload
    chosen = selected(page, "theme")
    assert chosen
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"theme={chosen}" in page.url
    assert page.evaluate("document.activeElement.id") == "filter-theme"
    screenshot(page, "forum-filters-desktop-theme")
    assert errors == []


def test_without_javascript_the_button_applies_the_filters(live_server, chromium, forum_url):
    context = chromium.new_context(java_script_enabled=False, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(forum_url)
        page.select_option("#filter-sort", "newest")
        page.wait_for_timeout(200)
        assert "sort=" not in page.url
        with page.expect_navigation():
            page.get_by_role("button", name="Xem").click()
        assert "sort=newest" in page.url and page.url.endswith("#proposals")
    finally:
        context.close()
