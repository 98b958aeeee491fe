"""Erase (GDPR) and the purge of unconfirmed leads leave no copy of the person behind.

The check is general on purpose: every text column of every table is searched for the
address and the name, so a table added later that copies them fails here too.
"""

from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead, LeadErasure, LeadExport
from leads.services import leads_forget
from tests.conftest import make_attempt
from tests.leads.conftest import copies_of, make_lead, submit_form

pytestmark = pytest.mark.django_db

ADDRESS = "Zephyrine.Quist@example.org"
# Both the first name and the start of the address: one search finds either.
NAME = "Zephyrine"


@pytest.fixture
def footprint(admin_user):
    """A lead as it looks after a few weeks: edited and looked up in the admin, found by
    exports, with a quiz attempt that carries its tracking; and a bystander."""
    attempt = make_attempt(
        utm_term="zephyrine",
        utm_content="Zephyrine Quist",
        referrer="https://webmail.example/read?from=zephyrine.quist%40example.org",
    )
    lead = make_lead(email=ADDRESS, first_name="Zeph", attempt=attempt, utm_term="zephyrine")
    keep = make_lead(email="keep@example.com", first_name="Keep", status=Lead.Status.CONFIRMED)

    browser = Client()
    browser.force_login(admin_user)
    # A marketer corrects the first name: the admin's history records the address.
    browser.post(reverse("admin:leads_lead_change", args=[lead.pk]), {"first_name": NAME})
    LogEntry.objects.log_actions(
        user_id=admin_user.pk,
        queryset=[lead],
        action_flag=CHANGE,
        change_message=f"Asked by {ADDRESS.lower()} to fix the name",
    )
    LogEntry.objects.log_actions(
        user_id=admin_user.pk, queryset=[keep], action_flag=CHANGE, change_message="Tidied"
    )
    for filters in [
        {"q": ADDRESS, "scope": "all matching"},
        {"q": "zephyrine.quist", "status__exact": "pending"},
        {"q": "zephyrine", "scope": "all matching"},
        {"utm_source": ["news", ADDRESS.upper()]},
    ]:
        LeadExport.objects.create(user=admin_user, row_count=1, filters=filters, source="admin")
    bystander_export = LeadExport.objects.create(
        user=admin_user,
        row_count=2,
        filters={"q": "example.org", "status__exact": "pending", "scope": "all matching"},
        source="admin",
    )
    lead.refresh_from_db()
    assert lead.first_name == NAME
    # The searches below must be able to find something, or they prove nothing.
    assert {
        "leads_lead.email",
        "leads_lead.first_name",
        "django_admin_log.object_repr",
        "django_admin_log.change_message",
        "leads_leadexport.filters",
        "wizard_attempt.utm_term",
        "wizard_attempt.referrer",
    } <= set(copies_of(NAME))
    return {"lead": lead, "keep": keep, "attempt": attempt, "bystander": bystander_export}


def assert_only_the_bystander_remains(footprint):
    assert copies_of(NAME) == []
    assert copies_of("quist") == []
    assert list(Lead.objects.all()) == [footprint["keep"]]
    # The bystander's own records are untouched.
    assert LogEntry.objects.filter(object_repr="keep@example.com").count() == 1
    bystander = LeadExport.objects.get(pk=footprint["bystander"].pk)
    assert bystander.filters == footprint["bystander"].filters
    assert LeadExport.objects.count() == 5
    # The history keeps who changed a lead and when, without whose it was.
    assert set(LogEntry.objects.values_list("object_repr", flat=True)) == {
        "(erased lead)",
        "keep@example.com",
    }
    attempt = footprint["attempt"]
    attempt.refresh_from_db()
    assert attempt.outcome == "CSPO"


def test_erase_through_the_admin_leaves_no_copy(admin_user, footprint):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    page = browser.get(reverse("admin:leads_lead_changelist"), {"q": "quist"})
    confirmation = browser.post(
        page.wsgi_request.get_full_path(),
        {
            "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
            "action": "erase_selected",
            "index": "0",
            "_selected_action": [footprint["lead"].pk],
        },
    )

    done = submit_form(browser, confirmation, having="erase_selected")

    assert "Erased 1 lead." in done.content.decode()
    # The admin's session and messages went through the database too: still nothing.
    assert_only_the_bystander_remains(footprint)
    assert LeadErasure.objects.get().count == 1


def test_purge_leaves_no_copy(footprint, capsys):
    Lead.objects.filter(pk=footprint["lead"].pk).update(
        consent_at=timezone.now() - timedelta(days=40)
    )

    call_command("purge_leads", "--unconfirmed-older-than", "30")

    assert "Deleted 1 unconfirmed lead(s)" in capsys.readouterr().out
    assert_only_the_bystander_remains(footprint)
    # A purge is housekeeping, not an erasure someone asked for.
    assert not LeadErasure.objects.exists()


def test_forget_rechecks_the_conditions_on_the_rows_it_takes(monkeypatch):
    """A lead that stopped matching between the look-up and the delete is left alone."""
    stale = make_lead(email="stale@example.com", consent_at=timezone.now() - timedelta(days=40))
    also_stale = make_lead(
        email="also.stale@example.com", consent_at=timezone.now() - timedelta(days=40)
    )
    pending_old = Lead.objects.pending().filter(consent_at__lt=timezone.now() - timedelta(days=30))
    queryset_class = type(pending_old)
    real_filter = queryset_class.filter

    def confirm_before_the_batch_is_taken(self, *args, **kwargs):
        if "pk__in" in kwargs:  # the ids were read; now the batch is locked and taken
            Lead.objects.filter(pk=stale.pk).update(status=Lead.Status.CONFIRMED)
        return real_filter(self, *args, **kwargs)

    monkeypatch.setattr(queryset_class, "filter", confirm_before_the_batch_is_taken)

    assert leads_forget(leads=pending_old) == 1
    monkeypatch.undo()
    assert list(Lead.objects.all()) == [stale]
    assert not Lead.objects.filter(pk=also_stale.pk).exists()


def test_forget_works_in_batches(monkeypatch):
    monkeypatch.setattr("leads.services.FORGET_BATCH", 2)
    for n in range(5):
        make_lead(email=f"batch{n}@example.com")
    make_lead(email="stays@example.net")

    assert leads_forget(leads=Lead.objects.filter(email__endswith="@example.com")) == 5
    assert list(Lead.objects.values_list("email", flat=True)) == ["stays@example.net"]
    assert copies_of("batch") == []
