"""Signed webhooks to a real receiver on 127.0.0.1: delivery, retries, faults, replay."""

import json
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core import serializers
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from jsonschema import Draft202012Validator

from certguide.campaign import Tracking
from integrations.models import Delivery, Endpoint, Event, RemoteContact
from integrations.payloads import email_digest
from integrations.services import (
    deliveries_retry,
    delivery_attempt,
    delivery_replay,
    endpoint_rotate_secret,
)
from leads.models import Lead
from leads.services import lead_confirm, lead_subscribe, lead_unsubscribe, leads_erase
from tests.conftest import make_attempt
from tests.integrations.conftest import (
    csrf_client,
    make_endpoint,
    sign_up_and_confirm,
    verified,
    verifies,
)
from tests.integrations.test_schemas import documented_schemas

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (the delivery tasks) as a real commit would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def confirmed_lead(run_commits, email="ada@example.com", **fields) -> Lead:
    with run_commits():
        lead = lead_subscribe(email=email, consent_version="2026-11", **fields)
        return lead_confirm(lead=lead)


def test_two_visitors_confirmed_on_the_site_arrive_signed_each_with_their_own_data(
    server, settings, run_commits
):
    settings.SIGNUP_RATE_LIMIT = "100/m"
    _endpoint, secret = make_endpoint(server.url + "/hooks")
    ada, bob = csrf_client(), csrf_client()

    with run_commits():
        sign_up_and_confirm(ada, "ada@example.com", "Ada")
    with run_commits():
        sign_up_and_confirm(bob, "bob@example.com", "Bob")

    bodies = [verified(seen, secret) for seen in server.seen]
    assert [(b["type"], b["data"]["email"], b["data"]["first_name"]) for b in bodies] == [
        ("lead.confirmed", "ada@example.com", "Ada"),
        ("lead.confirmed", "bob@example.com", "Bob"),
    ]
    assert server.seen[0].path == "/hooks"
    assert server.seen[0].headers["webhook-id"] != server.seen[1].headers["webhook-id"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_wrong_secret_fails_the_official_verifier(server, run_commits):
    make_endpoint(server.url)
    confirmed_lead(run_commits)
    assert not verifies(server.seen[0], "whsec_" + "A" * 32)


def test_the_payload_carries_the_result_tracking_and_consent(server, run_commits):
    _, secret = make_endpoint(server.url)
    attempt = make_attempt()
    confirmed_lead(
        run_commits, attempt=attempt, tracking=Tracking(placement="home-hero", utm_source="news")
    )

    body = verified(server.seen[0], secret)
    data = body["data"]
    assert body["id"].startswith("evt_")
    assert body["timestamp"].endswith("Z")
    assert (data["outcome"], data["csm_score"], data["cspo_score"]) == ("CSPO", 35, 80)
    assert data["reasons"] == ["You are energised by deciding what the product should be."]
    assert (data["placement"], data["utm_source"], data["consent_version"]) == (
        "home-hero",
        "news",
        "2026-11",
    )
    assert data["result_url"] == f"http://testserver/wizard/result/{attempt.pk}/"
    assert data["email_digest"] == email_digest("ada@example.com")


def test_pending_leads_are_never_sent(server, run_commits):
    make_endpoint(server.url, ["lead.confirmed", "lead.unsubscribed", "lead.erased"])
    with run_commits():
        lead = lead_subscribe(email="ada@example.com", consent_version="2026-11")
        lead_unsubscribe(lead=lead)
    with run_commits():
        leads_erase(leads=Lead.objects.all())

    assert server.seen == []
    assert not Event.objects.exists()


def test_an_endpoint_gets_only_the_events_it_chose(server, run_commits):
    make_endpoint(server.url, ["lead.unsubscribed"])
    lead = confirmed_lead(run_commits)
    assert server.seen == []
    with run_commits():
        lead_unsubscribe(lead=lead)
    assert [s.json()["type"] for s in server.seen] == ["lead.unsubscribed"]


def test_a_500_is_retried_with_the_same_webhook_id_then_delivered(server, run_commits):
    server.queued = [(500, {}, b"oops")]
    _, secret = make_endpoint(server.url)
    confirmed_lead(run_commits)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at > timezone.now()

    # Not due yet: nothing is sent.
    assert deliveries_retry() == {}
    deliveries_retry(now=delivery.next_attempt_at)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 2, "")
    ids = [s.headers["webhook-id"] for s in server.seen]
    assert ids == [delivery.webhook_id, delivery.webhook_id]
    assert all(verifies(s, secret) for s in server.seen)


def test_a_receiver_down_for_a_day_gets_every_event_once_per_webhook_id(
    server, settings, run_commits
):
    # A shortened "day": the receiver is down for the first four attempts of each event.
    settings.INTEGRATIONS_RETRY_SCHEDULE = [60, 600, 3600, 20000, 80000]
    assert sum(settings.INTEGRATIONS_RETRY_SCHEDULE[:4]) < 86400
    failures: dict[str, int] = {}

    def down_then_up(seen):
        webhook_id = seen.headers["webhook-id"]
        failures[webhook_id] = failures.get(webhook_id, 0) + 1
        return (503, {}, b"down") if failures[webhook_id] <= 4 else (200, {}, b"ok")

    server.respond = down_then_up
    make_endpoint(server.url)
    for n in range(3):
        confirmed_lead(run_commits, email=f"lead{n}@example.com")

    now = timezone.now()
    for _ in range(10):
        now += timedelta(hours=24)
        deliveries_retry(now=now)

    assert Delivery.objects.filter(status="delivered").count() == 3
    delivered_ids = {
        s.headers["webhook-id"] for s in server.seen if failures[s.headers["webhook-id"]] > 4
    }
    assert delivered_ids == set(Delivery.objects.values_list("webhook_id", flat=True))
    assert sorted({json.loads(s.body)["data"]["email"] for s in server.seen}) == [
        "lead0@example.com",
        "lead1@example.com",
        "lead2@example.com",
    ]


def test_the_schedule_spent_marks_the_delivery_failed(server, settings, run_commits):
    settings.INTEGRATIONS_RETRY_SCHEDULE = [1, 1]
    server.respond = lambda seen: (500, {}, b"")
    make_endpoint(server.url)
    confirmed_lead(run_commits)
    now = timezone.now()
    for _ in range(4):
        now += timedelta(seconds=10)
        deliveries_retry(now=now)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    assert len(server.seen) == 3


def test_the_default_schedule_spans_more_than_a_day():
    from django.conf import settings

    assert sum(settings.INTEGRATIONS_RETRY_SCHEDULE) >= 86400


def test_410_disables_the_endpoint_and_says_so(server, run_commits):
    server.queued = [(410, {}, b"gone")]
    endpoint, _ = make_endpoint(server.url)
    confirmed_lead(run_commits)
    confirmed_lead(run_commits, email="bob@example.com")

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "410 Gone" in endpoint.disabled_reason
    assert len(server.seen) == 1  # The second event is not even recorded for it.
    assert Delivery.objects.get().status == "failed"


def test_429_waits_at_least_retry_after(server, settings, run_commits):
    settings.INTEGRATIONS_RETRY_SCHEDULE = [1, 1, 1]
    server.queued = [(429, {"Retry-After": "7200"}, b"slow down")]
    make_endpoint(server.url)
    before = timezone.now()
    confirmed_lead(run_commits)
    delivery = Delivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.next_attempt_at >= before + timedelta(seconds=7200)
    deliveries_retry(now=before + timedelta(seconds=3600))
    assert len(server.seen) == 1


def test_connection_refused_is_recorded_and_retried(server_factory, run_commits):
    closed = server_factory()
    url = closed.url
    closed.httpd.shutdown()
    closed.httpd.server_close()
    make_endpoint(url)
    confirmed_lead(run_commits)
    delivery = Delivery.objects.get()
    assert delivery.status == "pending"
    assert "ConnectError" in delivery.last_error


def test_a_stalled_receiver_times_out_and_is_retried(server, settings, run_commits):
    settings.INTEGRATIONS_TIMEOUT = 0.3

    def stall(seen):
        server.release.wait(10)
        return 200, {}, b"late"

    server.respond = stall
    make_endpoint(server.url)
    confirmed_lead(run_commits)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_error) == ("pending", "Timed out after 0.3 s")


def test_while_a_secret_is_rotated_both_secrets_verify(server, run_commits):
    endpoint, old = make_endpoint(server.url)
    new = endpoint_rotate_secret(endpoint=endpoint)
    confirmed_lead(run_commits)

    seen = server.seen[0]
    assert len(seen.headers["webhook-signature"].split(" ")) == 2
    assert verifies(seen, old)
    assert verifies(seen, new)

    Endpoint.objects.update(previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
    confirmed_lead(run_commits, email="bob@example.com")
    assert verifies(server.seen[1], new)
    assert not verifies(server.seen[1], old)


def test_replay_resends_with_the_same_webhook_id(server, run_commits):
    _, secret = make_endpoint(server.url)
    confirmed_lead(run_commits)
    delivery = Delivery.objects.get()
    with run_commits():
        assert delivery_replay(delivery=delivery)
    assert [s.headers["webhook-id"] for s in server.seen] == [delivery.webhook_id] * 2
    assert verified(server.seen[1], secret) == verified(server.seen[0], secret)
    delivery.refresh_from_db()
    assert delivery.status == "delivered"


def test_a_delivery_is_attempted_once_even_if_two_workers_pick_it(server, run_commits):
    server.queued = [(500, {}, b"")]
    make_endpoint(server.url)
    confirmed_lead(run_commits)
    delivery = Delivery.objects.get()
    due = delivery.next_attempt_at
    assert delivery_attempt(delivery_id=delivery.pk, now=due) is not None
    assert delivery_attempt(delivery_id=delivery.pk, now=due) is None
    assert len(server.seen) == 2


def test_an_erase_leaves_no_address_in_any_delivery_log(server, server_factory, run_commits):
    vendor = server_factory()
    vendor.respond = lambda seen: (400, {}, b'{"detail": "ada@example.com is not allowed"}')
    from tests.integrations.conftest import make_connection

    make_connection("brevo", vendor.url)
    _, secret = make_endpoint(server.url, ["lead.confirmed", "lead.updated", "lead.erased"])
    server.queued = [(200, {}, b""), (500, {}, b"")]  # The update waits for a retry.
    lead = confirmed_lead(run_commits, first_name="Ada")
    with run_commits():
        changed = lead_subscribe(
            email="ada@example.com", consent_version="2026-11", first_name="Adele"
        )
        # The new name counts once the owner confirms it through the mailed link.
        lead_confirm(lead=changed)
    assert "ada@example.com" in Delivery.objects.filter(connection__isnull=False).first().last_error
    lead_id = lead.pk

    with run_commits():
        leads_erase(leads=Lead.objects.all())

    logged = serializers.serialize(
        "json",
        [
            *Event.objects.all(),
            *Delivery.objects.all(),
            *RemoteContact.objects.all(),
            *LogEntry.objects.all(),
        ],
    )
    assert "ada@example.com" not in logged.lower()
    assert "Adele" not in logged
    # Each scrubbed event keeps its own lead's id and says why it is empty.
    scrubbed = Event.objects.exclude(type="lead.erased").values_list("data", flat=True)
    assert list(scrubbed) == [{"erased": True, "lead_id": lead_id}] * len(scrubbed)
    statuses = dict(
        Delivery.objects.filter(endpoint__isnull=False).values_list("event__type", "status")
    )
    assert statuses == {
        "lead.confirmed": "delivered",
        "lead.updated": "cancelled",
        "lead.erased": "delivered",
    }
    erased = verified(server.seen[-1], secret)
    assert erased["type"] == "lead.erased"
    assert erased["data"] == {"lead_id": lead_id, "email_digest": email_digest("ada@example.com")}
    # A scrubbed delivery cannot be replayed: it would send nothing of use.
    assert not delivery_replay(
        delivery=Delivery.objects.get(event__type="lead.confirmed", endpoint__isnull=False)
    )


def test_a_completed_quiz_is_sent_without_personal_data(server, run_commits):
    from wizard.models import Questionnaire
    from wizard.questionnaires import load_weights
    from wizard.services import attempt_record_answer, attempt_start

    _, secret = make_endpoint(server.url, ["quiz.completed"])
    questionnaire = Questionnaire.objects.create(name="Quiz", is_active=False)
    question = questionnaire.questions.create(order=0, text="What energises you?")
    choice = question.choices.create(order=0, text="Teams", csm_points=3, explanation="Teams")
    attempt = attempt_start(
        questionnaire_id=questionnaire.pk,
        tracking=Tracking(utm_source="news", referrer="https://x.example/"),
    )
    weights = load_weights(questionnaire)
    with run_commits():
        attempt_record_answer(attempt=attempt, weights=weights, index=0, choice_ids=[choice.pk])

    body = verified(server.seen[0], secret)
    assert body["type"] == "quiz.completed"
    schema = documented_schemas()["quiz.completed"]
    assert [e.message for e in Draft202012Validator(schema).iter_errors(body)] == []
    assert body["data"]["attempt_id"] == str(attempt.pk)
    assert body["data"]["outcome"] == "CSM"
    sent = json.dumps(body)
    assert "news" not in sent
    assert "x.example" not in sent


def test_erasing_many_leads_costs_the_delivery_log_no_query_per_lead(server, run_commits):
    """The erase tells integrations about a whole batch at once: the scrub and the
    lead.erased events take the same queries for 3 leads as for 30."""
    make_endpoint(server.url, ["lead.confirmed", "lead.erased"])
    server.queued = [(200, {}, b"")] * 100

    def queries_to_erase(count: int, start: int) -> int:
        for n in range(start, start + count):
            confirmed_lead(run_commits, email=f"lead{n}@example.com")
        with CaptureQueriesContext(connection) as captured:
            leads_erase(leads=Lead.objects.all())
        assert not Lead.objects.exists()
        return len(captured.captured_queries)

    few = queries_to_erase(3, start=0)
    many = queries_to_erase(30, start=100)

    assert many == few
    assert Event.objects.filter(type="lead.erased").count() == 33
