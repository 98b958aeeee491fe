"""The three email services, faked from their API documentation on 127.0.0.1: the request
shapes each connector sends, unsubscribe and erase, and errors that are not retried."""

import base64
import hashlib
import json

import pytest

from certguide.campaign import Tracking
from integrations.models import Delivery, RemoteContact
from integrations.services import deliveries_retry
from leads.models import Lead
from leads.services import lead_confirm, lead_subscribe, lead_unsubscribe, leads_erase
from tests.conftest import make_attempt
from tests.integrations.conftest import make_connection

pytestmark = pytest.mark.django_db

MEMBER = hashlib.md5(b"ada@example.com", usedforsecurity=False).hexdigest()


def as_json(status: int, body: dict | None = None) -> tuple[int, dict, bytes]:
    payload = json.dumps(body).encode() if body is not None else b""
    return status, {"Content-Type": "application/json"}, payload


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def confirm(commits, email="Ada@Example.com", **fields) -> Lead:
    with commits():
        lead = lead_subscribe(
            email=email,
            first_name="Ada",
            consent_version="2026-11",
            tracking=Tracking(placement="home-hero"),
            attempt=make_attempt(),
            **fields,
        )
        return lead_confirm(lead=lead)


def requests(server) -> list[tuple[str, str]]:
    return [(s.method, s.path) for s in server.seen]


# --- Mailchimp -------------------------------------------------------------------


def test_mailchimp_upserts_the_member_by_hash_with_fname_and_tags(server, commits):
    make_connection("mailchimp", server.url, list_id="aud1", tag_mapping={"CSPO": "po-lead"})
    confirm(commits)

    members = "/lists/aud1/members"
    assert requests(server) == [
        ("PUT", f"{members}/{MEMBER}"),
        ("POST", f"{members}/{MEMBER}/tags"),
    ]
    put, tags = server.seen
    _user, key = base64.b64decode(put.headers["authorization"].split()[1]).decode().split(":")
    assert key == "key-123-us9"
    assert put.json() == {
        "email_address": "Ada@example.com",
        "status_if_new": "subscribed",
        "status": "subscribed",
        "merge_fields": {"FNAME": "Ada"},
    }
    assert tags.json() == {
        "tags": [{"name": "po-lead", "status": "active"}, {"name": "home-hero", "status": "active"}]
    }
    assert Delivery.objects.get().status == "delivered"


def test_mailchimp_unsubscribe_and_erase(server, commits):
    make_connection("mailchimp", server.url, list_id="aud1")
    lead = confirm(commits)
    with commits():
        lead_unsubscribe(lead=lead)
    with commits():
        leads_erase(leads=Lead.objects.all())

    members = "/lists/aud1/members"
    assert requests(server)[-2:] == [
        ("PATCH", f"{members}/{MEMBER}"),
        ("POST", f"{members}/{MEMBER}/actions/delete-permanent"),
    ]
    assert server.seen[-2].json() == {"status": "unsubscribed"}
    assert not RemoteContact.objects.exists()


@pytest.mark.parametrize("title", ["Member In Compliance State", "Forgotten Email Not Subscribed"])
def test_mailchimp_errors_retrying_cannot_fix_fail_with_the_vendors_message(server, commits, title):
    server.respond = lambda seen: as_json(
        400, {"title": title, "status": 400, "detail": "The member cannot be re-subscribed."}
    )
    make_connection("mailchimp", server.url, list_id="aud1")
    confirm(commits)

    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert title in delivery.last_error
    assert delivery.last_status_code == 400
    assert delivery.next_attempt_at is None
    assert len(server.seen) == 1


def test_vendor_rate_limit_is_retried_after_its_retry_after(server, commits):
    status, headers, body = as_json(429, {"title": "Too Many Requests"})
    server.queued = [(status, headers | {"Retry-After": "120"}, body)]
    make_connection("mailchimp", server.url, list_id="aud1")
    confirm(commits)

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("pending", 429)
    deliveries_retry(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == "delivered"


# --- Brevo -----------------------------------------------------------------------


def brevo_fake(contacts: dict):
    def respond(seen):
        if seen.headers.get("api-key") != "key-123-us9":
            return as_json(401, {"code": "unauthorized", "message": "Key not found"})
        if (seen.method, seen.path) == ("POST", "/contacts"):
            body = seen.json()
            if body["email"] in contacts:
                contacts[body["email"]].update(body)
                return 204, {}, b""
            contacts[body["email"]] = body | {"id": 41 + len(contacts)}
            return as_json(201, {"id": contacts[body["email"]]["id"]})
        if seen.method == "GET" and seen.path.startswith("/contacts/"):
            email = seen.path.removeprefix("/contacts/").replace("%40", "@")
            return as_json(200, {"id": contacts[email]["id"], "email": email})
        if seen.method in ("PUT", "DELETE"):
            return 204, {}, b""
        return as_json(404, {"code": "document_not_found", "message": "No route"})

    return respond


def test_brevo_upserts_into_the_list_with_attributes_then_unsubscribes_and_deletes(server, commits):
    contacts: dict = {}
    server.respond = brevo_fake(contacts)
    make_connection("brevo", server.url, list_id="7")
    lead = confirm(commits)
    with commits():
        changed = lead_subscribe(
            email="ada@example.com", first_name="Adele", consent_version="2026-11"
        )
        # The new name counts once the owner confirms it through the mailed link.
        lead_confirm(lead=changed)

    assert contacts["Ada@example.com"]["listIds"] == [7]
    assert contacts["Ada@example.com"]["attributes"] == {
        "FIRSTNAME": "Adele",
        "TAGS": "CSPO,home-hero",
    }
    assert contacts["Ada@example.com"]["updateEnabled"] is True
    # The update answered 204 without an id, so the id was looked up.
    assert ("GET", "/contacts/Ada%40example.com") in requests(server)

    with commits():
        lead_unsubscribe(lead=lead)
    with commits():
        leads_erase(leads=Lead.objects.all())
    assert requests(server)[-2:] == [
        ("PUT", "/contacts/Ada%40example.com"),
        ("DELETE", "/contacts/41"),
    ]
    assert server.seen[-2].json() == {"emailBlacklisted": True}
    assert server.seen[-1].query == {"identifierType": ["contact_id"]}
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_brevo_refusing_the_key_fails_without_retry(server, commits):
    server.respond = lambda seen: as_json(401, {"code": "unauthorized", "message": "Key not found"})
    make_connection("brevo", server.url, list_id="7")
    confirm(commits)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_error) == (
        "failed",
        "HTTP 401: Key not found: unauthorized",
    )


# --- Kit -------------------------------------------------------------------------


def kit_fake(state: dict):
    def respond(seen):
        if seen.headers.get("x-kit-api-key") != "key-123-us9":
            return as_json(401, {"errors": ["The access token is invalid"]})
        if (seen.method, seen.path) == ("POST", "/subscribers"):
            state["subscriber"] = seen.json()
            return as_json(201, {"subscriber": {"id": 3001, **seen.json(), "state": "active"}})
        if (seen.method, seen.path) == ("POST", "/tags"):
            tag_id = 500 + len(state.setdefault("tags", {}))
            state["tags"].setdefault(seen.json()["name"], tag_id)
            return as_json(201, {"tag": {"id": state["tags"][seen.json()["name"]]}})
        if seen.method == "POST" and seen.path.startswith(("/tags/", "/forms/")):
            return as_json(201, {"subscriber": {"id": 3001}})
        if (seen.method, seen.path) == ("POST", "/subscribers/3001/unsubscribe"):
            return 204, {}, b""
        return as_json(404, {"errors": ["Not Found"]})

    return respond


def test_kit_upserts_the_subscriber_tags_it_and_unsubscribes_on_unsubscribe_and_erase(
    server, commits
):
    state: dict = {}
    server.respond = kit_fake(state)
    make_connection("kit", server.url, list_id="")
    lead = confirm(commits)

    assert state["subscriber"] == {"email_address": "Ada@example.com", "first_name": "Ada"}
    assert requests(server) == [
        ("POST", "/subscribers"),
        ("POST", "/tags"),
        ("POST", "/tags/500/subscribers/3001"),
        ("POST", "/tags"),
        ("POST", "/tags/501/subscribers/3001"),
    ]
    with commits():
        lead_unsubscribe(lead=lead)
    with commits():
        leads_erase(leads=Lead.objects.all())
    assert requests(server)[-2:] == [("POST", "/subscribers/3001/unsubscribe")] * 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_the_api_key_never_appears_in_the_delivery_log_or_the_logs(server, commits, caplog):
    server.respond = lambda seen: as_json(500, {"errors": ["boom"]})
    make_connection("kit", server.url, list_id="")
    confirm(commits)
    delivery = Delivery.objects.get()
    assert delivery.status == "pending"
    assert "key-123" not in delivery.last_error
    assert "key-123" not in caplog.text


def test_an_answer_not_shaped_as_documented_is_retried_and_strands_nothing(server_factory, commits):
    broken, receiver = server_factory(), server_factory()
    broken.respond = lambda seen: (200, {"Content-Type": "text/html"}, b"<h1>proxy</h1>")
    make_connection("kit", broken.url, list_id="")
    from tests.integrations.conftest import make_endpoint

    make_endpoint(receiver.url)
    confirm(commits)

    statuses = dict(Delivery.objects.values_list("connection_id", "status"))
    assert statuses == {
        None: "delivered",
        Delivery.objects.get(connection__isnull=False).connection_id: "pending",
    }
    assert (
        Delivery.objects.get(connection__isnull=False).last_error
        == "Unexpected answer: JSONDecodeError"
    )
