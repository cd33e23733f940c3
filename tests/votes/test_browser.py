"""static/js/support.js in headless Chromium: the button updates in place, survives a
double click, shows the server's refusal and formats the count in the page's locale.

Playwright's sync API runs in a thread of its own here, so that this test does not
depend on what other tests left in the main thread (two sync Playwright instances cannot
share one thread; tests/browser opens and closes its browser per test).
"""
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import render_template_string
from werkzeug.serving import make_server

from forum.extensions import db
from forum.forums.models import Forum
from forum.proposals.models import Proposal
from forum.votes.services import supported_proposal_ids
from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, PHONE, screenshot
from tests.helpers import build_app, destroy_app, require_service
from tests.factories import DEFAULT_PASSWORD, make_forum, make_proposal, make_user
from tests.votes.helpers import count_and_rows

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a live server and Chromium

# A page of our own that includes the partial, so that this test depends only on it.
TEST_PAGE = """{% extends "base.html" %}
{% block content %}<h1>{{ proposal.title }}</h1>{% include "votes/_support_button.html" %}{% endblock %}"""


@pytest.fixture
def support_app(tmp_path):
    app = build_app(f"sqlite:///{tmp_path / 'browser.sqlite3'}", tmp_path, WTF_CSRF_ENABLED=True)

    def support_test_page(proposal_id):
        from flask_login import current_user

        proposal = db.get_or_404(Proposal, proposal_id)
        supported = proposal.id in supported_proposal_ids(current_user, [proposal.id])
        return render_template_string(TEST_PAGE, proposal=proposal, supported=supported)

    app.add_url_rule("/_test/support/<int:proposal_id>", "support_test_page", support_test_page)
    yield app
    destroy_app(app)


@pytest.fixture
def server_url(support_app):
    server = make_server("127.0.0.1", 0, support_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture
def open_page():
    """``open_page(scenario)`` runs ``scenario(page)`` in headless Chromium, in its own thread."""
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        require_service(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service("the playwright Python package is not installed (pip install -e '.[dev]')")

    def run(scenario):
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(viewport=PHONE, locale="vi-VN")
                page = context.new_page()
                page.set_default_timeout(10000)
                scenario(page)
            finally:
                browser.close()

    def open_in_thread(scenario):
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(run, scenario).result()  # re-raises the scenario's assertion errors

    return open_in_thread


def log_in(page, base_url, email):
    page.goto(base_url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def test_support_button_updates_in_place(support_app, server_url, open_page):
    with support_app.app_context():
        forum = make_forum(phase="voting")
        proposal = make_proposal(forum, make_user())
        big = make_proposal(forum, make_user(), support_count=1627)
        email, proposal_id, big_id, forum_id = make_user().email, proposal.id, big.id, forum.id
    open_page(lambda page: support_scenario(page, support_app, server_url, email, proposal_id, big_id, forum_id))


def support_scenario(page, support_app, server_url, email, proposal_id, big_id, forum_id):
    from playwright.sync_api import expect

    posts = []
    page.on("request", lambda request: posts.append(request.url.rsplit("/", 1)[-1]) if request.method == "POST" else None)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, server_url, email)
    page.goto(f"{server_url}/_test/support/{proposal_id}")
    page.evaluate("window.__notReloaded = true")

    button = page.locator("form[data-support-form] button")
    count = page.locator("[data-support-count]")
    status = page.locator("[data-support-status]")
    assert button.inner_text().strip() == "Ủng hộ"

    posts.clear()
    button.click()
    expect(count).to_have_text("1")
    expect(button).to_have_attribute("aria-pressed", "true")
    assert posts == ["support"]
    assert button.inner_text().strip() == "Đã ủng hộ"
    assert page.locator("form[data-support-form]").get_attribute("action").endswith(f"/proposals/{proposal_id}/unsupport")
    status.filter(has_text="Bạn đã ủng hộ hiến kế này.").wait_for()
    assert page.evaluate("window.__notReloaded") is True
    assert count_and_rows(support_app, proposal_id) == (1, 1)
    screenshot(page, "votes-supported-phone")

    # A double click sends one request: the support is withdrawn once, not toggled back.
    form = page.locator("form[data-support-form]")
    posts.clear()
    button.dblclick()
    expect(count).to_have_text("0")
    expect(form).not_to_have_attribute("aria-busy", "true")
    expect(button).to_have_attribute("aria-pressed", "false")
    assert posts == ["unsupport"]
    assert count_and_rows(support_app, proposal_id) == (0, 0)
    button.dblclick()
    expect(count).to_have_text("1")
    expect(form).not_to_have_attribute("aria-busy", "true")
    assert count_and_rows(support_app, proposal_id) == (1, 1)

    # The forum closes meanwhile: the server's message is shown and the old state kept.
    with support_app.app_context():
        db.session.execute(sa.update(Forum).where(Forum.id == forum_id).values(phase="closed"))
        db.session.commit()
    button.click()
    status.filter(has_text="Diễn đàn hiện không cho phép rút ủng hộ.").wait_for()
    assert "support-status-error" in status.get_attribute("class")
    assert button.get_attribute("aria-pressed") == "true"
    assert button.inner_text().strip() == "Đã ủng hộ"
    assert count.inner_text() == "1"
    assert count_and_rows(support_app, proposal_id) == (1, 1)
    screenshot(page, "votes-refused-phone")

    # Counts are formatted for the page's language (vi: 1.628).
    with support_app.app_context():
        db.session.execute(sa.update(Forum).where(Forum.id == forum_id).values(phase="voting"))
        db.session.commit()
    page.goto(f"{server_url}/_test/support/{big_id}")
    assert count.inner_text() == "1.627"
    button.click()
    expect(count).to_have_text("1.628")

    # 403/409 answers show up as console errors in Chromium; nothing else may.
    assert [error for error in errors if "status of 409" not in error] == []
