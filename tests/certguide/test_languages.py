"""Admin-edited copy in English and German: the seeded German, the German pages, editing
both languages side by side, and the English shown (and flagged) where German is missing."""

import io
import re
from html import unescape

import pytest
from django.utils import translation
from pypdf import PdfReader

from certguide.models import Certification, CertificationPoint, PageSection
from certguide.translation_admin import missing_german, translated_fields
from leads.guide import render_guide
from leads.models import TrainingMaterial
from tests.leads.conftest import make_lead
from wizard.models import Choice, Question

from .conftest import form_data

pytestmark = pytest.mark.django_db

TRANSLATED = [Certification, CertificationPoint, PageSection, Question, Choice, TrainingMaterial]
# Names German practitioners use in English: the certifications, the roles, "Coaching".
SAME_IN_GERMAN = {
    "Certified ScrumMaster",
    "Certified Scrum Product Owner",
    "Scrum Master",
    "Product Owner",
    "Coaching",
}


def page(visitor, url: str) -> str:
    response = visitor.get(url)
    assert response.status_code == 200, url
    return unescape(response.content.decode())


def test_every_seeded_text_has_its_german():
    checked = 0
    for model in TRANSLATED:
        rows = list(model.objects.all())
        assert rows, model
        for row in rows:
            for name in translated_fields(model):
                english, german = getattr(row, f"{name}_en"), getattr(row, f"{name}_de")
                if not english:
                    assert not german, (row, name)
                    continue
                assert german, f"{model.__name__} {row.pk} {name} has no German"
                assert german != english or english in SAME_IN_GERMAN, (row, name, german)
                checked += 1
    # 16 certification texts, 50 of points, 13 of sections, 10 of questions, 66 of answers
    # and 16 of materials.
    assert checked >= 171


def test_german_pages_show_the_german_copy_and_english_pages_the_english(visitors):
    english, german = visitors(2)
    pairs = [
        ("/compare/", "Getting the most value out of the product", "Den größtmöglichen Wert"),
        ("/", "Agile ways of working have spread", "Agile Arbeitsweisen haben sich"),
        ("/certifications/csm/", "Hosts the Daily Scrum", "Leitet das Daily Scrum"),
        ("/choose/", "Consider taking both", "Erwägen Sie beide"),
    ]
    for url, in_english, in_german in pairs:
        # Interleaved, twice: the second round is served from the page cache.
        for _ in range(2):
            en = page(english, url)
            de = page(german, f"/de{url}")
            assert in_english in en, url
            assert in_german not in en, url
            assert in_german in de, url
            assert in_english not in de, url


def test_the_german_compare_table_is_the_german_of_every_row():
    csm = Certification.objects.get(slug="csm")
    with translation.override("de"):
        table = Certification.comparison_table([csm])
    assert [value for _, [(_, value)] in table] == [
        csm.focus_de,
        csm.primary_role_de,
        csm.key_skills_de,
        csm.main_goal_de,
        csm.target_audience_de,
    ]


@pytest.mark.parametrize("blank", ["", None])
def test_a_blank_german_text_reads_as_the_english(blank):
    section = PageSection.objects.get(slug="choose-both")
    PageSection.objects.filter(pk=section.pk).update(body_de=blank, title_de=blank)
    section = PageSection.objects.get(pk=section.pk)

    with translation.override("de"):
        assert section.body == section.body_en
        assert section.title == "Consider taking both"
    assert missing_german(section) == ["title", "body"]


def test_the_admin_edits_english_and_german_side_by_side(admin_client, visitors, committed):
    english, german = visitors(2)
    csm = Certification.objects.get(slug="csm")
    page(english, "/compare/")  # both pages are now cached
    page(german, "/de/compare/")
    url = f"/admin/certguide/certification/{csm.pk}/change/"
    form = admin_client.get(url).content.decode()
    # One line per text: English and German next to each other.
    for name in ("name", "summary", "focus", "target_audience"):
        assert f'form-multiline field-{name}_en field-{name}_de"' in form, name
    data = form_data(form)
    data["focus_de"] = "Das Team durch jeden Sprint begleiten"

    with committed(execute=True):
        response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    de = page(german, "/de/compare/")
    en = page(english, "/compare/")
    assert "Das Team durch jeden Sprint begleiten" in de
    assert "Den Scrum-Prozess am Laufen halten" not in de
    assert "Keeping the Scrum process running" in en
    assert "Das Team durch jeden Sprint begleiten" not in en
    csm.refresh_from_db()
    assert csm.focus_en.startswith("Keeping the Scrum process running")


def test_an_inline_point_is_translated_in_its_own_row(admin_client, committed):
    csm = Certification.objects.get(slug="csm")
    point = csm.points.get(title_en="Clearing impediments")
    url = f"/admin/certguide/certification/{csm.pk}/change/"
    data = form_data(admin_client.get(url).content.decode())
    prefix = next(
        key.removesuffix("-id")
        for key, value in data.items()
        if key.endswith("-id") and value == str(point.pk)
    )
    assert data[f"{prefix}-text_de"] == point.text_de
    data[f"{prefix}-title_de"] = "Blockaden lösen"

    with committed(execute=True):
        assert admin_client.post(url, data).status_code == 302

    point.refresh_from_db()
    assert (point.title_en, point.title_de) == ("Clearing impediments", "Blockaden lösen")
    assert "Blockaden lösen" in page(admin_client, "/de/certifications/csm/")


def test_german_left_blank_shows_the_english_and_is_flagged(admin_client, visitors, committed):
    english, german = visitors(2)
    section = PageSection.objects.get(slug="compare-intro")
    page(german, "/de/compare/")
    url = f"/admin/certguide/pagesection/{section.pk}/change/"
    data = form_data(admin_client.get(url).content.decode())
    data["body_de"] = ""

    with committed(execute=True):
        response = admin_client.post(url, data)

    assert response.status_code == 302
    de = page(german, "/de/compare/")
    assert "Both certifications are worth having inside Scrum" in de
    assert "Beide Zertifizierungen lohnen sich" not in de
    assert "Both certifications are worth having inside Scrum" in page(english, "/compare/")

    changelist = page(admin_client, "/admin/certguide/pagesection/?german=missing")
    assert "compare-intro" in changelist
    assert "home-intro" not in changelist
    assert "missing: body" in changelist
    complete = page(admin_client, "/admin/certguide/pagesection/?german=complete")
    assert "compare-intro" not in complete
    assert "home-intro" in complete
    warning = page(admin_client, url)
    assert "German missing (German visitors read the English instead)" in warning
    assert "this page section: body" in warning


def test_the_certification_form_lists_inline_rows_without_german(admin_client):
    csm = Certification.objects.get(slug="csm")
    CertificationPoint.objects.filter(certification=csm, title_en="Shielding the team").update(
        text_de=""
    )
    html = page(admin_client, f"/admin/certguide/certification/{csm.pk}/change/")
    assert "key responsibility of the role “Shielding the team”: text" in html
    assert "this certification:" not in html  # its own texts all have German


def test_admin_translation_pages_load_nothing_from_another_origin(admin_client):
    csm = Certification.objects.get(slug="csm")
    question = Question.objects.first()
    material = TrainingMaterial.objects.first()
    for url in (
        f"/admin/certguide/certification/{csm.pk}/change/",
        "/admin/certguide/pagesection/add/",
        f"/admin/wizard/question/{question.pk}/change/",
        f"/admin/wizard/questionnaire/{question.questionnaire_id}/change/",
        f"/admin/leads/trainingmaterial/{material.pk}/change/",
    ):
        html = page(admin_client, url)
        assets = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html) + re.findall(
            r'<link[^>]*\shref="([^"]+)"', html
        )
        assert assets, url
        assert all(asset.startswith("/") and not asset.startswith("//") for asset in assets), (
            url,
            assets,
        )


def test_the_guide_rendered_in_german_holds_the_german_content():
    lead = make_lead(status="confirmed", outcome="CSM")

    def text() -> str:
        reader = PdfReader(io.BytesIO(render_guide(lead=lead)))
        return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)

    with translation.override("de"):
        german = text()
    english = text()
    assert "Den Scrum-Prozess am Laufen halten" in german
    assert "Hindernisse beseitigen" in german
    assert "Keeping the Scrum process running" not in german
    assert "Keeping the Scrum process running" in english
    assert "Hindernisse beseitigen" not in english
