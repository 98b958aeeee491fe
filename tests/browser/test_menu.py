"""The site header in a real browser: one row and a <details> menu on phones, today's
header on wide screens; by keyboard, with and without JavaScript."""

import pytest

from tests.browser.conftest import tab_to

PHONE_WIDTHS = [360, 390]


def menu_state(page) -> bool | None:
    """Whether the menu toggle is announced as expanded, from Chromium's accessibility
    tree (what a screen reader is given); None when the toggle is not exposed at all."""
    cdp = page.context.new_cdp_session(page)
    try:
        for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
            if node.get("ignored") or node.get("role", {}).get("value") != "DisclosureTriangle":
                continue
            props = {p["name"]: p["value"].get("value") for p in node.get("properties", [])}
            return props.get("expanded")
        return None
    finally:
        cdp.detach()


def nav_link(page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_phone_header_is_one_row_with_the_links_behind_the_menu(page, live_server, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live_server.url + "/")

    header = page.locator(".site-header").bounding_box()
    brand = page.locator(".site-brand").bounding_box()
    toggle = page.locator(".site-menu__toggle").bounding_box()
    assert header["height"] <= 64
    # Brand and toggle side by side on the one row.
    assert abs((brand["y"] + brand["height"] / 2) - (toggle["y"] + toggle["height"] / 2)) < 8
    assert not nav_link(page, "Compare").is_visible()
    assert menu_state(page) is False


def test_menu_opens_by_keyboard_announces_its_state_and_a_followed_link_closes_it(
    page, live_server
):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(live_server.url + "/")

    tab_to(page, "Menu")
    page.keyboard.press("Enter")

    assert menu_state(page) is True
    assert nav_link(page, "Compare").is_visible()
    # The links follow the toggle in the tab order.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "CSM"
    tab_to(page, "Compare", limit=5)
    page.keyboard.press("Enter")

    page.wait_for_url(live_server.url + "/compare/")
    assert menu_state(page) is False
    assert not nav_link(page, "Compare").is_visible()
    # Space toggles it too, as on any button.
    tab_to(page, "Menu")
    page.keyboard.press("Space")
    assert menu_state(page) is True
    page.keyboard.press("Space")
    assert menu_state(page) is False


def test_escape_and_a_click_outside_close_the_menu(page, live_server):
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(live_server.url + "/")
    tab_to(page, "Menu")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")

    page.keyboard.press("Escape")

    assert menu_state(page) is False
    assert page.evaluate("document.activeElement.textContent.trim()") == "Menu"
    page.locator(".site-menu__toggle").click()
    assert menu_state(page) is True
    page.locator(".site-footer p").first.click()  # plain text, away from the menu
    assert menu_state(page) is False


def test_menu_works_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        assert not nav_link(page, "Take the quiz").is_visible()

        tab_to(page, "Menu")
        page.keyboard.press("Enter")
        assert menu_state(page) is True
        nav_link(page, "Take the quiz").click()

        page.wait_for_url(live_server.url + "/wizard/")
        assert menu_state(page) is False
        assert page.locator("h1").is_visible()
    finally:
        context.close()


def test_wide_screens_show_every_link_in_one_row_without_a_toggle(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + "/")

    assert not page.locator(".site-menu__toggle").is_visible()
    assert menu_state(page) is None
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    tops = {round(links.nth(i).bounding_box()["y"]) for i in range(links.count())}
    assert links.count() == 6
    assert len(tops) == 1
    assert page.locator(".site-header").bounding_box()["height"] <= 72
    # Straight from the skip link to the first nav link, no toggle in between.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "CSM"


def test_the_german_header_also_fits_one_row_on_wide_screens(page, live_server):
    """German labels are longer: the nav and the language switcher still share one row."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + "/de/")

    links = page.locator(".site-header a")
    boxes = [links.nth(i).bounding_box() for i in range(links.count())]
    middles = [box["y"] + box["height"] / 2 for box in boxes]
    assert links.count() == 9  # brand, six in the nav, two languages
    assert max(middles) - min(middles) < 8
    assert page.locator(".site-header").bounding_box()["height"] <= 72
