"""Automated accessibility checks (axe-core) of the main pages at phone and desktop widths.

axe finds what a machine can find (names, labels, contrast, landmarks, ARIA misuse); it
does not replace a keyboard and screen reader walk-through, but it keeps regressions out.
Violations of impact "serious" or "critical" fail the test; the others are printed.
"""
import pytest

from forum.extensions import db
from forum.notifications import inbox
from tests import factories
from tests.browser.helpers import (
    DESKTOP, PHONE, accessibility_report, check_accessibility, collect_errors, log_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a live server and Chromium

@pytest.fixture
def forum_data(live_app):
    """An open forum with a discussed proposal, and a delegate who may take part."""
    with live_app.app_context():
        forum = factories.make_forum(number=3, slug="cham-lo", title="Chăm lo lợi ích, đại diện, bảo vệ quyền lợi người lao động")
        author = factories.make_user(full_name="Trần Thị Bích Ngọc", unit="Công đoàn Khu công nghiệp Bắc Ninh")
        delegate = factories.make_user(full_name="Lê Văn Đức", unit="LĐLĐ tỉnh Đồng Nai", province="Đồng Nai")
        proposal = factories.make_proposal(
            forum, author, title="Thành lập Công đoàn cơ sở theo cụm doanh nghiệp nhỏ trong khu công nghiệp",
            body="Đề xuất **thành lập** Công đoàn cơ sở ghép.\n\n- một\n- hai",
        )
        comment = factories.make_comment(proposal, delegate, body="Tôi *đồng ý* với hiến kế này.")
        reply = factories.make_comment(proposal, author, body="Cảm ơn đồng chí.", parent=comment)
        factories.make_support(proposal, delegate)
        inbox.notify_about_comment(reply, actor=author)  # the delegate's notification
        db.session.commit()
        return {"slug": forum.slug, "proposal_id": proposal.id, "delegate": delegate.email}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_main_pages_have_no_serious_accessibility_violations(live_server, page_factory, forum_data, viewport):
    page = page_factory(viewport)
    errors = collect_errors(page)
    width = viewport["width"]
    found: dict[str, list[str]] = {}

    page.goto(live_server + "/")
    check_accessibility(page, f"home-{width}", found)
    page.goto(f"{live_server}/forums/{forum_data['slug']}")
    page.locator("details.forum-units summary").click()  # the list of units, opened
    check_accessibility(page, f"forum-{width}", found)

    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(forum_data["delegate"])
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.locator("form.auth-form button[type=submit]").click()
    page.locator(".form-error-summary").wait_for()
    check_accessibility(page, f"login-error-{width}", found)

    log_in(page, live_server, forum_data["delegate"], factories.DEFAULT_PASSWORD)
    page.goto(f"{live_server}/proposals/{forum_data['proposal_id']}")
    assert page.locator(".comment").count() == 2
    check_accessibility(page, f"proposal-{width}", found)

    page.goto(f"{live_server}/forums/{forum_data['slug']}/proposals/new")
    page.get_by_role("button", name="Gửi hiến kế").click()
    page.locator(".field-error").first.wait_for()
    check_accessibility(page, f"new-proposal-errors-{width}", found)

    page.goto(live_server + "/profile")
    check_accessibility(page, f"profile-{width}", found)

    page.goto(live_server + "/notifications")
    assert page.locator(".notification-unread").count() == 1
    check_accessibility(page, f"notifications-{width}", found)

    assert not found, "serious or critical accessibility violations:\n" + accessibility_report(found)
    # The 422 answers of the two forms are logged by Chromium; nothing else may be.
    assert [e for e in errors if "status of 422" not in e and "status of 401" not in e] == []


def test_skip_link_is_the_first_stop_and_moves_focus_to_the_content(live_server, page_factory, forum_data):
    page = page_factory(PHONE)
    page.goto(f"{live_server}/forums/{forum_data['slug']}")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.get_attribute("class") == "skip-link"
    assert skip.is_visible() and skip.bounding_box()["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_focus_is_visible_on_links_buttons_and_fields(live_server, page_factory, forum_data):
    """Every keyboard stop on the forum page draws an outline when focused."""
    page = page_factory(DESKTOP)
    page.goto(f"{live_server}/forums/{forum_data['slug']}")
    missing, stops = [], 0
    for _ in range(60):
        page.keyboard.press("Tab")
        style = page.evaluate(
            """() => { const e = document.activeElement; const s = getComputedStyle(e);
                       const after = getComputedStyle(e, '::after');
                       return [e.tagName + '.' + e.className, s.outlineStyle, s.outlineWidth, after.outlineStyle]; }"""
        )
        name, outline, width, after_outline = style
        if name.startswith("BODY"):
            break  # past the last stop
        if outline == "none" and after_outline == "none":
            missing.append(name)
        elif outline != "none":
            assert float(width.rstrip("px")) >= 2, name
        stops += 1
    assert stops > 15  # header, filters, proposal, themes, units, footer
    assert missing == []


def test_touch_targets_are_at_least_44px_on_a_phone(live_server, page_factory, forum_data):
    """No sideways scrolling at 360px, and every control is at least 44px high. The title
    links of forum and proposal cards are left out: the whole card is their target."""
    page = page_factory({"width": 360, "height": 800})
    log_in(page, live_server, forum_data["delegate"], factories.DEFAULT_PASSWORD)
    small = {}
    for path in ("/", f"/forums/{forum_data['slug']}", f"/proposals/{forum_data['proposal_id']}", "/profile"):
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{path} scrolls sideways at 360px"
        small[path] = page.evaluate(
            """() => [...document.querySelectorAll('a, button, input, select, textarea, summary')]
                 .filter(e => e.offsetParent !== null && !e.closest('.prose') && e.type !== 'hidden')
                 .filter(e => !e.classList.contains('skip-link') && !e.matches(".forum-card-link, .proposal-item-title a"))
                 .filter(e => e.type !== 'checkbox' || !e.closest('label'))
                 .filter(e => { const r = e.getBoundingClientRect(); return r.height < 43.5 || r.width < 24; })
                 .map(e => e.tagName + ' ' + (e.innerText || e.name || '').trim().slice(0, 40))"""
        )
    assert {path: items for path, items in small.items() if items} == {}
