"""Real-browser fixtures: the system Chromium driven by Playwright against live_server.

Without a Chromium these tests skip with a plain message; with
CERTGUIDE_REQUIRE_BROWSER=1 (set by .ci/run) a missing browser is a failure instead.
"""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself (fixtures, assertions) would otherwise refuse to run beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("CERTGUIDE_REQUIRE_BROWSER") == "1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
WIDTHS = {"narrow": 360, "wide": 1280}
# Screenshots also at a common phone width; axe runs at the two WIDTHS.
SCREENSHOT_WIDTHS = [360, 390, 1280]
COLOUR_SCHEMES = ["light", "dark"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" not in str(item.path).replace(os.sep, "/"):
            continue
        # Every browser test uses live_server, which tests/conftest.py turns into a
        # transactional test with serialized rollback.
        item.add_marker(pytest.mark.browser)
        if not CHROMIUM and not REQUIRED:
            item.add_marker(pytest.mark.skip(reason="no Chromium found: browser tests skipped"))


def pytest_report_header(config):
    if CHROMIUM:
        return f"browser tests: Chromium at {CHROMIUM}"
    if REQUIRED:
        return "browser tests: REQUIRED but no Chromium found: they will fail"
    return "browser tests: no Chromium found, so they are skipped (apt-get install chromium)"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


class PageProblems:
    """Console errors and CSP violations a page reported while the test drove it."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        # Documents a test loads on purpose with an error status (the 404 page).
        self.expected_error_documents: set[str] = set()

    def console(self, message) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if message.text.startswith("Failed to load resource") and url in (
            self.expected_error_documents
        ):
            return
        self.messages.append(f"console error: {message.text} ({url})")

    def page_error(self, error) -> None:
        self.messages.append(f"page error: {error}")


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(page, problems: PageProblems, live_server) -> Iterator:
    """A page that fails the test on any console error or CSP violation it reports."""
    page.on("console", problems.console)
    page.on("pageerror", problems.page_error)
    page.set_default_timeout(10_000)
    yield page
    assert problems.messages == [], "\n".join(problems.messages)


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


def assert_accessible(axe: Axe, page, label: str) -> None:
    """Run axe-core on the page for WCAG 2.2 AA and fail with a readable list."""
    results = axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    violations = results.response["violations"]
    summary = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
        for v in violations
    )
    assert not violations, f"axe violations on {label}:\n{summary}"


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def check_page(page, axe: Axe, name: str) -> None:
    """In both colour schemes and at each width: no horizontal overflow, axe-clean (at
    360 and 1280 px), and a screenshot named ``{name}-{scheme}-{width}``."""
    try:
        for scheme in COLOUR_SCHEMES:
            page.emulate_media(color_scheme=scheme)
            # Buttons fade between colours when the scheme changes: axe must not measure
            # a colour halfway through.
            page.evaluate("Promise.all(document.getAnimations().map((a) => a.finished))")
            for width in SCREENSHOT_WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, f"{name} scrolls sideways at {width}px by {overflow}px"
                if width in WIDTHS.values():
                    assert_accessible(axe, page, f"{name} at {width}px, {scheme}")
                screenshot(page, f"{name}-{scheme}-{width}")
    finally:
        page.emulate_media(color_scheme="light")


# --- keyboard and quiz helpers shared by the journeys ---------------------------------

STEP = re.compile(r"/wizard/[0-9a-f-]{36}/step/(\d+)/$")
RESULT = re.compile(r"/wizard/result/[0-9a-f-]{36}/$")


def step(number: int) -> re.Pattern:
    return re.compile(rf"/wizard/[0-9a-f-]{{36}}/step/{number}/$")


def tab_to(page, text: str = "", *, element_id: str = "", limit: int = 60) -> None:
    """Press Tab until the focused element reads ``text`` (or has ``element_id``), as a
    keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "[document.activeElement.id, (document.activeElement.textContent || '').trim()]"
        )
        if (element_id and focused[0] == element_id) or (text and focused[1] == text):
            return
    raise AssertionError(f"never reached {text or element_id!r} with Tab")


def answer_by_keyboard(page) -> None:
    """From the focused question, Tab to its first answer, tick it with Space (unless it
    is ticked already) and submit with Enter."""
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") in ("radio", "checkbox")
    if not page.evaluate("document.activeElement.checked"):
        page.keyboard.press("Space")
    page.keyboard.press("Enter")
