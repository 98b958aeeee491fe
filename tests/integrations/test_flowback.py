"""Unsubscribes made in an email service flow back and unsubscribe the lead here."""

import json

import pytest
from django.urls import reverse

from integrations.models import Delivery
from leads.models import Lead
from tests.integrations.conftest import csrf_client, make_connection, make_endpoint
from tests.leads.conftest import make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def inbound(connection) -> str:
    return reverse("integrations:inbound", args=[connection.inbound_token])


def unsubscribe_body(kind: str, email: str) -> dict:
    if kind == "mailchimp":
        return {"data": {"type": "unsubscribe", "data[email]": email, "data[list_id]": "aud1"}}
    if kind == "brevo":
        body = {"event": "unsubscribe", "email": email, "list_id": [7]}
    else:
        body = {"subscriber": {"id": 3001, "email_address": email, "state": "cancelled"}}
    return {"data": json.dumps(body), "content_type": "application/json"}


@pytest.mark.parametrize("kind", ["mailchimp", "brevo", "kit"])
def test_an_unsubscribe_in_the_service_unsubscribes_the_lead_and_is_not_echoed_back(
    kind, server_factory, commits
):
    vendor, other_vendor, receiver = server_factory(), server_factory(), server_factory()
    connection = make_connection(kind, vendor.url, list_id="7")
    other = make_connection("kit", other_vendor.url, list_id="")
    make_endpoint(receiver.url, ["lead.unsubscribed"])
    lead = make_lead(email="Ada@example.com", status=Lead.Status.CONFIRMED)

    with commits():
        response = csrf_client().post(
            inbound(connection), **unsubscribe_body(kind, "ada@EXAMPLE.com")
        )

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.status == Lead.Status.UNSUBSCRIBED
    targets = set(Delivery.objects.values_list("endpoint_id", "connection_id"))
    assert (None, connection.pk) not in targets
    assert (None, other.pk) in targets
    assert vendor.seen == []
    assert [json.loads(s.body)["type"] for s in receiver.seen] == ["lead.unsubscribed"]


def test_mailchimp_checks_the_url_with_a_get(server):
    connection = make_connection("mailchimp", server.url, list_id="aud1")
    assert csrf_client().get(inbound(connection)).status_code == 200


def test_a_wrong_token_is_not_found_and_changes_nothing(server):
    make_connection("brevo", server.url)
    lead = make_lead(status=Lead.Status.CONFIRMED)
    response = csrf_client().post(
        "/integrations/inbound/not-the-token/", **unsubscribe_body("brevo", lead.email)
    )
    assert response.status_code == 404
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONFIRMED


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("brevo", {"data": "not json", "content_type": "application/json"}),
        ("kit", {"data": "[1, 2]", "content_type": "application/json"}),
        ("brevo", unsubscribe_body("brevo", "bad\x00address@example.com")),
    ],
)
def test_a_body_that_is_not_the_services_webhook_is_a_400(server, kind, body):
    connection = make_connection(kind, server.url)
    lead = make_lead(status=Lead.Status.CONFIRMED)
    response = csrf_client().post(inbound(connection), **body)
    assert response.status_code == 400
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONFIRMED


def test_an_unknown_address_or_another_event_answers_ok_and_changes_nothing(server):
    connection = make_connection("brevo", server.url)
    lead = make_lead(status=Lead.Status.CONFIRMED)
    unknown = csrf_client().post(inbound(connection), **unsubscribe_body("brevo", "x@example.com"))
    other = csrf_client().post(
        inbound(connection),
        data=json.dumps({"event": "opened", "email": lead.email}),
        content_type="application/json",
    )
    assert (unknown.status_code, other.status_code) == (200, 200)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONFIRMED


def test_an_inactive_connection_receives_nothing(server):
    connection = make_connection("kit", server.url, is_active=False)
    lead = make_lead(status=Lead.Status.CONFIRMED)
    response = csrf_client().post(inbound(connection), **unsubscribe_body("kit", lead.email))
    assert response.status_code == 404
