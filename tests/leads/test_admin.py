import csv
import datetime as dt
import io
from urllib.parse import urlencode

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission, User
from django.core import serializers
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leads.admin import LeadAdmin
from leads.admin import changelist as leads_changelist
from leads.admin.changelist import EstimatedCountPaginator
from leads.export import BOM
from leads.models import Lead, LeadErasure, LeadExport
from tests.conftest import make_attempt
from tests.leads.conftest import make_lead, submit_form
from wizard.models import Attempt

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:leads_lead_changelist"
EXPORT_URL = "admin:leads_lead_export"


def make_staff(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def rows_of(response) -> list[dict[str, str]]:
    data = b"".join(response.streaming_content)
    assert data.startswith(BOM)
    return list(csv.DictReader(io.StringIO(data[len(BOM) :].decode(), newline="")))


@pytest.fixture
def exporter_client(client):
    client.force_login(make_staff("marketer", "view_lead", "export_lead"))
    return client


@pytest.fixture
def viewer_client(client):
    client.force_login(make_staff("viewer", "view_lead"))
    return client


@pytest.fixture
def some_leads(db) -> list[Lead]:
    leads = [
        make_lead(
            email="ana@example.com",
            first_name="Ana",
            status=Lead.Status.CONFIRMED,
            outcome="CSPO",
            utm_source="newsletter",
            utm_campaign="autumn",
            placement="result",
        ),
        make_lead(
            email="bob@example.com",
            first_name="Bob",
            status=Lead.Status.CONFIRMED,
            outcome="CSM",
            utm_source="linkedin",
            placement="home-hero",
        ),
        make_lead(
            email="cy@example.com",
            first_name="Cy",
            status=Lead.Status.PENDING,
            outcome="CSPO",
            utm_source="newsletter",
        ),
    ]
    return leads


def export_post(client, query: dict[str, str]):
    """Press the export page's button: a POST to the export URL with the filters."""
    return client.post(f"{reverse(EXPORT_URL)}?{urlencode(query)}")


def action_post(client, action: str, leads: list[Lead], query: str = "", **extra):
    return client.post(
        reverse(CHANGELIST) + query,
        {"action": action, "_selected_action": [lead.pk for lead in leads], **extra},
        follow=True,
    )


# --- changelist --------------------------------------------------------------


def test_changelist_lists_the_columns_marketers_need(admin_client, some_leads):
    response = admin_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    page = response.content.decode()
    for text in ["ana@example.com", "Ana", "newsletter", "home-hero", "Confirmed"]:
        assert text in page
    assert response.context["cl"].list_display == ["action_checkbox", *LeadAdmin.list_display]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "ana@"}, {"ana@example.com"}),
        ({"q": "bob"}, {"bob@example.com"}),
        # A whole address finds that lead in any case, and only that lead.
        ({"q": " Ana@Example.COM "}, {"ana@example.com"}),
        ({"q": "na@example.com"}, set()),
        ({"q": "example.com"}, {"ana@example.com", "bob@example.com", "cy@example.com"}),
        ({"status__exact": "confirmed"}, {"ana@example.com", "bob@example.com"}),
        ({"outcome__exact": "CSPO"}, {"ana@example.com", "cy@example.com"}),
        ({"placement": "home-hero"}, {"bob@example.com"}),
        ({"placement": "-"}, {"cy@example.com"}),
        ({"utm_source": "newsletter"}, {"ana@example.com", "cy@example.com"}),
        (
            {"utm_source": "newsletter", "status__exact": "confirmed", "outcome__exact": "CSPO"},
            {"ana@example.com"},
        ),
    ],
)
def test_search_and_filters(admin_client, some_leads, query, expected):
    response = admin_client.get(reverse(CHANGELIST), query)

    assert {lead.email for lead in response.context["cl"].result_list} == expected


def test_created_date_filter_and_hierarchy(admin_client, some_leads):
    Lead.objects.filter(email="ana@example.com").update(
        created_at=dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC)
    )

    by_hierarchy = admin_client.get(
        reverse(CHANGELIST), {"created_at__year": "2025", "created_at__month": "3"}
    )
    # The "Past 7 days" link of the created filter.
    [spec] = [
        spec
        for spec in admin_client.get(reverse(CHANGELIST)).context["cl"].filter_specs
        if spec.title == "created at"
    ]
    [past_week] = [q for title, q in spec.links if title == "Past 7 days"]
    last_week = admin_client.get(reverse(CHANGELIST), past_week)

    assert [lead.email for lead in by_hierarchy.context["cl"].result_list] == ["ana@example.com"]
    assert {lead.email for lead in last_week.context["cl"].result_list} == {
        "bob@example.com",
        "cy@example.com",
    }


def test_placement_and_source_filters_list_the_values_found(admin_client, some_leads):
    response = admin_client.get(reverse(CHANGELIST))
    specs = {spec.title: spec for spec in response.context["cl"].filter_specs}

    assert [v for v, _ in specs["placement"].lookup_choices] == ["home-hero", "result", "-"]
    assert [v for v, _ in specs["UTM source"].lookup_choices] == ["linkedin", "newsletter", "-"]


def count_changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(CHANGELIST)).status_code == 200
    return len(queries)


def test_changelist_query_count_does_not_grow_with_the_page(admin_client):
    attempt = make_attempt(csm_score=10, cspo_score=90, outcome="CSPO")
    for n in range(3):
        make_lead(email=f"a{n}@example.com", attempt=attempt, placement=f"p{n}")
    small = count_changelist_queries(admin_client)
    for n in range(3, 60):
        make_lead(email=f"a{n}@example.com", attempt=attempt, placement=f"p{n}")

    large = count_changelist_queries(admin_client)

    assert small == large
    # Session, user, three filter choice lists, the planner's estimate (PostgreSQL),
    # the count, the page, and the date hierarchy's range and dates.
    assert large <= 10


@pytest.mark.parametrize(
    "pair",
    [
        {"status__exact": "confirmed", "utm_source": "newsletter"},
        {"placement": "result", "utm_source": "newsletter"},
        {"status__exact": "confirmed", "language__exact": "en"},
    ],
)
def test_a_filter_pair_keeps_the_list_within_its_query_budget(admin_client, pair):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(reverse(CHANGELIST), pair).status_code == 200
        return len(captured)

    for n in range(3):
        make_lead(
            email=f"p{n}@example.com",
            status="confirmed",
            placement="result",
            utm_source="newsletter",
        )
    few = queries()
    for n in range(3, 60):
        make_lead(
            email=f"p{n}@example.com",
            status="confirmed",
            placement="result",
            utm_source="newsletter",
        )

    # As the unfiltered list, with the bounded count of the pair (and its estimate).
    assert queries() == few <= 11


def test_paginator_counts_exactly_on_a_filtered_queryset(some_leads):
    paginator = EstimatedCountPaginator(Lead.objects.filter(status="confirmed"), 100)

    assert paginator.count == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_class is PostgreSQL's")
def test_paginator_uses_the_planner_estimate_for_a_big_unfiltered_table(monkeypatch, some_leads):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'leads_lead'")
        (estimate,) = cursor.fetchone()
    monkeypatch.setattr(leads_changelist, "EXACT_COUNT_BELOW", 0)

    with CaptureQueriesContext(connection) as queries:
        count = EstimatedCountPaginator(Lead.objects.all(), 100).count

    assert count == estimate
    assert not any("COUNT(" in q["sql"].upper() for q in queries)


def test_change_page_shows_wizard_answers_read_only(admin_client):
    attempt = make_attempt(
        csm_score=30,
        cspo_score=80,
        outcome="CSPO",
        result={
            "answers": [
                {"question": "What energises you?", "choices": ["Defining the product"]},
                {"question": "Strongest skills?", "choices": ["Prioritising", "Storytelling"]},
            ],
            "reasons": ["You like deciding what to build."],
        },
    )
    lead = make_lead(attempt=attempt)

    response = admin_client.get(reverse("admin:leads_lead_change", args=[lead.pk]))

    page = response.content.decode()
    assert "What energises you?" in page
    assert "Prioritising, Storytelling" in page
    assert "CSM 30% · CSPO 80%" in page
    assert 'name="email"' not in page
    assert 'name="consent_version"' not in page
    assert 'name="first_name"' in page


def test_nobody_adds_leads_by_hand(admin_client):
    assert admin_client.get(reverse("admin:leads_lead_add")).status_code == 403


# --- export ------------------------------------------------------------------


def test_export_selected_action_exports_only_the_selection(exporter_client, some_leads):
    ana, bob, _ = some_leads

    response = action_post(exporter_client, "export_selected", [ana, bob])

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="certguide-leads-{dt.date.today().isoformat()}.csv"'
    )
    assert [r["email"] for r in rows_of(response)] == ["ana@example.com", "bob@example.com"]
    export = LeadExport.objects.get()
    assert export.user.username == "marketer"
    assert export.source == LeadExport.Source.ADMIN
    assert export.row_count == 2
    assert export.filters == {"scope": "selected"}


def test_export_all_matching_goes_beyond_the_visible_page(exporter_client, some_leads, monkeypatch):
    monkeypatch.setattr(LeadAdmin, "list_per_page", 2)
    for n in range(5):
        make_lead(email=f"news{n}@example.com", utm_source="newsletter")
    query = {"utm_source": "newsletter", "q": "example.com", "p": "2"}

    page = exporter_client.get(reverse(CHANGELIST), query)
    response = export_post(exporter_client, query)

    assert len(page.context["cl"].result_list) <= 2
    assert {r["email"] for r in rows_of(response)} == {
        "ana@example.com",
        "cy@example.com",
        *(f"news{n}@example.com" for n in range(5)),
    }
    export = LeadExport.objects.get()
    assert export.row_count == 7
    assert export.filters == {
        "utm_source": "newsletter",
        "q": "example.com",
        "scope": "all matching",
    }


def test_export_button_carries_the_current_filters(exporter_client, some_leads):
    response = exporter_client.get(reverse(CHANGELIST), {"status__exact": "confirmed", "p": "1"})

    assert f'href="{reverse(EXPORT_URL)}?status__exact=confirmed"' in response.content.decode()


def test_select_across_exports_everything_matching(exporter_client, some_leads):
    response = action_post(
        exporter_client,
        "export_selected",
        some_leads[:1],
        "?status__exact=confirmed",
        select_across="1",
    )

    assert {r["email"] for r in rows_of(response)} == {"ana@example.com", "bob@example.com"}
    assert LeadExport.objects.get().filters == {
        "status__exact": "confirmed",
        "scope": "all matching",
    }


@pytest.mark.parametrize("method", ["get", "post"])
def test_export_with_bad_filters_says_so_and_exports_nothing(exporter_client, some_leads, method):
    url = reverse(EXPORT_URL) + "?nonsense__field=1"
    response = getattr(exporter_client, method)(url, follow=True)

    assert response.status_code == 200
    assert "nothing was exported" in response.content.decode()
    assert not LeadExport.objects.exists()


def test_staff_without_the_export_permission_never_sees_the_export(viewer_client, some_leads):
    page = viewer_client.get(reverse(CHANGELIST))
    action = action_post(viewer_client, "export_selected", some_leads)
    direct = viewer_client.get(reverse(EXPORT_URL))
    direct_post = viewer_client.post(reverse(EXPORT_URL))

    assert page.status_code == 200
    assert "export_selected" not in page.content.decode()
    assert reverse(EXPORT_URL) not in page.content.decode()
    assert not action.get("Content-Type", "").startswith("text/csv")
    assert direct.status_code == direct_post.status_code == 403
    assert not LeadExport.objects.exists()


def test_exporter_sees_the_action_and_the_button(exporter_client, some_leads):
    page = exporter_client.get(reverse(CHANGELIST)).content.decode()

    assert 'value="export_selected"' in page
    assert reverse(EXPORT_URL) in page


def test_anonymous_visitor_is_sent_to_the_login(client):
    response = client.get(reverse(EXPORT_URL))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def logged_in_browser(user: User) -> Client:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    return browser


def test_opening_the_export_url_downloads_and_records_nothing(some_leads):
    """A link (or an <img>) on another site only shows the page with the button."""
    browser = logged_in_browser(make_staff("marketer", "view_lead", "export_lead"))

    page = browser.get(reverse(EXPORT_URL), {"status__exact": "confirmed", "q": "example"})

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "ana@example.com" not in html
    assert "search: “example”" in html
    assert "status: Confirmed" in html
    assert 'value="Download the CSV"' in html
    assert not LeadExport.objects.exists()


def test_export_post_without_the_csrf_token_is_refused(some_leads):
    """A form on another site can POST with the marketer's cookies, but not the token."""
    browser = logged_in_browser(make_staff("marketer", "view_lead", "export_lead"))
    browser.get(reverse(EXPORT_URL))  # the CSRF cookie is there; the token is not sent

    refused = browser.post(reverse(EXPORT_URL), {"status__exact": "confirmed"})
    action = browser.post(
        reverse(CHANGELIST),
        {"action": "export_selected", "index": "0", "_selected_action": [some_leads[0].pk]},
    )

    assert refused.status_code == action.status_code == 403
    assert not refused.get("Content-Type", "").startswith("text/csv")
    assert not LeadExport.objects.exists()


def test_export_permission_without_view_permission_exports_nothing(some_leads):
    browser = logged_in_browser(make_staff("exporter", "export_lead"))
    confirmation = browser.get(reverse(EXPORT_URL))
    browser.get(reverse("admin:index"))  # a page this user may see, for the CSRF cookie
    token = browser.cookies["csrftoken"].value

    download = browser.post(reverse(EXPORT_URL), {"csrfmiddlewaretoken": token})
    action = browser.post(
        reverse(CHANGELIST),
        {
            "csrfmiddlewaretoken": token,
            "action": "export_selected",
            "index": "0",
            "_selected_action": [lead.pk for lead in some_leads],
        },
    )

    assert confirmation.status_code == download.status_code == action.status_code == 403
    assert not LeadExport.objects.exists()


def test_marketer_exports_with_the_button(some_leads):
    from django.contrib.auth.models import Group

    marketer = User.objects.create_user("marketer", password="pw", is_staff=True)
    marketer.groups.add(Group.objects.get(name="Marketing"))
    browser = logged_in_browser(marketer)
    changelist = browser.get(reverse(CHANGELIST), {"status__exact": "confirmed"})
    [link] = [
        line.split('href="')[1].split('"')[0].replace("&amp;", "&")
        for line in changelist.content.decode().splitlines()
        if "export-link" in line
    ]

    page = browser.get(link)
    download = submit_form(browser, page, having="Download the CSV")

    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert {r["email"] for r in rows_of(download)} == {"ana@example.com", "bob@example.com"}
    export = LeadExport.objects.get()
    assert export.user == marketer
    assert export.filters == {"status__exact": "confirmed", "scope": "all matching"}


# --- records -----------------------------------------------------------------


def test_export_records_are_for_superusers_only(admin_client, exporter_client):
    LeadExport.objects.create(row_count=3, filters={"q": "x"}, source="admin")

    assert admin_client.get(reverse("admin:leads_leadexport_changelist")).status_code == 200
    assert exporter_client.get(reverse("admin:leads_leadexport_changelist")).status_code == 403


@pytest.mark.parametrize("model", ["leadexport", "leaderasure"])
def test_records_are_read_only(admin_client, model):
    assert admin_client.get(reverse(f"admin:leads_{model}_add")).status_code == 403


# --- GDPR erase --------------------------------------------------------------


def no_trace_of(address: str) -> bool:
    dump = serializers.serialize(
        "json",
        [
            *Lead.objects.all(),
            *LeadExport.objects.all(),
            *LeadErasure.objects.all(),
            *Attempt.objects.all(),
            *LogEntry.objects.all(),
        ],
    )
    return address.lower() not in dump.lower()


def test_erase_asks_for_confirmation_first(admin_client, some_leads):
    response = action_post(admin_client, "erase_selected", some_leads[:1])

    assert response.status_code == 200
    assert "ana@example.com" in response.content.decode()
    assert Lead.objects.count() == 3
    assert not LeadErasure.objects.exists()


def test_erase_leaves_no_trace_of_the_address(admin_client, admin_user):
    attempt = make_attempt(
        utm_source="newsletter", utm_campaign="autumn", referrer="https://mail.example/"
    )
    lead = make_lead(email="Erase.Me@example.com", attempt=attempt)
    keep = make_lead(email="keep@example.com")
    LogEntry.objects.log_actions(
        user_id=admin_user.pk, queryset=[lead], action_flag=CHANGE, change_message="x"
    )
    LeadExport.objects.create(
        user=admin_user, row_count=1, filters={"q": "erase.me@example.com"}, source="admin"
    )
    assert not no_trace_of("erase.me@example.com")

    response = action_post(admin_client, "erase_selected", [lead], confirm="yes", expected="1")

    assert "Erased 1 lead" in response.content.decode()
    assert list(Lead.objects.all()) == [keep]
    assert no_trace_of("erase.me@example.com")
    attempt.refresh_from_db()
    assert (attempt.utm_source, attempt.utm_campaign, attempt.referrer) == ("", "", "")
    erasure = LeadErasure.objects.get()
    assert erasure.count == 1
    assert LogEntry.objects.get().object_repr == "(erased lead)"
    assert LeadExport.objects.get().filters == {"q": "(erased)"}


@pytest.fixture
def superuser_browser(admin_user) -> Client:
    """A superuser's browser: its own cookies, CSRF checked like a real one."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    return browser


def choose_action(browser: Client, page, action: str, leads: list[Lead], **extra):
    """Tick ``leads`` on the changelist ``page``, pick ``action`` and press Go."""
    return browser.post(
        page.wsgi_request.get_full_path(),
        {
            "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
            "action": action,
            "index": "0",
            "_selected_action": [lead.pk for lead in leads],
            **extra,
        },
    )


def test_erase_all_matching_a_search_erases_them_all(superuser_browser, some_leads, monkeypatch):
    """The admin flow: search, tick the page, "select all matching", erase, confirm."""
    monkeypatch.setattr(LeadAdmin, "list_per_page", 2)
    doomed = [make_lead(email=f"gone{n}@drop.example", first_name="Gone") for n in range(5)]

    page = superuser_browser.get(reverse(CHANGELIST), {"q": "drop.example"})
    on_page = list(page.context["cl"].result_list)
    confirmation = choose_action(
        superuser_browser, page, "erase_selected", on_page, select_across="1"
    )

    assert len(on_page) == 2
    assert confirmation.status_code == 200
    html = confirmation.content.decode()
    assert all(lead.email in html for lead in doomed)
    assert "ana@example.com" not in html
    assert "Yes, erase 5 leads for good" in html
    assert Lead.objects.count() == 8

    done = submit_form(superuser_browser, confirmation, having="erase_selected")

    assert done.redirect_chain[-1][0].endswith("?q=drop.example")
    assert "Erased 5 leads." in done.content.decode()
    assert set(Lead.objects.values_list("email", flat=True)) == {lead.email for lead in some_leads}
    assert LeadErasure.objects.get().count == 5


def test_erase_ticked_rows_erases_only_those(superuser_browser, some_leads):
    ana, bob, cy = some_leads
    page = superuser_browser.get(reverse(CHANGELIST))

    confirmation = choose_action(superuser_browser, page, "erase_selected", [ana, cy])
    done = submit_form(superuser_browser, confirmation, having="erase_selected")

    assert "Yes, erase 2 leads for good" in confirmation.content.decode()
    assert "Erased 2 leads." in done.content.decode()
    assert list(Lead.objects.all()) == [bob]
    assert LeadErasure.objects.get().count == 2


def test_erase_one_lead(superuser_browser, some_leads):
    ana, bob, cy = some_leads
    page = superuser_browser.get(reverse(CHANGELIST), {"q": "bob"})

    confirmation = choose_action(superuser_browser, page, "erase_selected", [bob])
    done = submit_form(superuser_browser, confirmation, having="erase_selected")

    assert "Yes, erase 1 lead for good" in confirmation.content.decode()
    assert "Erased 1 lead." in done.content.decode()
    assert set(Lead.objects.all()) == {ana, cy}


def test_erase_all_matching_asks_again_when_the_matches_changed(superuser_browser, some_leads):
    make_lead(email="one@drop.example")
    page = superuser_browser.get(reverse(CHANGELIST), {"q": "drop.example"})
    confirmation = choose_action(
        superuser_browser, page, "erase_selected", page.context["cl"].result_list, select_across="1"
    )
    make_lead(email="newcomer@drop.example")

    again = submit_form(superuser_browser, confirmation, having="erase_selected")

    assert "changed since you looked: 2 match now" in again.content.decode()
    assert "Yes, erase 2 leads for good" in again.content.decode()
    assert Lead.objects.count() == 5
    assert not LeadErasure.objects.exists()

    done = submit_form(superuser_browser, again, having="erase_selected")

    assert "Erased 2 leads." in done.content.decode()
    assert Lead.objects.count() == 3


def test_erase_confirmation_without_the_csrf_token_is_refused(superuser_browser, some_leads):
    page = superuser_browser.get(reverse(CHANGELIST))
    confirmation = choose_action(superuser_browser, page, "erase_selected", some_leads)

    refused = submit_form(
        superuser_browser, confirmation, having="erase_selected", csrfmiddlewaretoken=""
    )

    assert refused.status_code == 403
    assert Lead.objects.count() == 3


def test_erase_is_for_superusers_only(client, some_leads):
    user = make_staff("almost", "view_lead", "change_lead", "delete_lead", "export_lead")
    client.force_login(user)

    page = client.get(reverse(CHANGELIST)).content.decode()
    action_post(client, "erase_selected", some_leads, confirm="yes", expected="3")

    assert "erase_selected" not in page
    assert Lead.objects.count() == 3
    assert not LeadErasure.objects.exists()


def test_erase_action_rechecks_the_user(rf, some_leads):
    from django.contrib.admin import site
    from django.core.exceptions import PermissionDenied

    request = rf.post("/", {"confirm": "yes"})
    request.user = make_staff("sneaky", "view_lead", "delete_lead")

    with pytest.raises(PermissionDenied):
        site.get_model_admin(Lead).erase_selected(request, Lead.objects.all())
    assert Lead.objects.count() == 3


def test_plain_delete_is_replaced_by_the_erase(admin_client, some_leads):
    page = admin_client.get(reverse(CHANGELIST)).content.decode()
    delete_page = admin_client.get(reverse("admin:leads_lead_delete", args=[some_leads[0].pk]))

    assert 'value="delete_selected"' not in page
    assert 'value="erase_selected"' in page
    assert delete_page.status_code == 403


def test_export_all_matching_counts_nothing(exporter_client, some_leads):
    with CaptureQueriesContext(connection) as queries:
        rows = rows_of(export_post(exporter_client, {"status__exact": "confirmed"}))

    assert len(rows) == 2
    assert not any("COUNT(" in q["sql"].upper() for q in queries)


def test_filter_values_come_from_the_latest_leads(admin_client, some_leads, monkeypatch):
    monkeypatch.setattr(leads_changelist, "RECENT_LEADS", 2)
    Lead.objects.filter(email="ana@example.com").update(
        created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )

    response = admin_client.get(reverse(CHANGELIST))
    specs = {spec.title: spec for spec in response.context["cl"].filter_specs}

    assert [v for v, _ in specs["placement"].lookup_choices] == ["home-hero", "-"]
    assert response.context["cl"].result_count == 3


def test_marketer_exports_last_weeks_confirmed_cspo_leads_from_one_campaign(exporter_client):
    """The issue's "done when": narrow, export, open in a spreadsheet safely."""
    wanted = {"campaign": "autumn", "status": Lead.Status.CONFIRMED, "outcome": "CSPO"}
    make_lead(
        email="zoe@example.com",
        first_name="Zoë 李",
        utm_campaign="autumn",
        status=Lead.Status.CONFIRMED,
        outcome="CSPO",
    )
    make_lead(
        email="formula@example.com",
        first_name="=1+1",
        utm_campaign="autumn",
        status=Lead.Status.CONFIRMED,
        outcome="CSPO",
    )
    make_lead(
        email="old@example.com", utm_campaign="autumn", status=Lead.Status.CONFIRMED, outcome="CSPO"
    )
    Lead.objects.filter(email="old@example.com").update(
        created_at=timezone.now() - dt.timedelta(days=30)
    )
    make_lead(email="pending@example.com", utm_campaign="autumn", outcome="CSPO")
    make_lead(
        email="csm@example.com", utm_campaign="autumn", status=Lead.Status.CONFIRMED, outcome="CSM"
    )
    make_lead(
        email="spring@example.com",
        utm_campaign="spring",
        status=Lead.Status.CONFIRMED,
        outcome="CSPO",
    )
    page = exporter_client.get(reverse(CHANGELIST))
    [created] = [s for s in page.context["cl"].filter_specs if s.title == "created at"]
    [past_week] = [q for title, q in created.links if title == "Past 7 days"]
    query = {
        **past_week,
        "status__exact": wanted["status"],
        "outcome__exact": wanted["outcome"],
        "utm_campaign": wanted["campaign"],
    }

    listed = exporter_client.get(reverse(CHANGELIST), query)
    rows = rows_of(export_post(exporter_client, query))

    assert {lead.email for lead in listed.context["cl"].result_list} == {
        "zoe@example.com",
        "formula@example.com",
    }
    assert {(r["email"], r["first_name"]) for r in rows} == {
        ("zoe@example.com", "Zoë 李"),
        ("formula@example.com", "'=1+1"),
    }
