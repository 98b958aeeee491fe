"""Content pages in a real browser: no sideways scroll, axe-clean, at 360 and 1280 px."""

import pytest

from tests.browser.conftest import check_page
from tests.certguide.conftest import PUBLIC_PAGES

NAMES = {
    "/": "content-home",
    "/certifications/csm/": "content-csm",
    "/certifications/cspo/": "content-cspo",
    "/compare/": "content-compare",
    "/choose/": "content-choose",
}


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_content_page_fits_and_is_accessible_at_both_widths(page, live_server, axe, path):
    page.goto(f"{live_server.url}{path}?utm_source=newsletter")

    assert page.locator("h1").count() == 1
    check_page(page, axe, NAMES[path])


def test_comparison_table_stacks_on_a_phone_and_spreads_out_on_a_desktop(page, live_server):
    page.goto(f"{live_server.url}/compare/")
    cell = page.locator(".compare-table td").first

    page.set_viewport_size({"width": 360, "height": 800})
    phone_label = page.evaluate(
        "getComputedStyle(document.querySelector('.compare-table td'), '::before').content"
    )
    phone_display = cell.evaluate("td => getComputedStyle(td).display")
    page.set_viewport_size({"width": 1280, "height": 800})
    desktop_display = cell.evaluate("td => getComputedStyle(td).display")

    assert phone_display == "block"
    assert phone_label == '"CSM"'
    assert desktop_display == "table-cell"
    assert page.get_by_role("table", name="Key differences between").count() == 1


def _table_in_accessibility_tree(page) -> dict[str, list[str]]:
    """The table as Chromium's accessibility tree, which screen readers read, presents it:
    role -> names, for the table roles only."""
    session = page.context.new_cdp_session(page)
    roles: dict[str, list[str]] = {}
    for node in session.send("Accessibility.getFullAXTree")["nodes"]:
        role = node.get("role", {}).get("value")
        if role in ("table", "row", "columnheader", "rowheader", "cell"):
            roles.setdefault(role, []).append(node.get("name", {}).get("value", ""))
    return roles


def test_comparison_table_stays_a_table_for_screen_readers_when_stacked(page, live_server):
    """Without ARIA roles (the Nu checker rejects them inside a plain table), the stacked
    phone layout still reaches a screen reader as a table: rows, row headers and cells."""
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{live_server.url}/compare/")

    roles = _table_in_accessibility_tree(page)

    assert len(roles["table"]) == 1
    assert roles["rowheader"] == [
        "Focus",
        "Primary role",
        "Key skills",
        "Main goal",
        "Target audience",
    ]
    assert len(roles["columnheader"]) == 3
    assert len(roles["cell"]) == 10
