"""Helpers for the browser tests: where Chromium is, the phone and desktop viewports,
screenshots for humans (test-artifacts/), logging in through the form, page errors."""
import os
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


PHONE = {"width": 390, "height": 844}


DESKTOP = {"width": 1280, "height": 900}


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
