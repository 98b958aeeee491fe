from html import unescape

import pytest

from certguide.models import Certification, CertificationPoint, PageSection

from .conftest import form_data

pytestmark = pytest.mark.django_db


def change_form(admin_client, url: str) -> dict[str, str]:
    response = admin_client.get(url)
    assert response.status_code == 200
    return form_data(response.content.decode())


def inline_prefix(data: dict[str, str], kind_text: str) -> str:
    """The formset prefix whose first row holds `kind_text`."""
    for key, value in data.items():
        if key.endswith("-0-text_en") and value == kind_text:
            return key.removesuffix("-0-text_en")
    raise AssertionError(f"no inline starts with {kind_text!r}")


def test_certification_inline_lists_are_edited_in_the_admin_and_shown_on_the_page(
    admin_client, visitor, csm, committed
):
    visitor.get("/certifications/csm/")  # the page is now cached
    url = f"/admin/certguide/certification/{csm.pk}/change/"
    data = change_form(admin_client, url)
    responsibilities = inline_prefix(data, csm.responsibilities[0].text)
    benefits = inline_prefix(data, csm.benefits[0].text)
    extra = int(data[f"{benefits}-TOTAL_FORMS"]) - 1  # the blank row the admin offers

    data[f"{responsibilities}-0-text_en"] = "Runs every Scrum event with a clear purpose."
    data.update(
        {
            f"{benefits}-{extra}-order": "6",
            f"{benefits}-{extra}-title_en": "A shared vocabulary",
            f"{benefits}-{extra}-text_en": (
                "You and your team talk about the work in the same terms."
            ),
        }
    )
    data["focus_en"] = "Helping the team run Scrum well"
    with committed(execute=True):
        response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    csm = Certification.objects.for_pages().get(slug="csm")
    assert csm.responsibilities[0].text == "Runs every Scrum event with a clear purpose."
    assert [b.title for b in csm.benefits][-1] == "A shared vocabulary"
    assert len(csm.responsibilities) == len(csm.audiences) == 5
    page = unescape(visitor.get("/certifications/csm/").content.decode())
    assert "Runs every Scrum event with a clear purpose." in page
    assert "You and your team talk about the work in the same terms." in page
    assert "Helping the team run Scrum well" in visitor.get("/compare/").content.decode()


def test_deleting_an_inline_row_in_the_admin_removes_it_from_the_page(
    admin_client, visitor, committed, cspo
):
    doomed = cspo.audiences[-1]
    visitor.get("/certifications/cspo/")
    url = f"/admin/certguide/certification/{cspo.pk}/change/"
    data = change_form(admin_client, url)
    audiences = inline_prefix(data, cspo.audiences[0].text)
    data[f"{audiences}-4-DELETE"] = "on"

    with committed(execute=True):
        response = admin_client.post(url, data)

    assert response.status_code == 302
    assert not CertificationPoint.objects.filter(pk=doomed.pk).exists()
    assert doomed.text not in unescape(visitor.get("/certifications/cspo/").content.decode())


def test_script_typed_into_admin_copy_is_shown_escaped(admin_client, visitor, committed):
    section = PageSection.objects.get(slug="home-intro")
    visitor.get("/")
    url = f"/admin/certguide/pagesection/{section.pk}/change/"
    data = change_form(admin_client, url)
    data["body_en"] = 'Welcome <script>alert("owned")</script> and <b onclick="x()">hi</b>'

    with committed(execute=True):
        response = admin_client.post(url, data)
    html = visitor.get("/").content.decode()

    assert response.status_code == 302
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    assert "<b onclick" not in html


def test_page_copy_edited_in_the_admin_replaces_the_cached_page(admin_client, visitor, committed):
    section = PageSection.objects.get(slug="continuous-learning")
    visitor.get("/choose/")
    url = f"/admin/certguide/pagesection/{section.pk}/change/"
    data = change_form(admin_client, url)
    data["title_en"] = "Never stop learning"
    data["body_en"] = "Join a **local meetup**."

    with committed(execute=True):
        admin_client.post(url, data)
    html = visitor.get("/choose/").content.decode()

    assert "Never stop learning" in html
    assert "<strong>local meetup</strong>" in html


def test_section_deleted_in_the_admin_disappears_from_the_page(admin_client, visitor, committed):
    section = PageSection.objects.get(slug="conclusion")
    visitor.get("/")

    with committed(execute=True):
        response = admin_client.post(
            f"/admin/certguide/pagesection/{section.pk}/delete/", {"post": "yes"}
        )
    html = visitor.get("/").content.decode()

    assert response.status_code == 302
    assert section.title not in html


def test_blank_copy_is_refused_with_a_message_and_nothing_changes(admin_client):
    section = PageSection.objects.get(slug="choose-csm")
    url = f"/admin/certguide/pagesection/{section.pk}/change/"
    data = change_form(admin_client, url)
    data["body_en"] = ""

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    section.refresh_from_db()
    assert section.body.startswith("- You like helping a team")


def test_certifications_can_be_edited_but_not_added_or_deleted(admin_client, csm):
    assert admin_client.get("/admin/certguide/certification/").status_code == 200
    assert admin_client.get("/admin/certguide/certification/add/").status_code == 403
    assert admin_client.get(f"/admin/certguide/certification/{csm.pk}/delete/").status_code == 403


def test_section_slug_cannot_be_renamed(admin_client):
    section = PageSection.objects.get(slug="choose-cspo")
    url = f"/admin/certguide/pagesection/{section.pk}/change/"
    data = change_form(admin_client, url)
    data["slug"] = "renamed"

    admin_client.post(url, data)

    section.refresh_from_db()
    assert section.slug == "choose-cspo"


def test_section_list_says_where_each_text_is_shown(admin_client):
    PageSection.objects.create(slug="spare-copy", body="Not used yet.")

    html = admin_client.get("/admin/certguide/pagesection/").content.decode()

    assert '<a href="/choose/">/choose/</a>' in html
    assert '<a href="/">/</a>' in html
    assert "not on any page" in html
