"""The leads list's search can use the trigram index on PostgreSQL (issue 18)."""

import pytest
from django.db import connection
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
    from django.contrib import admin
    from django.test import RequestFactory

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
