from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from certguide.campaign import Tracking
from leads.models import Lead, LeadErasure
from leads.services import (
    lead_confirm,
    lead_subscribe,
    lead_unsubscribe,
    leads_erase,
)
from leads.tasks import send_lead_mail
from tests.conftest import make_attempt
from tests.leads.conftest import make_lead, owed

pytestmark = pytest.mark.django_db


def subscribe(committed, **fields) -> Lead:
    with committed():
        return lead_subscribe(**({"email": "ada@example.com", "consent_version": "v2"} | fields))


def test_a_new_address_is_pending_and_gets_a_confirmation(committed, mailoutbox):
    attempt = make_attempt(outcome="CSM")

    lead = subscribe(
        committed,
        email=" Ada@Example.COM ",
        first_name="Ada",
        attempt=attempt,
        tracking=Tracking(placement="nav", utm_source="newsletter"),
    )

    lead.refresh_from_db()
    assert (lead.email, lead.status, lead.outcome) == ("Ada@example.com", "pending", "CSM")
    assert (lead.placement, lead.utm_source, lead.consent_version) == ("nav", "newsletter", "v2")
    assert lead.attempt == attempt
    assert lead.consent_at is not None
    assert lead.last_emailed_at is not None
    assert [m.subject for m in mailoutbox] == [
        "Confirm your email to get the CSM and CSPO materials"
    ]


CONFIRM_SUBJECT = "Confirm your email to get the CSM and CSPO materials"
MATERIALS_SUBJECT = "Your CSM and CSPO training materials"


@pytest.mark.parametrize(
    ("status", "last_mail", "consent_version", "mail", "new_round"),
    [
        # Nothing new asked: what the lead waits for, at most once per RESEND_INTERVAL.
        ("pending", None, "2026-11", CONFIRM_SUBJECT, False),
        ("pending", timedelta(minutes=6), "2026-11", CONFIRM_SUBJECT, False),
        ("pending", timedelta(minutes=2), "2026-11", None, False),
        ("confirmed", timedelta(days=3), "2026-11", MATERIALS_SUBJECT, False),
        ("confirmed", timedelta(minutes=2), "2026-11", None, False),
        # Something new (here a newer consent text): a new round for the owner to confirm.
        ("pending", timedelta(minutes=2), "v3", CONFIRM_SUBJECT, True),
        ("confirmed", timedelta(minutes=2), "v3", CONFIRM_SUBJECT, True),
        # New consent after unsubscribing always gets its confirmation.
        ("unsubscribed", timedelta(days=3), "2026-11", CONFIRM_SUBJECT, True),
        ("unsubscribed", timedelta(minutes=1), "2026-11", CONFIRM_SUBJECT, True),
    ],
)
def test_repeat_sign_up_changes_nothing_stored_and_sends_what_fits(
    committed, mailoutbox, status, last_mail, consent_version, mail, new_round
):
    requested = timezone.now() - last_mail if last_mail else None
    old_consent = timezone.now() - timedelta(days=10)
    make_lead(
        email="ada@example.com", status=status, mail_requested_at=requested, consent_at=old_consent
    )

    subscribe(committed, email="ADA@example.com", consent_version=consent_version)

    lead = Lead.objects.get()
    assert lead.status == status
    assert (lead.email, lead.first_name) == ("ada@example.com", "Ada")
    assert (lead.consent_version, lead.consent_at) == ("2026-11", old_consent)
    assert lead.signup_round == (2 if new_round else 1)
    assert lead.pending_signup.get("consent_version") == (consent_version if new_round else None)
    assert [m.subject for m in mailoutbox] == ([mail] if mail else [])


def test_repeat_sign_up_keeps_first_touch_attribution_and_the_newer_result_waits(committed):
    make_lead(placement="nav", utm_source="first", first_name="Ada")
    attempt = make_attempt(outcome="BOTH")

    subscribe(
        committed,
        tracking=Tracking(placement="footer", utm_source="second"),
        first_name="",
        attempt=attempt,
    )

    lead = Lead.objects.get()
    assert (lead.placement, lead.utm_source, lead.first_name) == ("nav", "first", "Ada")
    assert (lead.attempt, lead.outcome) == (None, "")
    assert lead.pending_signup["attempt"] == str(attempt.pk)

    with committed():
        lead_confirm(lead=lead)

    lead.refresh_from_db()
    assert (lead.attempt, lead.outcome, lead.status) == (attempt, "BOTH", "confirmed")
    assert lead.pending_signup == {}


def test_subscribe_refuses_without_consent():
    with pytest.raises(ValueError, match="consent"):
        lead_subscribe(email="ada@example.com", consent_version="")

    assert not Lead.objects.exists()


def test_confirm_releases_the_materials_by_mail(committed, mailoutbox, lead):
    with committed():
        lead_confirm(lead=lead)

    lead.refresh_from_db()
    assert lead.status == "confirmed"
    assert lead.confirmed_at is not None
    assert [m.subject for m in mailoutbox] == [MATERIALS_SUBJECT]


def test_confirm_does_not_undo_an_unsubscribe(committed, mailoutbox):
    lead = make_lead(status="unsubscribed")

    with committed():
        lead_confirm(lead=lead)

    lead.refresh_from_db()
    assert lead.status == "unsubscribed"
    assert mailoutbox == []


def test_unsubscribe_is_immediate_and_drops_a_mail_still_owed(mailoutbox):
    lead = make_lead(status="confirmed", **owed("materials"))

    lead_unsubscribe(lead=lead)
    lead_unsubscribe(lead=lead)
    call_command("send_pending_emails")

    lead.refresh_from_db()
    assert lead.status == "unsubscribed"
    assert lead.unsubscribed_at is not None
    assert lead.mail_state == "none"
    assert mailoutbox == []


def test_erase_deletes_the_lead_blanks_its_attempt_and_counts_it():
    attempt = make_attempt(utm_source="newsletter", referrer="https://example.org/")
    lead = make_lead(attempt=attempt)

    leads_erase(leads=Lead.objects.filter(pk=lead.pk))

    assert not Lead.objects.filter(pk=lead.pk).exists()
    attempt.refresh_from_db()
    assert (attempt.utm_source, attempt.referrer) == ("", "")
    assert attempt.outcome == "CSPO"
    assert list(LeadErasure.objects.values_list("count", flat=True)) == [1]


def test_purge_removes_only_stale_pending_leads(capsys):
    old = timezone.now() - timedelta(days=40)
    make_lead(email="stale@example.com", consent_at=old)
    make_lead(email="fresh@example.com")
    make_lead(email="confirmed@example.com", status="confirmed", consent_at=old)
    make_lead(email="gone@example.com", status="unsubscribed", consent_at=old)

    call_command("purge_leads", "--unconfirmed-older-than", "30")

    assert "Deleted 1 unconfirmed lead(s)" in capsys.readouterr().out
    assert set(Lead.objects.values_list("email", flat=True)) == {
        "fresh@example.com",
        "confirmed@example.com",
        "gone@example.com",
    }


@pytest.mark.parametrize("days", ["0", "-3", "soon"])
def test_purge_refuses_a_nonsense_age(days):
    make_lead(consent_at=timezone.now() - timedelta(days=400))

    with pytest.raises(CommandError, match="DAYS"):
        call_command("purge_leads", "--unconfirmed-older-than", days)

    assert Lead.objects.count() == 1


def test_a_queue_that_is_down_leaves_the_mail_for_the_retry(
    committed, monkeypatch, mailoutbox, caplog
):
    def queue_down(*args, **kwargs):
        raise ConnectionError("task queue unavailable")

    monkeypatch.setattr(type(send_lead_mail), "enqueue", queue_down)

    lead = subscribe(committed)

    assert f"Mail to lead {lead.pk} not queued (ConnectionError" in caplog.text

    lead.refresh_from_db()
    assert (lead.mail_state, lead.mail_kind) == ("owed", "confirmation")
    assert mailoutbox == []
    monkeypatch.undo()
    call_command("send_pending_emails")
    assert len(mailoutbox) == 1
    lead.refresh_from_db()
    assert lead.mail_state == "sent"


def test_erase_from_any_caller_scrubs_admin_history_and_export_filters(admin_user):
    from django.contrib.admin.models import CHANGE, LogEntry

    from leads.models import LeadExport

    lead = make_lead(email="Gone@example.com")
    LogEntry.objects.log_actions(
        user_id=admin_user.pk, queryset=[lead], action_flag=CHANGE, change_message="x"
    )
    LeadExport.objects.create(row_count=1, filters={"q": "gone@example.com"}, source="command")

    leads_erase(leads=Lead.objects.filter(pk=lead.pk))

    assert not Lead.objects.exists()
    assert "gone@" not in LogEntry.objects.get().object_repr.lower()
    assert "gone@" not in str(LeadExport.objects.get().filters).lower()
    assert LeadErasure.objects.get().count == 1


def test_services_never_import_the_task_module():
    """Tasks call services; services announce owed mail with a signal the task module
    listens to, so the import graph runs one way."""
    import ast
    from pathlib import Path

    import leads.services

    tree = ast.parse(Path(leads.services.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    assert "leads.tasks" not in imported


def test_one_mailbox_gets_three_confirmations_an_hour_whatever_the_spelling(committed, mailoutbox):
    from leads.models import RecipientMailCount
    from tests.leads.conftest import later

    spellings = ["jane@gmail.com", "Jane@gmail.com", "j.ane+quiz@gmail.com", "JANE@gmail.com"]
    for n, email in enumerate([*spellings, "jane@gmail.com"]):
        # Each asks for something new (a first name), so each wants a confirmation mail.
        subscribe(committed, email=email, first_name=f"Jane {n}")
    assert len(mailoutbox) == 3
    assert RecipientMailCount.objects.get().count == 4  # refused ones count once over

    with later(timedelta(minutes=61)):
        subscribe(committed, email="jane@gmail.com", first_name="Jane again")
    assert len(mailoutbox) == 4  # a new window
    assert RecipientMailCount.objects.get().count == 1


def test_purge_forgets_mail_counts_whose_window_is_long_over(committed):
    from leads.models import RecipientMailCount
    from leads.services import lead_purge_unconfirmed
    from tests.leads.conftest import later

    subscribe(committed, email="old@example.com")
    with later(timedelta(minutes=150)):
        subscribe(committed, email="new@example.com")
        lead_purge_unconfirmed(older_than=timedelta(days=30))
    assert RecipientMailCount.objects.count() == 1
