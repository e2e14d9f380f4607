"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live_server.

Never `playwright install`: the browser is the system package at /usr/bin/chromium
(.ci/services installs it in CI). Without it the tests skip locally and fail with CI=true.
"""

import os
from pathlib import Path

import pytest

from tests.conftest import require_service

# Playwright's sync API runs an event loop in the test thread, and Django then refuses ORM
# calls from that thread (fixtures, assertions). The Makefile sets this too; setting it here
# keeps a plain `pytest tests/e2e` working.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # containers and CI run as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",  # no update checks or other calls home during tests
    "--disable-component-update",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options (--headed, --slowmo, ...) plus the system Chromium."""
    require_service(
        "Chromium",
        CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK),
        f"no browser at {CHROMIUM} (apt-get install chromium)",
    )
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server):
    """Pages open relative to the live server: `page.goto("/accounts/")`.

    This replaces pytest-playwright's own base_url fixture, which reads --base-url and is an
    instance method of a plugin class, a form pytest 9 deprecates (an error under
    filterwarnings=error). These tests always target the live server, never a --base-url.
    """
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A fixed locale, so the language the app picks does not depend on the machine's settings.
    return {**browser_context_args, "locale": "en-GB", "viewport": {"width": 1366, "height": 800}}


@pytest.fixture
def console_errors(page):
    """Every console error and uncaught exception of the page; a test asserts it stays empty."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


@pytest.fixture
def screenshot():
    """Save a full-page screenshot of each page a browser test names: into build/screenshots/
    on every run (for looking at what a run saw), into docs/screenshots/ with
    KAM_SCREENSHOTS=1 (to refresh the documentation's pictures)."""
    root = Path(__file__).resolve().parents[2]
    docs = os.environ.get("KAM_SCREENSHOTS") == "1"
    folder = root / "docs" / "screenshots" if docs else root / "build" / "screenshots"

    def take(page, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    return take
