"""The mail outbox: owed in the owing transaction, leased, retried with backoff, given up
visibly, retried from the admin, and never sent twice by two senders."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead
from leads.services import (
    MAIL_GAVE_UP_MID_SEND,
    MAIL_MAX_ATTEMPTS,
    lead_confirm,
    lead_subscribe,
    mail_retry_delay,
    mail_send_due,
)
from tests.leads.conftest import later, make_lead, owed, signup_data

pytestmark = pytest.mark.django_db

CONFIRM_SUBJECT = "Confirm your email to get the CSM and CSPO materials"
MATERIALS_SUBJECT = "Your CSM and CSPO training materials"


def sent(mailoutbox) -> list[tuple[str, str]]:
    return [(m.to[0], m.subject) for m in mailoutbox]


def test_a_commit_whose_enqueue_never_ran_is_still_owed_and_swept_once(
    django_capture_on_commit_callbacks, mailoutbox
):
    # The on-commit callbacks are captured and dropped: the process "died" after commit.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lead_subscribe(email="ada@example.com", consent_version="v1")
    assert len(callbacks) == 1

    call_command("send_pending_emails")
    call_command("send_pending_emails")

    assert sent(mailoutbox) == [("ada@example.com", CONFIRM_SUBJECT)]
    assert Lead.objects.get().mail_state == "sent"


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [(1, timedelta(minutes=1)), (2, timedelta(minutes=2)), (5, timedelta(minutes=16))],
)
def test_retries_back_off_exponentially(attempts, wait):
    assert mail_retry_delay(attempts=attempts) == wait


def test_retries_stop_after_the_limit_with_a_failed_state(broken_mail, mailoutbox):
    lead = make_lead(**owed())
    waited = timedelta(0)

    for attempt in range(1, MAIL_MAX_ATTEMPTS + 1):
        with later(waited):
            assert mail_send_due() is False
        lead.refresh_from_db()
        assert lead.mail_attempts == attempt
        if attempt < MAIL_MAX_ATTEMPTS:
            waited += mail_retry_delay(attempts=attempt)

    assert lead.mail_state == "failed"
    assert "ConnectionRefusedError" in lead.last_email_error
    # Spread over more than a day; nothing is tried after the last failure.
    assert waited > timedelta(days=1)
    with later(waited + timedelta(days=30)):
        assert mail_send_due() is None


def test_a_live_lease_is_respected_and_an_expired_one_is_taken_over(settings, mailoutbox):
    lease = settings.MAIL_SEND_LEASE
    lead = make_lead(
        **owed(mail_state="sending", mail_attempts=1, mail_due_at=timezone.now() + lease)
    )

    assert mail_send_due() is None  # a sender may still be on it
    with later(lease + timedelta(seconds=1)):
        assert mail_send_due() is True
        assert mail_send_due() is None

    assert sent(mailoutbox) == [("ada@example.com", CONFIRM_SUBJECT)]
    lead.refresh_from_db()
    assert (lead.mail_state, lead.mail_attempts) == ("sent", 2)


def test_a_sender_dead_on_the_last_attempt_leaves_a_visible_failure(settings, mailoutbox):
    lead = make_lead(
        **owed(
            mail_state="sending",
            mail_attempts=MAIL_MAX_ATTEMPTS,
            mail_due_at=timezone.now() - timedelta(seconds=1),
        )
    )

    call_command("send_pending_emails")

    lead.refresh_from_db()
    assert (lead.mail_state, lead.last_email_error) == ("failed", MAIL_GAVE_UP_MID_SEND)
    assert mailoutbox == []


class ConfirmsWhileSending(EmailBackend):
    """A mail server slow enough that the visitor confirms while it takes the mail."""

    def send_messages(self, email_messages):
        for message in email_messages:
            lead_confirm(lead=Lead.objects.get(email=message.to[0]))
        return super().send_messages(email_messages)


def test_a_newer_mail_is_not_marked_sent_by_a_sender_still_busy_with_the_old_one(
    settings, mailoutbox
):
    lead = make_lead(**owed("confirmation"))
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.ConfirmsWhileSending"}}

    assert mail_send_due() is True

    # The confirmation went out; the materials mail owed meanwhile is still owed.
    lead.refresh_from_db()
    assert (lead.mail_state, lead.mail_kind) == ("owed", "materials")
    assert lead.last_emailed_at is not None
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    call_command("send_pending_emails")
    assert sent(mailoutbox) == [
        ("ada@example.com", CONFIRM_SUBJECT),
        ("ada@example.com", MATERIALS_SUBJECT),
    ]


def test_a_sender_that_reads_a_mail_just_as_another_takes_it_does_not_send_it_again(
    mailoutbox,
):
    make_lead(email="first@example.com", **owed())
    make_lead(email="second@example.com", **owed(mail_due_at=timezone.now()))
    raced = []

    def other_sender_first(execute, sql, params, many, context):
        # The moment this sender tries to claim its first candidate, another sender
        # (same database, a complete claim-send-record) takes that mail.
        if not raced and sql.startswith('UPDATE "leads_lead" SET "mail_state"'):
            raced.append(True)
            assert mail_send_due() is True
        return execute(sql, params, many, context)

    with connection.execute_wrapper(other_sender_first):
        assert mail_send_due() is True  # it moved on to the next mail

    assert sorted(sent(mailoutbox)) == [
        ("first@example.com", CONFIRM_SUBJECT),
        ("second@example.com", CONFIRM_SUBJECT),
    ]


STUCK_STATES = {
    # The worker died mid-send and its lease ran out.
    "sending, lease over": {"mail_state": "sending", "mail_attempts": 1, "seconds": -1},
    "owed, waiting for a retry": {"mail_state": "owed", "mail_attempts": 2, "seconds": 90},
    "failed": {"mail_state": "failed", "mail_attempts": 12, "seconds": None},
}


@pytest.mark.parametrize("state", STUCK_STATES)
def test_a_repeat_sign_up_within_five_minutes_does_not_swallow_a_mail_still_owed(
    state, committed, mailoutbox
):
    fields = dict(STUCK_STATES[state])
    seconds = fields.pop("seconds")
    due = None if seconds is None else timezone.now() + timedelta(seconds=seconds)
    make_lead(
        **owed(mail_requested_at=timezone.now() - timedelta(minutes=2), mail_due_at=due, **fields)
    )

    with committed():
        lead_subscribe(email="ada@example.com", consent_version="v1")

    assert sent(mailoutbox) == [("ada@example.com", CONFIRM_SUBJECT)]
    assert Lead.objects.get().mail_state == "sent"


def sign_up(visitor: Client, committed) -> int:
    """Fetch the form, then post it with its CSRF token, as a browser would."""
    visitor.get(reverse("leads:signup"))
    data = signup_data(csrfmiddlewaretoken=visitor.cookies["csrftoken"].value)
    with committed():
        return visitor.post(reverse("leads:signup"), data).status_code


def test_two_visitors_signing_up_one_address_while_the_mail_server_is_down_get_one_mail(
    committed, settings, mailoutbox
):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    working = settings.MAILERS
    settings.MAILERS = {"default": {"BACKEND": "tests.leads.conftest.BrokenMailer"}}

    assert sign_up(first, committed) == 302  # the server refuses: still owed
    settings.MAILERS = working
    assert sign_up(second, committed) == 302  # a minute later, the server is back
    assert sign_up(first, committed) == 302  # sent now, so the window holds

    assert sent(mailoutbox) == [("ada@example.com", CONFIRM_SUBJECT)]
    assert Lead.objects.get().mail_state == "sent"


def test_a_repeat_sign_up_while_the_mail_is_in_flight_sends_nothing_more(mailoutbox):
    make_lead(
        **owed(
            mail_state="sending",
            mail_attempts=1,
            mail_requested_at=timezone.now() - timedelta(minutes=1),
            mail_due_at=timezone.now() + timedelta(minutes=1),
        )
    )

    # The same consent as stored: a plain repeat (a newer consent text would be a new
    # sign-up round, with its own confirmation).
    lead_subscribe(email="ada@example.com", consent_version="2026-11")
    call_command("send_pending_emails")

    assert mailoutbox == []
    assert Lead.objects.get().mail_state == "sending"


@pytest.fixture
def marketer_client(client):
    marketer = User.objects.create_user("marketer", password="pw", is_staff=True)
    marketer.groups.add(Group.objects.get(name="Marketing"))
    client.force_login(marketer)
    return client


def test_marketers_find_failed_mail_and_send_it_again(marketer_client, committed, mailoutbox):
    gave_up = owed(mail_state="failed", mail_attempts=12, mail_due_at=None)
    failed = make_lead(email="failed@example.com", last_email_error="SMTP said no", **gave_up)
    gone = make_lead(email="gone@example.com", status="unsubscribed", **gave_up)
    make_lead(email="fine@example.com", mail_state="sent")
    changelist = reverse("admin:leads_lead_changelist")

    page = marketer_client.get(changelist, {"mail_state__exact": "failed"}).content.decode()
    with committed():
        retried = marketer_client.post(
            changelist,
            {"action": "retry_failed_mail", "_selected_action": [failed.pk, gone.pk]},
            follow=True,
        )

    assert "failed@example.com" in page
    assert "fine@example.com" not in page
    assert '<td class="field-mail_state">Failed</td>' in page
    assert "1 failed mail will be sent again" in retried.content.decode()
    assert sent(mailoutbox) == [("failed@example.com", CONFIRM_SUBJECT)]
    failed.refresh_from_db()
    gone.refresh_from_db()
    assert (failed.mail_state, gone.mail_state) == ("sent", "failed")


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_owes_again_the_mail_a_killed_worker_left_unsent(mailoutbox):
    before = [("leads", "0003_marketing_group")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("leads")
    executor.migrate(before)
    old_lead = executor.loader.project_state(before).apps.get_model("leads", "Lead")
    now = timezone.now()
    for email, status, requested, emailed, pending in [
        ("lost@example.com", "pending", timedelta(hours=1), None, False),  # killed mid-send
        ("retry@example.com", "confirmed", timedelta(days=3), timedelta(days=4), True),
        ("done@example.com", "confirmed", timedelta(days=1), timedelta(hours=23), False),
        ("ancient@example.com", "pending", timedelta(days=60), None, False),
        ("gone@example.com", "unsubscribed", timedelta(hours=1), None, True),
    ]:
        old_lead.objects.create(
            email=email,
            status=status,
            consent_at=now,
            consent_version="v1",
            mail_requested_at=now - requested,
            last_emailed_at=now - emailed if emailed else None,
            mail_pending=pending,
        )

    MigrationExecutor(connection).migrate(latest)
    # Every lead that was there got an opaque id of its own (0005, one UPDATE on PostgreSQL).
    public_ids = list(Lead.objects.values_list("public_id", flat=True))
    assert None not in public_ids
    assert len(set(public_ids)) == 5
    call_command("send_pending_emails")

    states = {lead.email: lead.mail_state for lead in Lead.objects.all()}
    assert states == {
        "lost@example.com": "sent",
        "retry@example.com": "sent",
        "done@example.com": "sent",
        "ancient@example.com": "none",
        "gone@example.com": "none",
    }
    assert sorted(sent(mailoutbox)) == [
        ("lost@example.com", CONFIRM_SUBJECT),
        ("retry@example.com", MATERIALS_SUBJECT),
    ]


class GarbledServer(EmailBackend):
    """A mail server whose refusal carries control characters."""

    def send_messages(self, email_messages):
        raise ConnectionResetError("gone\x00 away\x1b[31m")


def test_a_failure_is_recorded_without_the_control_characters_it_came_with(settings):
    lead = make_lead(**owed())
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.GarbledServer"}}

    assert mail_send_due() is False

    lead.refresh_from_db()
    assert lead.last_email_error == "ConnectionResetError: gone away[31m"
    assert lead.last_emailed_at is None


DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_on_the_database_queue_the_nudge_commits_with_the_sign_up(
    settings, django_capture_on_commit_callbacks
):
    """The task row is written in the sign-up's transaction: nothing is left for after the
    commit, so a sign-up waits for one flush to disk, not two."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_QUEUE
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lead = lead_subscribe(email="ada@example.com", consent_version="v1")
    assert callbacks == []
    assert DBTaskResult.objects.get().args_kwargs["args"] == [lead.pk]


def test_on_the_database_queue_a_rolled_back_sign_up_leaves_no_nudge(settings):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_QUEUE

    @transaction.atomic
    def sign_up_then_fail() -> None:
        lead_subscribe(email="ada@example.com", consent_version="v1")
        raise RuntimeError

    with pytest.raises(RuntimeError):
        sign_up_then_fail()
    assert not Lead.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_on_other_queues_the_nudge_waits_for_the_commit(
    django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lead_subscribe(email="ada@example.com", consent_version="v1")
    assert len(callbacks) == 1
    assert mailoutbox == []  # the immediate backend sends nothing that could roll back


def test_on_the_database_queue_a_failed_nudge_fails_the_sign_up_whole(settings, monkeypatch):
    """Queued in the sign-up's transaction, the nudge's failure is that transaction's: it
    is raised (not logged and swallowed, which would leave the transaction broken), and
    nothing of the sign-up is stored."""
    from django_tasks_db.models import DBTaskResult

    from leads.tasks import send_lead_mail

    settings.TASKS = DATABASE_QUEUE

    def queue_broken(*args, **kwargs):
        raise RuntimeError("the task table is missing")

    monkeypatch.setattr(type(send_lead_mail), "enqueue", queue_broken)
    with pytest.raises(RuntimeError, match="task table"):
        lead_subscribe(email="ada@example.com", consent_version="v1")
    assert not Lead.objects.exists()
    assert not DBTaskResult.objects.exists()
