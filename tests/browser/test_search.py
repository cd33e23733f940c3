"""Search in a real browser: the header box, results that update as you type (no page
reload), the "Đã có hiến kế tương tự?" box while a proposal title is typed, and the same
features without JavaScript. No console or page error is allowed (the CSP is strict)."""
import re

import pytest

from forum.search import engines, indexer
from tests import factories
from tests.browser.helpers import DESKTOP, PHONE, collect_errors, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a live server and Chromium

BLOCKING = {"serious", "critical"}


@pytest.fixture
def library(live_app):
    """Two forums with proposals and a comment about women members, indexed; a delegate."""
    with live_app.app_context():
        first = factories.make_forum(number=1, slug="doi-moi", title="Đổi mới công tác vận động, tập hợp người lao động",
                                     themes=("Phát triển đoàn viên", "Cán bộ Công đoàn"))
        second = factories.make_forum(number=2, slug="cham-lo", title="Chăm lo lợi ích của đoàn viên",
                                      themes=("Nhà ở",))
        author = factories.make_user(full_name="Nguyễn Thị Hồng Nhung", unit="LĐLĐ tỉnh Bình Dương")
        delegate = factories.make_user(full_name="Trần Văn Đức", unit="Công đoàn Dệt May Việt Nam")
        women = factories.make_proposal(
            first, author, title="Phát triển đoàn viên nữ trong doanh nghiệp dệt may",
            body="Lao động **nữ** chiếm đa số trong ngành dệt may; cần nhà trẻ gần khu công nghiệp để đoàn viên nữ yên tâm làm việc.",
        )
        chair = factories.make_proposal(
            first, author, theme=first.themes[1], title="Bảo vệ chủ tịch công đoàn cơ sở không chuyên trách",
            body="Chủ tịch công đoàn cơ sở cần được bảo vệ khi đại diện cho đoàn viên đối thoại với doanh nghiệp.",
        )
        housing = factories.make_proposal(
            second, author, title="Nhà ở xã hội cho đoàn viên nữ công nhân",
            body="Dành quỹ đất xây nhà ở cho công nhân nữ có con nhỏ.",
        )
        factories.make_comment(women, delegate, body="Đồng ý. Đoàn viên nữ làm ca đêm rất cần nhà trẻ.")
        for _ in range(3):
            factories.make_support(women, factories.make_user())
        factories.make_support(housing, factories.make_user())
        indexer.drain_outbox(engines.get_backend())
        return {"women": women.id, "chair": chair.id, "housing": housing.id, "delegate": delegate.email,
                "slug": first.slug}


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"[{v['impact']}] {v['id']}: {v['help']}" for v in results.response["violations"] if v["impact"] in BLOCKING]


def test_the_header_box_leads_to_highlighted_results(live_server, page_factory, library):
    from playwright.sync_api import expect

    page = page_factory(DESKTOP)
    errors = collect_errors(page)
    page.goto(live_server + "/")
    box = page.get_by_role("searchbox", name="Tìm hiến kế và ý kiến")
    box.fill("doan vien nu")
    box.press("Enter")
    page.wait_for_url("**/search?q=doan+vien+nu")
    expect(page.locator(".search-count")).to_have_text("Tìm thấy 3 kết quả")
    first = page.locator(".search-hit").first
    expect(first.locator("h3 mark")).to_have_text("đoàn viên nữ")
    assert page.get_by_role("searchbox", name="Từ khóa").input_value() == "doan vien nu"
    screenshot(page, "search-1-results-desktop")
    assert axe_violations(page) == []
    assert errors == []


def test_on_a_phone_the_header_button_opens_the_search_page(live_server, page_factory, library):
    from playwright.sync_api import expect

    page = page_factory(PHONE)
    errors = collect_errors(page)
    page.goto(f"{live_server}/forums/{library['slug']}")
    expect(page.locator("#header-search-q")).to_be_hidden()
    button = page.get_by_role("button", name="Tìm kiếm")
    box = button.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    button.click()
    page.wait_for_url("**/search?q=")
    expect(page.get_by_role("heading", name="Mẹo tìm kiếm")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "search-2-tips-phone")
    page.get_by_role("link", name="doan vien").click()
    page.wait_for_url("**/search?q=doan+vien")
    expect(page.locator(".search-hit")).to_have_count(4)
    assert axe_violations(page) == []
    assert errors == []


def test_typing_on_the_search_page_updates_the_results_without_reloading(live_server, page_factory, library):
    from playwright.sync_api import expect

    page = page_factory(PHONE)
    errors = collect_errors(page)
    page.goto(live_server + "/search")
    page.evaluate("window.__marker = 1")
    field = page.get_by_role("searchbox", name="Từ khóa")
    field.press_sequentially("chu tich cong doan", delay=30)
    expect(page.locator(".search-hit")).to_have_count(1)
    expect(page.locator(".search-hit h3")).to_contain_text("Bảo vệ chủ tịch công đoàn cơ sở")
    expect(page.locator("[data-search-status]")).to_have_text("Tìm thấy 1 kết quả")
    assert page.evaluate("window.__marker") == 1  # no reload
    expect(page).to_have_url(re.compile(r"/search\?q=chu\+tich\+cong\+doan$"))  # replaceState
    expect(page).to_have_title(re.compile(r"^Tìm kiếm: chu tich cong doan · "))
    screenshot(page, "search-3-live-phone")

    # Another query, then a filter and a sort: results follow, still without a reload.
    field.fill("doan vien nu")
    expect(page.locator(".search-count")).to_have_text("Tìm thấy 3 kết quả")
    page.locator("summary", has_text="Lọc và sắp xếp").click()
    page.get_by_label("Loại").select_option(label="Hiến kế")
    expect(page.locator(".search-count")).to_have_text("Tìm thấy 2 kết quả")
    page.get_by_label("Sắp xếp theo").select_option(label="Nhiều ủng hộ nhất")
    expect(page.locator(".search-hit h3").first).to_contain_text("Phát triển đoàn viên nữ")
    expect(page).to_have_url(re.compile(r"/search\?q=doan\+vien\+nu&kind=proposal&sort=supports$"))
    # Choosing a forum offers only its themes.
    page.get_by_label("Diễn đàn").select_option(index=2)  # forum 2
    expect(page.locator(".search-count")).to_have_text("Tìm thấy 1 kết quả")
    assert page.locator("select[name=theme] optgroup:not([hidden])").count() == 1
    assert page.evaluate("window.__marker") == 1
    screenshot(page, "search-4-filtered-phone")
    assert axe_violations(page) == []

    # Nothing found: a friendly message, announced too.
    field.fill("xyzzy")
    expect(page.locator(".search-empty h2")).to_contain_text("Không tìm thấy kết quả nào")
    expect(page.locator("[data-search-status]")).to_have_text("Tìm thấy 0 kết quả")
    # Reloading the updated address gives the same page from the server.
    page.reload()
    assert page.get_by_role("searchbox", name="Từ khóa").input_value() == "xyzzy"
    assert errors == []


def test_dates_are_typed_day_first_and_their_messages_follow_the_live_results(live_server, page_factory, library):
    """Issue 10, item 2: text inputs (a native date input would show mm/dd/yyyy in an English
    browser); a date fixed or broken while results update live marks its field likewise."""
    from playwright.sync_api import expect

    page = page_factory(PHONE, locale="en-US")
    errors = collect_errors(page)
    page.goto(live_server + "/search?q=doan+vien+nu&date_from=31/02/2023")
    start = page.get_by_role("textbox", name="Từ ngày")
    assert start.get_attribute("type") == "text" and start.get_attribute("inputmode") == "numeric"
    assert start.input_value() == "31/02/2023"  # kept as typed
    expect(start).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#date_from-error")).to_have_text("Ngày không hợp lệ, bộ lọc này đã được bỏ qua.")
    page.evaluate("window.__marker = 1")

    start.fill("01.01.2020")  # a keypad without "/"
    start.press("Tab")
    expect(page.locator(".search-count")).to_have_text("Tìm thấy 3 kết quả")
    expect(page.locator("#date_from-error")).to_have_count(0)
    assert start.get_attribute("aria-invalid") is None
    assert start.get_attribute("aria-describedby") == "date_from-hint"

    end = page.get_by_role("textbox", name="Đến ngày")
    end.fill("31/13/2099")
    end.press("Tab")
    expect(page.locator("#date_to-error")).to_have_text("Ngày không hợp lệ, bộ lọc này đã được bỏ qua.")
    expect(end).to_have_attribute("aria-invalid", "true")
    assert end.get_attribute("aria-describedby") == "date_to-hint date_to-error"
    assert page.evaluate("window.__marker") == 1  # no reload
    expect(page).to_have_url(re.compile(r"date_from=01\.01\.2020&date_to=31%2F13%2F2099"))
    screenshot(page, "search-dates-phone")

    # Reloaded from the server: the good date shown day first, the bad one as typed.
    page.reload()
    assert page.get_by_role("textbox", name="Từ ngày").input_value() == "01/01/2020"
    assert page.get_by_role("textbox", name="Đến ngày").input_value() == "31/13/2099"

    # The browser's picker, beside the text: it only writes day/month/year into the field.
    button = page.get_by_role("button", name="Chọn ngày trên lịch (Đến ngày)")
    button.click()  # showPicker() on the date input behind it: no error
    native = page.locator("#date_to ~ input[type=date]")
    assert native.get_attribute("name") is None and native.get_attribute("tabindex") == "-1"
    assert native.input_value() == ""  # 31/13/2099 is no date: the picker opens empty
    page.keyboard.press("Escape")
    native.evaluate("n => { n.value = '2099-12-24'; n.dispatchEvent(new Event('change', {bubbles: true})); }")
    expect(page.locator(".search-count")).to_have_text("Tìm thấy 3 kết quả")
    assert page.get_by_role("textbox", name="Đến ngày").input_value() == "24/12/2099"
    expect(page.locator("#date_to-error")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"date_to=24%2F12%2F2099"))
    # The picker opens on the date typed.
    page.get_by_role("button", name="Chọn ngày trên lịch (Từ ngày)").click()
    assert page.locator("#date_from ~ input[type=date]").input_value() == "2020-01-01"
    page.keyboard.press("Escape")
    screenshot(page, "search-dates-picker-phone")
    # Chromium logs each 422 answer (a bad date) as a failed resource; nothing else.
    assert [error for error in errors if "status of 422" not in error] == []


def test_the_similar_box_appears_while_typing_a_proposal_title(live_server, page_factory, library):
    from playwright.sync_api import expect

    page = page_factory(PHONE)
    errors = collect_errors(page)
    log_in(page, live_server, library["delegate"], factories.DEFAULT_PASSWORD)
    page.goto(f"{live_server}/forums/{library['slug']}/proposals/new")
    title = page.get_by_label("Tiêu đề")
    title.press_sequentially("Xây nhà", delay=20)  # too short to look for anything
    page.wait_for_timeout(700)
    expect(page.locator(".similar-box")).to_have_count(0)
    title.press_sequentially(" trẻ cho đoàn viên nữ", delay=20)
    box = page.locator(".similar-box")
    expect(box).to_be_visible()
    expect(box.get_by_role("heading", name="Đã có hiến kế tương tự?")).to_be_visible()
    links = box.locator(".similar-item-title")
    expect(links.first).to_be_visible()
    titles = links.all_inner_texts()
    assert "Phát triển đoàn viên nữ trong doanh nghiệp dệt may" in titles
    assert "Diễn đàn số 1" in box.inner_text() and "3 ủng hộ" in box.inner_text()
    # Right under the title field, where the delegate is looking.
    assert page.evaluate(
        "document.querySelector('#title').closest('.field').nextElementSibling.classList.contains('similar')"
    )
    expect(page.locator("[data-similar-status]")).to_contain_text("hiến kế tương tự")
    screenshot(page, "search-5-similar-phone")
    assert axe_violations(page) == []
    # The box follows the title: an unrelated one empties it.
    title.fill("Thể thao văn nghệ mùa hè")
    expect(page.locator(".similar-box")).to_have_count(0)
    title.fill("Phát triển đoàn viên nữ ở khu công nghiệp")
    expect(page.locator(".similar-box")).to_be_visible()
    # The preview step (a plain post, also with JavaScript on) keeps the box under the title.
    page.get_by_label("Nhóm vấn đề").select_option(label="Phát triển đoàn viên")
    page.get_by_label("Nội dung hiến kế").fill("Mở **lớp học** buổi tối cho nữ công nhân.")
    with page.expect_navigation():
        page.get_by_role("button", name="Xem trước").click()
    expect(page.locator(".proposal-preview strong")).to_have_text("lớp học")
    expect(links.first).to_be_visible()
    assert page.evaluate(
        "document.querySelector('#title').closest('.field').nextElementSibling.classList.contains('similar')"
    )
    assert axe_violations(page) == []
    links.filter(has_text="Phát triển đoàn viên nữ trong doanh nghiệp dệt may").click()
    page.wait_for_url(f"**/proposals/{library['women']}")
    assert errors == []


def test_search_and_the_preview_work_without_javascript(live_app, live_server, chromium, library):
    context = chromium.new_context(viewport=PHONE, locale="vi-VN", java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(10000)
        errors = collect_errors(page)
        page.goto(live_server + "/search")
        page.get_by_role("searchbox", name="Từ khóa").fill("nha o")
        with page.expect_navigation():
            page.get_by_role("button", name="Tìm", exact=True).click()
        assert page.locator(".search-count").inner_text() == "Tìm thấy 1 kết quả"
        assert "Nhà ở xã hội" in page.locator(".search-hit h3").inner_text()

        log_in(page, live_server, library["delegate"], factories.DEFAULT_PASSWORD)
        page.goto(f"{live_server}/forums/{library['slug']}/proposals/new")
        page.get_by_label("Tiêu đề").fill("Phát triển đoàn viên nữ ở khu công nghiệp")
        page.get_by_label("Nhóm vấn đề").select_option(label="Phát triển đoàn viên")
        page.get_by_label("Nội dung hiến kế").fill("Mở **lớp học** buổi tối cho nữ công nhân.")
        with page.expect_navigation():
            page.get_by_role("button", name="Xem trước").click()
        assert page.locator(".proposal-preview strong").inner_text() == "lớp học"
        assert "Phát triển đoàn viên nữ trong doanh nghiệp dệt may" in page.locator(".similar-box").inner_text()
        assert page.get_by_label("Tiêu đề").input_value() == "Phát triển đoàn viên nữ ở khu công nghiệp"
        screenshot(page, "search-6-preview-without-js-phone")
        with page.expect_navigation():
            page.get_by_role("button", name="Gửi hiến kế").click()
        assert "/proposals/" in page.url and "Đã gửi hiến kế của bạn" in page.locator(".flashes").inner_text()
        assert errors == []
    finally:
        context.close()
