"""Helpers for the browser tests: where Chromium is, the phone and desktop viewports,
screenshots for humans (test-artifacts/), logging in through the form, page errors, and
the axe-core accessibility check."""
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


# Violations of these impacts fail a test; the others are printed.
BLOCKING_IMPACTS = {"serious", "critical"}


def check_accessibility(page, name: str, found: dict) -> None:
    """Run axe on ``page`` and save its screenshot as ``a11y-<name>``; record blocking
    violations under ``name`` in ``found`` (print the others). A page has one h1."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    screenshot(page, f"a11y-{name}")
    for violation in results.response["violations"]:
        nodes = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        line = f"[{violation['impact']}] {violation['id']}: {violation['help']} -> {nodes}"
        if violation["impact"] in BLOCKING_IMPACTS:
            found.setdefault(name, []).append(line)
        else:
            print(f"{name}: {line}")
    assert page.locator("h1").count() == 1, f"{name}: a page has exactly one h1"


def accessibility_report(found: dict) -> str:
    """The blocking violations recorded by ``check_accessibility``, page by page."""
    return "\n".join(f"{page}:\n  " + "\n  ".join(lines) for page, lines in found.items())
