import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from leads.charts import bar_chart
from leads.dashboard import (
    NO_PLACEMENT,
    NO_SOURCE,
    OTHER,
    DropOff,
    Group,
    dashboard_figures,
)
from leads.models import Lead
from tests.conftest import make_attempt
from tests.leads.conftest import make_lead
from wizard.models import Question, Questionnaire

pytestmark = pytest.mark.django_db

DASHBOARD = "admin:leads_lead_dashboard"
START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
INSIDE = dt.datetime(2026, 10, 15, 12, 0, tzinfo=dt.UTC)
BEFORE = dt.datetime(2026, 9, 30, 23, 59, 59, tzinfo=dt.UTC)
AFTER = dt.datetime(2026, 11, 1, 0, 0, tzinfo=dt.UTC)


def make_questionnaire(*texts: str) -> Questionnaire:
    Questionnaire.objects.filter(is_active=True).update(is_active=False)
    questionnaire = Questionnaire.objects.create(name="Dashboard test", is_active=True)
    for order, text in enumerate(texts):
        Question.objects.create(questionnaire=questionnaire, order=order, text=text)
    return questionnaire


def make_dated_lead(email, *, at=INSIDE, confirmed=False, **fields) -> Lead:
    lead = make_lead(email=email, confirmed_at=at if confirmed else None, **fields)
    Lead.objects.filter(pk=lead.pk).update(created_at=at)
    return lead


@pytest.fixture
def known_dataset():
    """Six attempts and four leads inside October 2026, one of each outside it."""
    questionnaire = make_questionnaire("What energises you?", "Your role?", "Your aim?")
    for outcome in ["CSM", "CSPO", "CSPO"]:
        make_attempt(questionnaire=questionnaire, step=2, outcome=outcome, at=INSIDE)
    make_attempt(questionnaire=questionnaire, step=0, at=INSIDE, outcome="")
    make_attempt(questionnaire=questionnaire, step=2, at=INSIDE, outcome="")
    make_attempt(questionnaire=questionnaire, step=2, at=INSIDE, outcome="")
    make_attempt(questionnaire=questionnaire, at=BEFORE, step=1, outcome="")
    make_attempt(questionnaire=questionnaire, at=AFTER, step=2, outcome="BOTH")
    make_dated_lead("a@example.com", placement="result", utm_source="newsletter", confirmed=True)
    make_dated_lead("b@example.com", placement="result", utm_source="newsletter")
    make_dated_lead(
        "c@example.com", placement="home", utm_source="linkedin", confirmed=True, language="de"
    )
    make_dated_lead("d@example.com")
    make_dated_lead("e@example.com", at=BEFORE, placement="result", confirmed=True, language="de")
    make_dated_lead("f@example.com", at=AFTER, placement="home", language="de")


def test_funnel_numbers_on_a_known_dataset(known_dataset):
    figures = dashboard_figures(start=START, end=END)

    assert [(s.label, s.count, s.rate) for s in figures.funnel] == [
        ("Attempts started", 6, ""),
        ("Attempts completed", 3, "50.0%"),
        ("Leads", 4, "133.3%"),
        ("Leads confirmed", 2, "50.0%"),
    ]


def test_drop_off_per_question(known_dataset):
    figures = dashboard_figures(start=START, end=END)

    # Attempts from before paths were recorded count by position, as they always did.
    assert figures.drop_off == [
        DropOff("Q1. What energises you?", reached=6, stopped=1),
        DropOff("Q2. Your role?", reached=5, stopped=0),
        DropOff("Q3. Your aim?", reached=5, stopped=2),
    ]
    assert figures.drop_off[2].rate == "40.0%"


def test_drop_off_counts_only_attempts_whose_path_reached_the_question(db):
    questionnaire = make_questionnaire("Start?", "Only some?", "Everyone?")
    q1, q2, q3 = questionnaire.questions.order_by("order")
    skipped, through = [q1.pk, q3.pk], [q1.pk, q2.pk, q3.pk]
    for path, step, outcome in [
        (skipped, 1, "CSM"),
        (skipped, 1, "CSM"),
        (skipped, 1, ""),  # stopped at Q3, never saw Q2
        (through, 1, ""),  # stopped at Q2
        (through, 2, "CSPO"),
        (skipped, 0, ""),  # stopped at Q1; its projected path is not "reached"
    ]:
        make_attempt(questionnaire=questionnaire, step=step, outcome=outcome, at=INSIDE, path=path)

    figures = dashboard_figures(start=START, end=END)

    assert figures.drop_off == [
        DropOff("Q1. Start?", reached=6, stopped=1),
        DropOff("Q2. Only some?", reached=2, stopped=1),
        DropOff("Q3. Everyone?", reached=4, stopped=1),
    ]
    assert figures.drop_off[1].rate == "50.0%"
    assert figures.common_paths == [("Q1 → Q3 → result", 2), ("Q1 → Q2 → Q3 → result", 1)]


def test_outcome_mix_counts_completed_attempts(known_dataset):
    figures = dashboard_figures(start=START, end=END)

    assert [count for _, count in figures.outcomes] == [1, 2, 0]


def test_splits_by_placement_and_source(known_dataset):
    figures = dashboard_figures(start=START, end=END)

    assert figures.by_placement == [
        Group("result", 2, 1),
        Group(NO_PLACEMENT, 1, 0),
        Group("home", 1, 1),
    ]
    assert figures.by_source == [
        Group("newsletter", 2, 1),
        Group(NO_SOURCE, 1, 0),
        Group("linkedin", 1, 1),
    ]
    assert figures.by_placement[0].rate == "50.0%"


def test_split_by_language(known_dataset):
    figures = dashboard_figures(start=START, end=END)

    assert figures.by_language == [Group("English", 3, 1), Group("Deutsch", 1, 1)]


def test_a_language_no_longer_on_the_site_counts_as_other(known_dataset, settings):
    make_dated_lead("g@example.com", language="fr", confirmed=True)
    settings.LANGUAGES = [("de", "Deutsch"), ("en", "English")]

    figures = dashboard_figures(start=START, end=END)

    assert figures.by_language == [
        Group("English", 3, 1),
        Group("Deutsch", 1, 1),
        Group(OTHER, 1, 1),
    ]


def test_sources_beyond_the_top_ten_are_grouped_as_other(db):
    for n in range(12):
        for k in range(12 - n):
            make_dated_lead(f"s{n}-{k}@example.com", utm_source=f"src{n:02}", confirmed=k == 0)

    groups = dashboard_figures(start=START, end=END).by_source

    assert [g.label for g in groups] == [*(f"src{n:02}" for n in range(10)), OTHER]
    assert groups[-1] == Group(OTHER, 2 + 1, 2)


def test_empty_range_has_zeros_not_errors(db):
    figures = dashboard_figures(start=START, end=END)

    assert [s.count for s in figures.funnel] == [0, 0, 0, 0]
    assert figures.funnel[1].rate == "n/a"
    assert figures.by_source == []


@pytest.mark.parametrize("size", [1, 40])
def test_query_count_is_bounded_whatever_the_size(django_assert_max_num_queries, size):
    questionnaire = make_questionnaire("Q one", "Q two")
    for n in range(size):
        make_attempt(
            questionnaire=questionnaire, step=n % 2, outcome="CSM" if n % 3 else "", at=INSIDE
        )
        make_dated_lead(f"l{n}@example.com", placement=f"p{n}", utm_source=f"s{n}")

    with django_assert_max_num_queries(8):
        dashboard_figures(start=START, end=END)


# --- the page ----------------------------------------------------------------


def test_dashboard_page_shows_charts_and_tables(admin_client, known_dataset):
    response = admin_client.get(reverse(DASHBOARD), {"start": "2026-10-01", "end": "2026-10-31"})

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<h1") == 1
    assert page.count('role="img"') == 6
    main = page[page.index('<div id="content-main" class="dashboard-main">') :]
    # One table per chart, the common paths and the split by embed site.
    assert main.count("<caption>") == 8
    assert '<title id="chart-funnel-title">' in page
    assert re.search(r"<th scope=\"row\">Leads confirmed</th><td class=\"number\">2</td>", page)
    assert '<h2 id="language-heading">By language</h2>' in page
    assert re.search(r"<th scope=\"row\">Deutsch</th><td class=\"number\">1</td>", page)
    assert "<script>" not in page
    assert "style=" not in page
    assert "<style" not in page


def test_dashboard_query_budget(admin_client, known_dataset, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        admin_client.get(reverse(DASHBOARD), {"start": "2026-10-01", "end": "2026-10-31"})


def test_dashboard_defaults_to_the_last_30_days(admin_client):
    response = admin_client.get(reverse(DASHBOARD))

    figures = response.context["figures"]
    today = timezone.localdate()
    assert (figures.start, figures.end) == (today - dt.timedelta(days=29), today)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "banana", "end": "2026-10-31"}, "Enter a valid date."),
        ({"start": "2026-11-01", "end": "2026-10-01"}, "start date must be on or before"),
        ({"start": "2026-10-01"}, "This field is required."),
    ],
)
def test_bad_dates_are_a_form_error(admin_client, query, message):
    response = admin_client.get(reverse(DASHBOARD), query)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "figures" not in response.context


def test_dashboard_needs_the_view_lead_permission(client):
    user = User.objects.create_user("plain", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(reverse(DASHBOARD)).status_code == 403

    user.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client.force_login(User.objects.get(pk=user.pk))
    assert client.get(reverse(DASHBOARD)).status_code == 200


def test_admin_index_links_the_dashboard(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()

    assert reverse(DASHBOARD) in page


def test_admin_index_hides_the_link_without_lead_access(client):
    client.force_login(User.objects.create_user("plain", password="pw", is_staff=True))

    assert reverse(DASHBOARD) not in client.get(reverse("admin:index")).content.decode()


def test_chart_labels_are_escaped_and_bars_scale():
    svg = bar_chart(
        chart_id="c",
        title="T <b>",
        rows=[("<script>alert(1)</script>", (10,)), ("half", (5,))],
    )

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert '<title id="c-title">T &lt;b&gt;</title>' in svg
    widths = [float(w) for w in re.findall(r'<rect x="\d+" y="[\d.]+" width="([\d.]+)"', svg)]
    assert widths[0] == 2 * widths[1] > 0


def test_two_series_chart_has_a_legend():
    svg = bar_chart(chart_id="c", title="T", rows=[("a", (4, 2))], series=("Leads", "Confirmed"))

    assert ">Leads</text>" in svg
    assert ">Confirmed</text>" in svg
    assert svg.count("chart__bar--1") == 2
