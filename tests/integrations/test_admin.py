"""The admin: endpoints (secret shown once, test event), connections (write-only API keys),
the delivery log (filters, replay) and who may do what."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.urls import reverse

from integrations.models import Connection, Delivery, Endpoint
from tests.integrations.conftest import confirm_lead, make_connection, make_endpoint

pytestmark = pytest.mark.django_db

ENDPOINTS = reverse("admin:integrations_endpoint_changelist")
DELIVERIES = reverse("admin:integrations_delivery_changelist")


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("boss", password="pw"))
    return client


@pytest.fixture
def marketer_client(client):
    user = User.objects.create_user("marketer", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Marketing"))
    client.force_login(user)
    return client


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_adding_an_endpoint_shows_its_secret_once_and_stores_it_encrypted(admin_client, server):
    response = admin_client.post(
        reverse("admin:integrations_endpoint_add"),
        {
            "url": server.url + "/hook",
            "description": "CRM",
            "events": ["lead.confirmed"],
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("whsec_")
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]

    endpoint = Endpoint.objects.get()
    assert endpoint.secret == secret
    assert secret not in endpoint.secret_encrypted
    change = admin_client.get(reverse("admin:integrations_endpoint_change", args=[endpoint.pk]))
    assert secret not in change.content.decode()


def test_rotating_shows_the_new_secret_once(admin_client, server):
    endpoint, old = make_endpoint(server.url)
    response = admin_client.post(
        ENDPOINTS, {"action": "rotate_secret", "_selected_action": [endpoint.pk]}
    )
    new = response.context["secret"]
    assert new != old
    assert "keeps signing beside this one for 24 hours" in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.signing_secrets() == [new, old]


def test_sending_a_test_event_shows_it_delivered_in_the_log(admin_client, server, commits):
    endpoint, secret = make_endpoint(server.url)
    with commits():
        response = admin_client.post(
            ENDPOINTS, {"action": "send_test_event", "_selected_action": [endpoint.pk]}, follow=True
        )
    assert "Test event queued for 1 endpoint(s)" in response.content.decode()
    from tests.integrations.conftest import verified

    assert verified(server.seen[0], secret)["type"] == "test"
    log = admin_client.get(DELIVERIES, {"status__exact": "delivered"}).content.decode()
    assert "test" in log
    assert "Delivered" in log


def test_an_endpoint_disabled_by_a_410_says_so_in_the_list(admin_client, server, commits):
    server.queued = [(410, {}, b"")]
    make_endpoint(server.url)
    with commits():
        confirm_lead("ada@example.com")
    page = admin_client.get(ENDPOINTS).content.decode()
    assert "the endpoint answered 410 Gone" in page


def test_the_delivery_log_filters_by_status_and_replays(admin_client, server, commits):
    server.queued = [(500, {}, b"")]
    make_endpoint(server.url)
    with commits():
        confirm_lead("ada@example.com")
        confirm_lead("bob@example.com")
    pending = admin_client.get(DELIVERIES, {"status__exact": "pending"})
    assert len(pending.context["cl"].result_list) == 1
    assert "HTTP 500" in pending.content.decode()

    delivered = Delivery.objects.get(status="delivered")
    with commits():
        response = admin_client.post(
            DELIVERIES, {"action": "replay", "_selected_action": [delivered.pk]}, follow=True
        )
    assert "Replaying 1 delivery." in response.content.decode()
    assert server.seen[-1].headers["webhook-id"] == delivered.webhook_id


def test_a_marketer_sees_the_log_and_endpoints_but_cannot_add_or_change_endpoints(
    marketer_client, server, commits
):
    endpoint, _ = make_endpoint(server.url)
    with commits():
        confirm_lead("ada@example.com")
    delivery = Delivery.objects.get()

    assert marketer_client.get(DELIVERIES).status_code == 200
    assert marketer_client.get(ENDPOINTS).status_code == 200
    assert marketer_client.get(reverse("admin:integrations_endpoint_add")).status_code == 403
    change = reverse("admin:integrations_endpoint_change", args=[endpoint.pk])
    marketer_client.post(change, {"url": "http://127.0.0.1:1/evil", "events": ["lead.confirmed"]})
    endpoint.refresh_from_db()
    assert endpoint.url == server.url
    # Test events and rotation need the change permission; the marketer's list lacks them.
    assert marketer_client.get(ENDPOINTS).context["action_form"] is None

    with commits():
        marketer_client.post(DELIVERIES, {"action": "replay", "_selected_action": [delivery.pk]})
    assert len(server.seen) == 2
    detail = reverse("admin:integrations_delivery_change", args=[delivery.pk])
    assert marketer_client.get(detail).status_code == 200


def test_a_marketer_adds_a_connection_whose_api_key_is_write_only(marketer_client, server):
    add = reverse("admin:integrations_connection_add")
    form = {
        "name": "Newsletter",
        "kind": "mailchimp",
        "list_id": "aud1",
        "tag_mapping": "{}",
        "is_active": "on",
        "api_key": "abc123secretkey-us21",
        "api_base_url": "",
    }
    assert marketer_client.post(add, form).status_code == 302
    connection = Connection.objects.get()
    assert connection.api_key == "abc123secretkey-us21"
    assert "abc123secretkey" not in connection.api_key_encrypted

    change = reverse("admin:integrations_connection_change", args=[connection.pk])
    page = marketer_client.get(change).content.decode()
    assert "abc123secretkey" not in page
    assert connection.inbound_token in page  # The flow-back URL to give the service.

    # Saving without a key keeps the stored one; nothing about it reaches the history.
    assert marketer_client.post(change, form | {"api_key": "", "name": "News"}).status_code == 302
    connection.refresh_from_db()
    assert (connection.name, connection.api_key) == ("News", "abc123secretkey-us21")
    history = " ".join(str(e.get_change_message()) for e in LogEntry.objects.all())
    assert "abc123secretkey" not in history


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"api_key": ""}, "api_key", "Enter the email service's API key."),
        ({"kind": "brevo", "list_id": "main"}, "list_id", "Brevo lists are numbered"),
        ({"api_base_url": "http://10.0.0.1/"}, "api_base_url", "https://"),
    ],
)
def test_a_bad_connection_gets_a_clear_message_and_saves_nothing(
    admin_client, settings, changes, field, message
):
    settings.INTEGRATIONS_ALLOW_PRIVATE = False
    form = {
        "name": "N",
        "kind": "mailchimp",
        "list_id": "aud1",
        "tag_mapping": "{}",
        "api_key": "k",
        "api_base_url": "",
    } | changes
    response = admin_client.post(reverse("admin:integrations_connection_add"), form)
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])
    assert not Connection.objects.exists()


def test_an_unsafe_endpoint_url_is_refused_in_the_admin(admin_client, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE = False
    response = admin_client.post(
        reverse("admin:integrations_endpoint_add"),
        {"url": "https://169.254.169.254/", "events": ["lead.confirmed"]},
    )
    assert "private or local address" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_deliveries_cannot_be_added_changed_or_deleted_by_anyone(admin_client, server, commits):
    make_connection("kit", server.url)
    assert admin_client.get(reverse("admin:integrations_delivery_add")).status_code == 403
    with commits():
        confirm_lead("ada@example.com")
    delivery = Delivery.objects.get()
    delete = reverse("admin:integrations_delivery_delete", args=[delivery.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Delivery.objects.exists()
