"""Browser fixtures: the real app served on a free local port, driven by headless
Chromium (Debian's ``chromium``) through Playwright. Screenshots go to test-artifacts/."""
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, DESKTOP
from tests.helpers import build_app, destroy_app, require_service


@pytest.fixture
def live_app(tmp_path):
    """The app with CSRF on, as in production, on a file-backed SQLite database."""
    app = build_app(f"sqlite:///{tmp_path / 'browser.sqlite3'}", tmp_path, WTF_CSRF_ENABLED=True)
    yield app
    destroy_app(app)


@pytest.fixture
def live_server(live_app):
    """Serves ``live_app`` in a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture
def chromium():
    """A headless Chromium for one test; skips outside CI when it is not installed.

    Function-scoped on purpose: Playwright's sync API keeps an asyncio loop marked as
    running in its thread for as long as it is open, which would break any later test in
    the main thread that uses asyncio or Playwright (tests/votes/test_browser.py runs its
    own). Opening it per test costs about a second.
    """
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        require_service(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service("the playwright Python package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page_factory(chromium):
    """``page_factory(viewport)`` opens a fresh browser context (own cookies) and page."""
    contexts = []

    def open_page(viewport=DESKTOP, locale="vi-VN"):
        context = chromium.new_context(viewport=viewport, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10000)
        return page

    yield open_page
    for context in contexts:
        context.close()
