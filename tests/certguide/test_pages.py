import re
from html import unescape

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certguide import generations
from certguide.models import Certification, CertificationPoint, PageSection

from .conftest import PUBLIC_PAGES, make_section

pytestmark = pytest.mark.django_db


def title_of(html: str) -> str:
    return unescape(re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip())


def h1s_of(html: str) -> list[str]:
    return [
        unescape(re.sub(r"<[^>]+>", "", h)).strip()
        for h in re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    ]


def meta(html: str, attribute: str, name: str) -> str:
    match = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)"', html)
    return unescape(match.group(1)) if match else ""


@pytest.mark.parametrize(
    ("path", "title", "h1"),
    [
        (
            "/",
            "CSM or CSPO? Find the Scrum certification that fits you",
            "CSM or CSPO: which Scrum certification fits you?",
        ),
        (
            "/certifications/csm/",
            "Certified ScrumMaster (CSM): the Scrum Master role and who it fits",
            "Certified ScrumMaster (CSM)",
        ),
        (
            "/certifications/cspo/",
            "Certified Scrum Product Owner (CSPO): the Product Owner role and who it fits",
            "Certified Scrum Product Owner (CSPO)",
        ),
        (
            "/compare/",
            "CSM vs CSPO: the key differences side by side",
            "CSM vs CSPO: the key differences",
        ),
        (
            "/choose/",
            "How to choose between CSM and CSPO (or take both)",
            "How to choose: CSM, CSPO or both",
        ),
    ],
)
def test_page_answers_with_its_title_and_one_h1(visitor, path, title, h1):
    response = visitor.get(path)
    html = response.content.decode()

    assert response.status_code == 200
    assert title_of(html) == f"{title} · certguide"
    assert h1s_of(html) == [h1]


def test_every_page_has_its_own_title_description_canonical_and_open_graph(visitor):
    seen_titles, seen_descriptions = set(), set()
    for path in PUBLIC_PAGES:
        html = visitor.get(path).content.decode()
        title = title_of(html).removesuffix(" · certguide")
        description = meta(html, "name", "description")

        assert f'<link rel="canonical" href="http://testserver{path}">' in html
        assert meta(html, "property", "og:url") == f"http://testserver{path}"
        assert meta(html, "property", "og:title") == title
        assert meta(html, "property", "og:description") == description
        assert meta(html, "property", "og:type") == "website"
        assert 50 <= len(description) <= 160
        seen_titles.add(title)
        seen_descriptions.add(description)

    assert len(seen_titles) == len(seen_descriptions) == len(PUBLIC_PAGES)


def test_canonical_url_drops_the_query_string(visitor):
    html = visitor.get("/compare/?utm_source=news").content.decode()

    assert '<link rel="canonical" href="http://testserver/compare/">' in html


def test_unknown_certification_is_a_404(visitor):
    assert visitor.get("/certifications/pmp/").status_code == 404


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_page_renders_in_three_queries_and_a_cache_hit_in_none(
    visitor, path, django_assert_max_num_queries, django_assert_num_queries
):
    with django_assert_max_num_queries(3):
        first = visitor.get(path)
    with django_assert_num_queries(0):
        second = visitor.get(path)

    assert first.status_code == second.status_code == 200
    assert second.content == first.content


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_get_writes_nothing_and_sets_no_cookie(visitor, path):
    with CaptureQueriesContext(connection) as queries:
        response = visitor.get(path)

    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)
    assert "Set-Cookie" not in response.headers
    assert not response.cookies
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert "<form" not in response.content.decode()


def test_role_page_lists_responsibilities_benefits_and_audiences_in_order(visitor, cspo):
    html = unescape(visitor.get("/certifications/cspo/").content.decode())

    positions = [
        html.index(point.text)
        for point in [*cspo.responsibilities, *cspo.benefits, *cspo.audiences]
    ]
    assert positions == sorted(positions)
    assert "Key responsibilities of a Product Owner" in html
    assert "Daily Scrum too when it helps (attending that one is optional)" in html


def test_reordering_a_list_in_the_data_reorders_the_page(visitor, csm, committed):
    first, second = csm.responsibilities[:2]
    visitor.get("/certifications/csm/")  # warm the cache

    first.order, second.order = second.order, first.order
    with committed(execute=True):
        first.save()
        second.save()
    html = unescape(visitor.get("/certifications/csm/").content.decode())

    assert html.index(second.text) < html.index(first.text)


def test_every_seeded_fact_is_on_some_page(visitor):
    site = "".join(unescape(visitor.get(path).content.decode()) for path in PUBLIC_PAGES)
    inline = re.sub(r"</?(em|strong)>", "", site)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline))

    for certification in Certification.objects.for_pages():
        for _, [(_, value)] in Certification.comparison_table([certification]):
            assert value in text
        for point in certification.points.all():
            assert point.text in text
            assert point.title in text
    for section in PageSection.objects.all():
        assert section.title in text
        for line in section.body.splitlines():
            words = re.sub(r"[*_]", "", line.removeprefix("- ")).strip()
            assert words in text


def test_missing_page_section_leaves_a_working_page(visitor):
    PageSection.objects.get(slug="choose-both").delete()

    response = visitor.get("/choose/")

    assert response.status_code == 200
    assert "Consider taking both" not in response.content.decode()


def test_points_without_title_render_as_plain_items(visitor, csm):
    point = csm.audiences[0]

    html = visitor.get("/certifications/csm/").content.decode()

    assert point.title == ""
    assert f"<li>{point.text}</li>" in html


def test_markdown_copy_is_rendered(visitor):
    make_section(slug="choose-intro", body="A **bold** claim.\n\n- one\n- two")

    html = visitor.get("/choose/").content.decode()

    assert "<strong>bold</strong>" in html
    assert "<li>one</li>" in html


def test_point_text_is_escaped(visitor, csm):
    CertificationPoint.objects.create(
        certification=csm, kind="benefit", text="<b>loud</b> & proud", order=99
    )

    html = visitor.get("/certifications/csm/").content.decode()

    assert "&lt;b&gt;loud&lt;/b&gt; &amp; proud" in html


def comparison_table(html: str) -> list[tuple[str, list[str]]]:
    """(row label, [cell text, ...]) for each body row of the key-differences table."""
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", html, re.S).group(1)
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        label = re.search(r"<th[^>]*>(.*?)</th>", row, re.S).group(1)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append((unescape(label).strip(), [unescape(c).strip() for c in cells]))
    return rows


def test_comparison_table_has_the_five_rows_for_both_certifications(visitor, csm, cspo):
    rows = comparison_table(visitor.get("/compare/").content.decode())

    assert rows == [
        (label, [value for _, value in cells])
        for label, cells in Certification.comparison_table([csm, cspo])
    ]
    assert [label for label, _ in rows] == [label for _, label in Certification.COMPARISON_ROWS]
    assert rows[0][1][0].startswith("Keeping the Scrum process running")


def test_comparison_table_follows_the_data_even_after_a_cache_hit(visitor, cspo, committed):
    visitor.get("/compare/")
    visitor.get("/compare/")  # served from the cache

    cspo.main_goal = "Ship what customers actually value"
    with committed(execute=True):
        cspo.save()
    rows = dict(comparison_table(visitor.get("/compare/").content.decode()))

    assert rows["Main goal"][1] == "Ship what customers actually value"


def test_page_copy_saved_through_the_model_shows_after_a_cache_hit(visitor, committed):
    visitor.get("/")
    section = PageSection.objects.get(slug="home-intro")

    section.body = "Brand new introduction."
    with committed(execute=True):
        section.save()

    assert "<p>Brand new introduction.</p>" in visitor.get("/").content.decode()


def test_migrate_drops_cached_pages_once(visitor, committed):
    visitor.get("/choose/")
    # A data migration changes copy with no model signal, as update() does here.
    PageSection.objects.filter(slug="choose-intro").update(body="Copy from a data migration.")

    with committed() as bumps:
        call_command("migrate", verbosity=0)
    stale = visitor.get("/choose/").content.decode()
    for bump in bumps:
        bump()

    # Nothing changes before the commit; after it, the page shows the new copy.
    assert "Copy from a data migration." not in stale
    assert "Copy from a data migration." in visitor.get("/choose/").content.decode()
    # One bump per family, not one per installed app.
    assert len(bumps) == len(generations.Family)
