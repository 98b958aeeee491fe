"""Journey: an operator adds a webhook endpoint in the admin, sends a test event, and a
marketer sees it delivered in the delivery log."""

import re

from django.contrib.auth.models import Group, User

from tests.browser.conftest import assert_accessible, screenshot
from tests.integrations.conftest import start_server, verified

PASSWORD = "a-long-test-password"


def log_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_add_an_endpoint_send_a_test_event_and_see_it_delivered(page, live_server, axe):
    receiver = start_server()
    try:
        User.objects.create_superuser("operator", password=PASSWORD)
        marketer = User.objects.create_user("marketer", password=PASSWORD, is_staff=True)
        marketer.groups.add(Group.objects.get(name="Marketing"))

        log_in(page, live_server, "operator")
        page.get_by_role("link", name="Endpoints").click()
        page.get_by_role("link", name=re.compile("Add endpoint", re.I)).click()
        page.get_by_label("URL").fill(receiver.url + "/hooks")
        page.get_by_label("Description").fill("Our CRM")
        page.get_by_label("lead.confirmed").check()
        page.get_by_role("button", name="Save", exact=True).click()

        secret = page.get_by_label("Secret").input_value()
        assert secret.startswith("whsec_")
        assert "shown only this once" in page.locator("#content").inner_text()
        assert_accessible(axe, page, "the endpoint's secret")
        screenshot(page, "admin-webhook-secret")

        breadcrumbs = page.get_by_role("navigation", name="Breadcrumbs")
        breadcrumbs.get_by_role("link", name="Endpoints").click()
        page.get_by_role("row", name=re.compile("hooks")).get_by_role("checkbox").check()
        page.get_by_label("Action:").select_option(label="Send a test event")
        page.get_by_role("button", name="Run").click()
        assert "Test event queued" in page.locator(".messagelist").inner_text()

        body = verified(receiver.seen[0], secret)
        assert body["type"] == "test"

        page.get_by_role("button", name="Log out").click()
        log_in(page, live_server, "marketer")
        page.get_by_role("link", name="Deliveries").click()
        page.get_by_role("link", name="Delivered").click()
        page.wait_for_url(re.compile(r"status__exact=delivered"))
        row = page.locator("#result_list tbody tr")
        assert row.count() == 1
        assert re.search(r"test\s+Our CRM\s+Delivered\s+1\s+200", row.inner_text())
        screenshot(page, "admin-delivery-log")
    finally:
        receiver.httpd.shutdown()
        receiver.httpd.server_close()
