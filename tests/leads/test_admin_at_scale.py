"""The leads list's shortcuts for a big table give the same answers as Django's own:
the date hierarchy's probes, the paginator's bounded count, the action checkboxes."""

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads.admin import LeadAdmin
from leads.admin import changelist as leads_changelist
from leads.admin.changelist import DrillDownQuerySet, EstimatedCountPaginator
from leads.models import Lead, LeadQuerySet
from tests.leads.conftest import make_lead

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:leads_lead_changelist"
POSTGRESQL = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")


def lead_at(email: str, when: dt.datetime, **fields) -> Lead:
    lead = make_lead(email=email, **fields)
    Lead.objects.filter(pk=lead.pk).update(created_at=when)
    return lead


@pytest.fixture
def spread_leads():
    """Leads over three years, two of them either side of a midnight in Berlin."""
    for n, when in enumerate(
        [
            dt.datetime(2024, 2, 29, 12, 0, tzinfo=dt.UTC),
            dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC),  # 2026-01-01 in Berlin
            dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC),  # 1 February in Berlin
            dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC),  # the night clocks go forward
            dt.datetime(2026, 3, 30, 0, 30, tzinfo=dt.UTC),
            dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC),  # the night they go back
        ]
    ):
        lead_at(f"l{n}@example.com", when, utm_source="news" if n % 2 else "ads")


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns"])
@pytest.mark.parametrize(
    "narrowed",
    [
        {},
        {"utm_source": "news"},
        {"created_at__year": 2026},
        {"created_at__year": 2026, "created_at__month": 3},
        {"email__startswith": "nobody"},
    ],
)
@pytest.mark.parametrize("kind", ["year", "month", "day"])
def test_drill_down_periods_match_djangos_own(spread_leads, settings, zone, narrowed, kind):
    settings.TIME_ZONE = zone
    from django.utils import timezone

    with timezone.override(zone):
        base = LeadQuerySet(model=Lead).filter(**narrowed)
        probed = DrillDownQuerySet(model=Lead).filter(**narrowed)
        for order in ["ASC", "DESC"]:
            assert list(probed.datetimes("created_at", kind, order)) == list(
                base.datetimes("created_at", kind, order)
            )


def hierarchy_of(client, **query) -> tuple[list[str], int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(CHANGELIST), query)
    assert response.status_code == 200
    page = response.content.decode()
    # The hierarchy's choices (not its back link), as the admin shows them.
    start = page.index('<nav class="toplinks"')
    hierarchy = page[start : page.index("</nav>", start)]
    titles = re.findall(r'<a href="\?[^"]*created_at__[^"]*">([^<]+)</a>', hierarchy)
    return titles, len(queries)


def test_the_hierarchy_drills_down_with_a_fixed_number_of_queries(admin_client, spread_leads):
    years, at_top = hierarchy_of(admin_client)
    months, in_year = hierarchy_of(admin_client, created_at__year="2026")
    days, in_month = hierarchy_of(admin_client, created_at__year="2026", created_at__month="3")
    for n in range(40):
        lead_at(f"more{n}@example.com", dt.datetime(2025, 1 + n % 12, 1 + n % 28, tzinfo=dt.UTC))

    assert years == ["2024", "2025", "2026"]
    assert months == ["January 2026", "March 2026", "October 2026"]
    assert days == ["March 29", "March 30"]
    # Session, user, filter values, count, page, the range and one query for the periods.
    assert hierarchy_of(admin_client)[1] == at_top <= 10
    assert hierarchy_of(admin_client, created_at__year="2025")[1] == in_year <= 10
    assert (
        hierarchy_of(admin_client, created_at__year="2025", created_at__month="3")[1]
        == in_month
        <= 10
    )


def test_a_filtered_list_below_the_threshold_is_counted_exactly(spread_leads, monkeypatch):
    monkeypatch.setattr(leads_changelist, "EXACT_COUNT_BELOW", 4)

    assert EstimatedCountPaginator(Lead.objects.filter(utm_source="news"), 100).count == 3
    assert EstimatedCountPaginator(Lead.objects.filter(utm_source="nobody"), 100).count == 0


@POSTGRESQL
def test_a_big_filtered_list_takes_the_plans_estimate_without_counting_it_all(
    spread_leads, monkeypatch
):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
    monkeypatch.setattr(leads_changelist, "EXACT_COUNT_BELOW", 2)

    with CaptureQueriesContext(connection) as queries:
        count = EstimatedCountPaginator(Lead.objects.filter(utm_source="news"), 100).count

    # At least the threshold (the bounded count reached it), as the plan estimates.
    assert count >= 2
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1
    assert "LIMIT 2" in counts[0]
    assert any(q["sql"].startswith("EXPLAIN") for q in queries)


def test_the_action_checkboxes_are_djangos_own_markup(admin_client):
    lead = make_lead(email='odd"<&>@example.com')
    django_markup = admin.ModelAdmin(Lead, admin.site).action_checkbox(lead)

    assert LeadAdmin(Lead, admin.site).action_checkbox(lead) == django_markup
    page = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert django_markup in page
    assert len(re.findall(r'class="action-select"', page)) == 1
