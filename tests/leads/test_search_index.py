"""The leads list's search can use the trigram index on PostgreSQL (issue 18)."""

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.db.models import Q
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead

pytestmark = pytest.mark.django_db


def test_the_admin_search_is_answered_from_the_trigram_index():
    if connection.vendor != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's")
    Lead.objects.bulk_create(
        Lead(
            email=f"lead{n}@example.com",
            first_name=f"Name{n}",
            consent_at=timezone.now(),
            consent_version="v1",
        )
        for n in range(2000)
    )
    search = Lead.objects.filter(email__icontains="lead1234")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
        # On 2,000 rows any scan is cheaper than the index; a big table is not. Scans off.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = search.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "leads_lead_email_trgm" in plan
    assert list(search.values_list("email", flat=True)) == ["lead1234@example.com"]


def test_a_whole_address_is_found_through_the_unique_index(admin_client):
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    Lead.objects.bulk_create(
        Lead(email=f"lead{n}@example.com", consent_at=timezone.now(), consent_version="v1")
        for n in range(2000)
    )
    model_admin = admin.site._registry[Lead]
    request = RequestFactory().get("/")
    found, _ = model_admin.get_search_results(request, Lead.objects.all(), "Lead1234@Example.com")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = found.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "leads_lead_email_ci_unique" in plan
    assert list(found.values_list("email", flat=True)) == ["lead1234@example.com"]


# --- a whole first name (leads.admin.lead._with_first_name) --------------------------

CHANGELIST = "admin:leads_lead_changelist"


@pytest.fixture
def named_leads():
    """Leads whose first names or addresses hold "margaret" in different ways."""
    for email, first_name in [
        ("m1@example.com", "Margaret"),
        ("m2@example.com", "margaret"),
        ("m3@example.com", "MARGARET"),
        ("margaret.jones@example.com", ""),  # no first name given: found by the address
        ("maggie@example.com", "Maggie"),
        ("m4@example.com", "Margareta"),
        ("m5@example.com", "Anne-Margaret"),
        ("j1@example.com", "Jean-Luc"),
        ("jean-luc.two@example.com", "Jean"),
        ("o1@example.com", "Ólafur"),
        ("smith@example.com", "John"),
        ("ann.smith@example.com", "Ann"),
        ("aks@example.com", "Anna"),  # "Ann" is a whole name: Anna is not an Ann
    ]:
        Lead.objects.create(
            email=email, first_name=first_name, consent_at=timezone.now(), consent_version="v1"
        )


def searched(client, term: str) -> list[str]:
    response = client.get(reverse(CHANGELIST), {"q": term})
    assert response.status_code == 200
    return [lead.email for lead in response.context["cl"].result_list]


def djangos_search(term: str) -> list[str]:
    """What Django's own search (every first name or address containing the term) finds."""
    found = Lead.objects.filter(Q(email__icontains=term) | Q(first_name__icontains=term))
    return list(found.values_list("email", flat=True))


def named_or_in_address(term: str) -> list[str]:
    """The rule for a first name some lead has, counted the plain way."""
    found = Lead.objects.filter(Q(first_name__iexact=term) | Q(email__icontains=term))
    return list(found.values_list("email", flat=True))


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        # A whole first name: that name in any case, and the addresses containing it.
        (
            "Margaret",
            ["m1@example.com", "m2@example.com", "m3@example.com", "margaret.jones@example.com"],
        ),
        (
            " mARGARET ",
            ["m1@example.com", "m2@example.com", "m3@example.com", "margaret.jones@example.com"],
        ),
        ("Jean-Luc", ["j1@example.com", "jean-luc.two@example.com"]),
        ("Ólafur", ["o1@example.com"]),
        ("Ann", ["ann.smith@example.com"]),
    ],
)
def test_a_whole_first_name_finds_that_name_and_the_addresses_holding_it(
    admin_client, named_leads, term, expected
):
    assert sorted(searched(admin_client, term)) == expected
    assert sorted(searched(admin_client, term)) == sorted(named_or_in_address(term.strip()))


@pytest.mark.parametrize(
    "term",
    [
        "Marg",  # part of a name: every first name containing it, as before
        "argaret",
        "smith",  # nobody is named Smith: the addresses containing it
        "jones",
        "Margaret7",  # not a name-like word
        "nobody",
    ],
)
def test_part_of_a_name_or_a_word_nobody_is_named_searches_as_before(
    admin_client, named_leads, term
):
    assert sorted(searched(admin_client, term)) == sorted(djangos_search(term))


def test_a_whole_first_name_lists_newest_first(admin_client, named_leads):
    newest = Lead.objects.filter(email="m2@example.com")
    newest.update(created_at=timezone.now() + timezone.timedelta(minutes=1))

    assert searched(admin_client, "Margaret")[0] == "m2@example.com"


def test_a_whole_first_name_search_has_a_fixed_query_budget(admin_client, named_leads):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(reverse(CHANGELIST), {"q": "Margaret"}).status_code == 200
        return len(captured)

    few = queries()
    Lead.objects.bulk_create(
        Lead(
            email=f"more{n}@example.com",
            first_name="Margaret",
            consent_at=timezone.now(),
            consent_version="v1",
        )
        for n in range(120)
    )

    # The list's own (see test_admin.py) and two probes: is it a name, is it in an address.
    assert queries() == few <= 13


@pytest.mark.django_db(transaction=True)
def test_a_whole_name_and_a_filter_pair_are_counted_from_the_index_alone():
    """The counts of a whole-name search and of a value filter combined with another list
    filter read no table rows: index-only scans (the plan of a vacuumed table)."""
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    Lead.objects.bulk_create(
        Lead(
            email=f"lead{n}@example.com",
            first_name=["Margaret", "Ada", "Grace"][n % 3],
            status=["confirmed", "pending"][n % 2],
            utm_source=["google", "newsletter", "linkedin", ""][n % 4],
            placement=["result", "compare", ""][n % 3],
            consent_at=timezone.now(),
            consent_version="v1",
        )
        for n in range(3000)
    )
    model_admin = admin.site._registry[Lead]
    by_name, _ = model_admin.get_search_results(
        RequestFactory().get("/"), Lead.objects.all(), "Margaret"
    )
    pairs = {
        "status and source": Lead.objects.filter(status="confirmed", utm_source="google"),
        "placement and source": Lead.objects.filter(placement="compare", utm_source="google"),
    }
    plans = {}
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE leads_lead")
        # On 3,000 rows a scan of the table is cheaper than any index; a million is not.
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_bitmapscan = off")
        try:
            for what, found in [("name", by_name), *pairs.items()]:
                # As the list's paginator counts it (leads.admin.changelist).
                sql, params = found.order_by().values("pk")[:50_000].query.sql_with_params()
                count = f"SELECT COUNT(*) FROM ({sql}) subquery"  # noqa: S608 (the ORM's SQL)
                cursor.execute(f"EXPLAIN {count}", params)
                plans[what] = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_bitmapscan")

    assert "Index Only Scan using leads_lead_first_name_idx" in plans["name"]
    assert "Index Only Scan using leads_lead_source_idx" in plans["status and source"]
    either = r"Index Only Scan using leads_lead_(placement|source)_idx"
    assert re.search(either, plans["placement and source"])
    assert (by_name.count(), pairs["status and source"].count()) == (1000, 750)
    assert pairs["placement and source"].count() == 250
