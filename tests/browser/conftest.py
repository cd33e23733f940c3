"""Browser fixtures: the real app served on a free local port, driven by headless
Chromium (Debian's ``chromium``) through Playwright. Screenshots go to test-artifacts/."""
import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import build_app, destroy_app, require_service

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


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


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot for humans to look at (not compared by tests)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, base_url: str, email: str, password: str) -> None:
    """Log in through the real login form and wait to leave the login page."""
    page.goto(base_url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    page.locator("form.auth-form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def collect_errors(page) -> list[str]:
    """Console errors (CSP violations show up there) and uncaught page errors of ``page``."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    return errors
