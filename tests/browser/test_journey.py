"""The end-to-end journey of two delegates in a real browser, at phone width:
A submits a proposal through the forms; B supports it in place (no page reload),
withdraws the support, then comments and replies. A second test does the support
without JavaScript, as a plain form post. No console or page error is allowed
(CSP violations are reported as console errors)."""
import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.forums.models import Forum
from forum.proposals.models import Proposal
from forum.votes.models import Support
from tests import factories
from tests.browser.helpers import PHONE, collect_errors, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a live server and Chromium

FORUM_TITLE = "Đổi mới công tác vận động, tập hợp người lao động vào tổ chức Công đoàn"
TITLE = "Thành lập Công đoàn cơ sở ghép cho các doanh nghiệp nhỏ ở khu công nghiệp"
BODY = (
    "Nhiều doanh nghiệp dưới 30 lao động không đủ điều kiện tự thành lập Công đoàn cơ sở.\n\n"
    "Đề xuất cho phép **ghép** từ 5 đến 10 doanh nghiệp gần nhau thành một Công đoàn cơ sở."
)


@pytest.fixture
def journey(live_app):
    """An open forum with two themes and two delegates, A and B."""
    with live_app.app_context():
        forum = factories.make_forum(
            number=1, slug="doi-moi-van-dong", title=FORUM_TITLE,
            themes=("Phát triển đoàn viên", "Nâng cao chất lượng cán bộ Công đoàn"),
        )
        a = factories.make_user(full_name="Nguyễn Thị Hồng Nhung", unit="LĐLĐ tỉnh Bình Dương")
        b = factories.make_user(full_name="Trần Văn Đức", unit="Công đoàn Dệt May Việt Nam")
        return {"forum_id": forum.id, "slug": forum.slug, "a": a.email, "b": b.email, "b_id": b.id}


def supports_in_database(app, proposal_id: int, user_id: int) -> tuple[int, int]:
    """(stored support_count, Support rows of ``user_id``) for the proposal."""
    with app.app_context():
        count = db.session.scalar(sa.select(Proposal.support_count).where(Proposal.id == proposal_id))
        rows = db.session.scalar(
            sa.select(sa.func.count(Support.id)).where(Support.proposal_id == proposal_id, Support.user_id == user_id)
        )
        return count, rows


def log_out(page) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Đăng nhập").first.is_visible()


def submit_proposal(page, base_url: str, email: str) -> int:
    """Delegate ``email`` submits TITLE/BODY through the pages; returns the new proposal's id."""
    log_in(page, base_url, email, factories.DEFAULT_PASSWORD)
    page.goto(base_url + "/")
    screenshot(page, "journey-1-home-phone")
    page.get_by_role("link", name=FORUM_TITLE).click()
    page.wait_for_url("**/forums/doi-moi-van-dong")
    page.get_by_role("link", name="Gửi hiến kế").click()
    page.wait_for_url("**/proposals/new")
    page.get_by_label("Tiêu đề").fill(TITLE)
    page.get_by_label("Nhóm vấn đề").select_option(label="Nâng cao chất lượng cán bộ Công đoàn")
    page.get_by_label("Nội dung hiến kế").fill(BODY)
    screenshot(page, "journey-2-new-proposal-phone")
    page.get_by_role("button", name="Gửi hiến kế").click()
    page.wait_for_url("**/proposals/*")
    assert page.locator("h1").inner_text() == TITLE
    assert page.locator(".proposal-body strong").inner_text() == "ghép"  # **ghép** rendered bold
    assert "Nâng cao chất lượng cán bộ Công đoàn" in page.locator(".proposal-facts").inner_text()
    assert "Đã gửi hiến kế của bạn" in page.locator(".flashes").inner_text()
    screenshot(page, "journey-3-proposal-submitted-phone")
    return int(page.url.split("/proposals/")[1].split("?")[0].split("#")[0])


def test_two_delegates_submit_support_and_discuss(live_app, live_server, page_factory, journey):
    from playwright.sync_api import expect

    page = page_factory(PHONE)
    errors = collect_errors(page)

    # Delegate A submits a proposal, then logs out.
    proposal_id = submit_proposal(page, live_server, journey["a"])
    assert page.locator("form[data-support-form]").count() == 0  # no supporting one's own proposal
    log_out(page)

    # Delegate B finds it from the forum page.
    log_in(page, live_server, journey["b"], factories.DEFAULT_PASSWORD)
    page.goto(f"{live_server}/forums/{journey['slug']}")
    page.get_by_role("link", name=TITLE).click()
    page.wait_for_url(f"**/proposals/{proposal_id}")
    proposal_url = page.url

    button = page.locator("form[data-support-form] button")
    count = page.locator("[data-support-count]")
    expect(count).to_have_text("0")
    expect(button).to_have_attribute("aria-pressed", "false")
    assert button.inner_text().strip() == "Ủng hộ"

    # Support: the count and the button change in place, without reloading the page.
    page.evaluate("window.__marker = 1")
    button.click()
    expect(count).to_have_text("1")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_have_text("Đã ủng hộ")
    expect(page.locator("[data-support-status]")).to_have_text("Bạn đã ủng hộ hiến kế này.")
    assert page.evaluate("window.__marker") == 1
    assert page.url == proposal_url
    assert supports_in_database(live_app, proposal_id, journey["b_id"]) == (1, 1)
    screenshot(page, "journey-4-supported-phone")

    # Withdraw the support, again in place.
    button.click()
    expect(count).to_have_text("0")
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button).to_have_text("Ủng hộ")
    assert page.evaluate("window.__marker") == 1
    assert page.url == proposal_url
    assert supports_in_database(live_app, proposal_id, journey["b_id"]) == (0, 0)

    # A comment, then a reply to it.
    page.get_by_label("Ý kiến của bạn").fill("Đề xuất rất **thiết thực** với các khu công nghiệp phía Nam.")
    page.get_by_role("button", name="Gửi ý kiến").click()
    page.wait_for_load_state()
    comment = page.locator(".comment-list > .comment").first
    expect(comment.locator(".comment-body strong")).to_have_text("thiết thực")
    assert "Đã gửi ý kiến của bạn" in page.locator(".flashes").inner_text()

    comment.get_by_role("link", name="Trả lời").first.click()
    page.wait_for_url("**reply_to=*")
    page.get_by_label("Ý kiến của bạn").fill("Bổ sung: cần hướng dẫn về kinh phí của Công đoàn ghép.")
    page.get_by_role("button", name="Gửi ý kiến").click()
    page.wait_for_load_state()
    reply = page.locator(".comment-list > .comment").first.locator(".reply-list .comment")
    expect(reply).to_have_count(1)
    expect(reply.locator(".comment-body")).to_contain_text("hướng dẫn về kinh phí")
    expect(page.locator("#comments-title")).to_contain_text("(2)")
    screenshot(page, "journey-5-discussion-phone")

    assert errors == []


def test_support_works_without_javascript(live_app, live_server, chromium, journey):
    with live_app.app_context():
        forum = db.session.get(Forum, journey["forum_id"])
        author = factories.make_user()
        proposal_id = factories.make_proposal(forum, author, title=TITLE, body=BODY).id

    context = chromium.new_context(viewport=PHONE, locale="vi-VN", java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(10000)
        errors = collect_errors(page)
        log_in(page, live_server, journey["b"], factories.DEFAULT_PASSWORD)
        page.goto(f"{live_server}/proposals/{proposal_id}")
        page.evaluate("window.__marker = 1")  # page.evaluate runs even with scripts off
        with page.expect_navigation():
            page.locator("form[data-support-form] button").click()
        assert page.evaluate("window.__marker") is None  # a real reload: the form was posted
        assert page.url.split("?")[0].endswith(f"/proposals/{proposal_id}")
        assert page.locator("[data-support-count]").inner_text() == "1"
        assert page.locator("form[data-support-form] button").get_attribute("aria-pressed") == "true"
        assert supports_in_database(live_app, proposal_id, journey["b_id"]) == (1, 1)
        screenshot(page, "journey-6-supported-without-js-phone")
        assert errors == []
    finally:
        context.close()
