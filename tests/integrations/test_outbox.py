"""The visitor's request only writes the outbox: a fixed number of queries however many
endpoints, and no network call until a worker runs the queued task."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import Delivery, Event
from leads.models import Lead
from leads.tokens import Purpose, make_token
from tests.integrations.conftest import confirm_lead, csrf_client, make_endpoint, verified

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def visit(django_capture_on_commit_callbacks, email: str) -> tuple[int, int]:
    """Queries of a sign-up and of its confirmation, each with its commit callbacks run
    (with the database backend they only queue tasks)."""
    client = csrf_client()
    client.get("/free-training/")
    token = client.cookies["csrftoken"].value
    with (
        CaptureQueriesContext(connection) as signup,
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(
            "/free-training/", {"email": email, "consent": "on", "csrfmiddlewaretoken": token}
        )
    lead = Lead.objects.with_email(email).get()
    url = f"/free-training/confirm/{make_token(lead=lead, purpose=Purpose.CONFIRM)}/"
    with (
        CaptureQueriesContext(connection) as confirm,
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(url, {"csrfmiddlewaretoken": token})
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.CONFIRMED
    return len(signup), len(confirm)


def test_ten_endpoints_cost_the_request_only_the_outbox_writes(
    settings, server, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    settings.SIGNUP_RATE_LIMIT = "100/m"
    none = visit(django_capture_on_commit_callbacks, "a@example.com")
    make_endpoint(server.url)
    one = visit(django_capture_on_commit_callbacks, "b@example.com")
    for _ in range(9):
        make_endpoint(server.url)
    ten = visit(django_capture_on_commit_callbacks, "c@example.com")

    # A sign-up sends nothing (not confirmed yet); the confirmation writes one event and
    # queues one task in its transaction, the same for one endpoint as for ten. The
    # deliveries are written by the worker.
    assert none[0] == one[0] == ten[0]
    assert one[1] == ten[1]
    assert ten[1] == none[1] + 2
    assert not Delivery.objects.exists()
    assert server.seen == []  # Nothing left the site during the requests.

    # The worker (here: the task run by hand) delivers them afterwards.
    from integrations.tasks import deliver_event

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    for event in Event.objects.all():
        deliver_event.call(str(event.pk))
    # Destinations are chosen when the worker writes the deliveries: ten for each event.
    assert Delivery.objects.filter(status="delivered").count() == 2 * 10
    assert len(server.seen) == 20


def test_add_webhook_prints_a_secret_that_verifies_deliveries(
    server, capsys, django_capture_on_commit_callbacks
):
    call_command(
        "add_webhook",
        server.url,
        "--events",
        "lead.confirmed,lead.unsubscribed",
        "--description",
        "CRM",
    )
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("whsec_")

    with django_capture_on_commit_callbacks(execute=True):
        confirm_lead("ada@example.com")
    assert verified(server.seen[0], secret)["data"]["email"] == "ada@example.com"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["https://example.com/h", "--events", "lead.confirmed,lead.exploded"], "lead.exploded"),
        (["https://example.com/h", "--events", " , "], "at least one event"),
        (["http://10.0.0.1/h", "--events", "lead.confirmed"], "https://"),
    ],
)
def test_add_webhook_refuses_bad_input_and_creates_nothing(settings, args, message):
    settings.INTEGRATIONS_ALLOW_PRIVATE = False
    with pytest.raises(CommandError, match=message):
        call_command("add_webhook", *args)
    from integrations.models import Endpoint

    assert not Endpoint.objects.exists()


def test_on_the_database_backend_the_task_commits_or_rolls_back_with_the_event(settings, server):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from leads.services import lead_confirm, lead_subscribe

    settings.TASKS = DATABASE_TASKS
    make_endpoint(server.url)
    lead = lead_subscribe(email="ada@example.com", consent_version="2026-11")
    queued = DBTaskResult.objects.filter(task_path="integrations.tasks.deliver_event")

    seen_inside = []

    def confirm_then_fail() -> None:
        with transaction.atomic():
            lead_confirm(lead=lead)
            seen_inside.append(queued.count())  # Written inside the transaction.
            raise RuntimeError("the confirmation fails after the outbox was written")

    with pytest.raises(RuntimeError):
        confirm_then_fail()
    assert seen_inside == [1]

    assert not queued.exists()
    assert not Event.objects.exists()
    assert Lead.objects.get().status == Lead.Status.PENDING


def test_an_event_whose_task_was_lost_is_sent_by_retry_deliveries(settings, server):

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    _, secret = make_endpoint(server.url)
    confirm_lead("ada@example.com")
    assert server.seen == []  # The queued task never runs (the dummy backend).

    call_command("retry_deliveries")

    assert verified(server.seen[0], secret)["data"]["email"] == "ada@example.com"
    assert Delivery.objects.get().status == "delivered"
