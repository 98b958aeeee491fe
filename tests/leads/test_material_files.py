"""Uploaded training materials: checked on upload, downloaded only through a lead's link."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from leads.models import Lead, TrainingMaterial
from leads.tokens import Purpose
from tests.leads.conftest import make_lead, token_for

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
TEXT = "Notes for the CSPO course: backlog, value, stakeholders. Zoë ✓\n".encode()
ADD_URL = "admin:leads_trainingmaterial_add"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(client, name: str, content: bytes, **fields):
    """The admin's "Add training material" form, as a marketer fills it in."""
    data = {
        "title_en": "CSM starter kit",
        "description_en": "",
        "audience": TrainingMaterial.Audience.EVERYONE,
        "url": "",
        "order": "0",
        "is_active": "on",
        "file": SimpleUploadedFile(name, content),
        **fields,
    }
    return client.post(reverse(ADD_URL), data)


def stored_files(media_root: Path) -> list[Path]:
    return [path for path in media_root.rglob("*") if path.is_file()]


def material_links(page) -> list[str]:
    return re.findall(r'href="(/free-training/materials/[^"]+/files/\d+/)"', page.content.decode())


def fetch(browser: Client, url: str):
    """GET ``url``; a file is read whole, which also closes it (the test client closes a
    streamed response once its content is consumed, as a WSGI server would)."""
    response = browser.get(url)
    if response.streaming:
        response.body = b"".join(response.streaming_content)
    return response


def visitor_of(lead: Lead) -> tuple[Client, str]:
    """A visitor's own browser and the materials link from their mail."""
    return Client(enforce_csrf_checks=True), reverse(
        "leads:materials", args=[token_for(lead, Purpose.MATERIALS)]
    )


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("starter.pdf", PDF, "application/pdf"),
        ("Board Photo.PNG", PNG, "image/png"),
        ("team.jpeg", JPEG, "image/jpeg"),
        ("notes.txt", TEXT, "text/plain; charset=utf-8"),
    ],
)
def test_an_uploaded_material_downloads_through_the_leads_link(
    admin_client, name, content, content_type
):
    created = upload(admin_client, name, content)
    assert created.status_code == 302
    material = TrainingMaterial.objects.get(title="CSM starter kit")
    lead = make_lead(status=Lead.Status.CONFIRMED, outcome="CSM")
    browser, materials_url = visitor_of(lead)

    page = browser.get(materials_url)
    [link] = [href for href in material_links(page) if href.endswith(f"/files/{material.pk}/")]
    download = fetch(browser, link)

    assert download.status_code == 200
    assert download.body == content
    assert download["Content-Type"] == content_type
    suffix = Path(name).suffix.lower()
    assert download["Content-Disposition"] == f'attachment; filename="csm-starter-kit{suffix}"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert "no-store" in download["Cache-Control"]


def test_nothing_serves_the_media_url(admin_client, client):
    upload(admin_client, "starter.pdf", PDF)
    material = TrainingMaterial.objects.get(title="CSM starter kit")

    assert client.get(f"/media/{material.file.name}").status_code == 404
    assert material.file.name not in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("page.html", b"<html><script>alert(1)</script></html>", "cannot be offered for download"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "SVG"),
        ("app.js", b"alert(document.cookie)", "scripts are refused"),
        ("page.htm", b"<p>hi</p>", "upload a PDF, PNG, JPEG or plain-text (.txt) file"),
        ("archive.zip", b"PK\x03\x04rest", "cannot be offered for download"),
        ("no-extension", PDF, "cannot be offered for download"),
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "not a real"),
        ("guide.pdf", b"<html><script>alert(1)</script></html>", "not a real PDF document"),
        ("photo.jpg", PNG, "not a real JPEG image"),
        ("notes.txt", b"\xff\xfe\x00\x00binary", "not plain text"),
    ],
)
def test_an_unsafe_upload_is_refused_with_a_clear_message(
    admin_client, media_root, name, content, message
):
    response = upload(admin_client, name, content)

    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["file"]
    assert message in error
    assert name in error
    assert not TrainingMaterial.objects.filter(title="CSM starter kit").exists()
    assert stored_files(media_root) == []


def test_an_oversize_upload_is_refused(admin_client, settings, media_root):
    settings.MATERIAL_MAX_UPLOAD_MB = 1
    at_limit = PDF + b"0" * (1024 * 1024 - len(PDF))

    refused = upload(admin_client, "big.pdf", at_limit + b"0")
    accepted = upload(admin_client, "fits.pdf", at_limit, title_en="Fits")

    [error] = refused.context["adminform"].form.errors["file"]
    assert "“big.pdf” is 1.0 MB; a material may be at most 1 MB" in error
    assert accepted.status_code == 302
    assert list(
        TrainingMaterial.objects.filter(file__startswith="materials/").values_list(
            "title", flat=True
        )
    ) == ["Fits"]
    assert [path.name for path in stored_files(media_root)] == ["fits.pdf"]


def test_the_upload_form_says_what_is_allowed(admin_client):
    html = admin_client.get(reverse(ADD_URL)).content.decode()

    assert "A PDF, PNG, JPEG or plain-text (.txt) file, at most 20 MB." in html
    assert 'accept=".pdf,.png,.jpg,.jpeg,.txt"' in html


def test_a_material_stored_before_the_allow_list_is_still_only_a_download(client):
    material = TrainingMaterial.objects.create(title="Old page", file="materials/old.html")
    material.file.storage.save("materials/old.html", ContentFile(b"<script>alert(1)</script>"))
    lead = make_lead(status=Lead.Status.CONFIRMED)
    browser, materials_url = visitor_of(lead)
    [link] = [h for h in material_links(browser.get(materials_url)) if f"/{material.pk}/" in h]

    download = fetch(browser, link)

    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"] == 'attachment; filename="old-page.html"'
    assert download["Content-Security-Policy"] == "sandbox; default-src 'none'"


def make_material(title: str, audience: str = TrainingMaterial.Audience.EVERYONE, **fields):
    material = TrainingMaterial(title=title, audience=audience, **fields)
    material.file.save(f"{title}.pdf", ContentFile(PDF), save=False)
    material.save()
    return material


def material_url(lead: Lead, material: TrainingMaterial, **token) -> str:
    return reverse(
        "leads:material_file", args=[token_for(lead, Purpose.MATERIALS, **token), material.pk]
    )


def test_two_visitors_each_get_what_their_own_page_lists():
    for_all = make_material("everyone")
    csm_only = make_material("csm-only", TrainingMaterial.Audience.CSM)
    ana = make_lead(email="ana@example.com", status=Lead.Status.CONFIRMED, outcome="CSM")
    bo = make_lead(email="bo@example.com", status=Lead.Status.CONFIRMED, outcome="CSPO")
    ana_browser, ana_page = visitor_of(ana)
    bo_browser, bo_page = visitor_of(bo)

    ana_links = material_links(ana_browser.get(ana_page))
    bo_links = material_links(bo_browser.get(bo_page))
    bo_got = fetch(bo_browser, bo_links[0])
    ana_got = [fetch(ana_browser, link).status_code for link in ana_links]
    # Bo's own link with the id of Ana's material: not on Bo's page, so not Bo's to have.
    bo_tries = fetch(bo_browser, material_url(bo, csm_only))

    assert {link.rsplit("/", 2)[-2] for link in ana_links} == {str(for_all.pk), str(csm_only.pk)}
    assert [link.rsplit("/", 2)[-2] for link in bo_links] == [str(for_all.pk)]
    assert bo_got.status_code == 200
    assert ana_got == [200, 200]
    assert bo_tries.status_code == 404


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("forged token", 400),
        ("confirmation token", 400),
        ("expired token", 410),
        ("pending lead", 403),
        ("unsubscribed lead", 403),
        ("erased lead", 400),
        ("inactive material", 404),
        ("link-only material", 404),
        ("unknown material", 404),
        ("file missing", 404),
    ],
)
def test_a_download_without_a_valid_link_gets_nothing(client, case, status):
    material = make_material("kit")
    lead = make_lead(status=Lead.Status.CONFIRMED)
    token = token_for(lead, Purpose.MATERIALS)
    material_id = material.pk
    if case == "forged token":
        token = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    elif case == "confirmation token":
        token = token_for(lead, Purpose.CONFIRM)
    elif case == "expired token":
        token = token_for(lead, Purpose.MATERIALS, age=timedelta(days=31))
    elif case in ("pending lead", "unsubscribed lead"):
        Lead.objects.filter(pk=lead.pk).update(status=case.split()[0])
    elif case == "erased lead":
        lead.delete()
    elif case == "inactive material":
        TrainingMaterial.objects.filter(pk=material.pk).update(is_active=False)
    elif case == "link-only material":
        material_id = TrainingMaterial.objects.filter(file="").first().pk
    elif case == "unknown material":
        material_id = material.pk + 1000
    elif case == "file missing":
        material.file.storage.delete(material.file.name)

    response = client.get(reverse("leads:material_file", args=[token, material_id]))

    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert b"%PDF" not in response.content


def test_the_admin_links_the_current_file_to_its_own_download(admin_client, client):
    upload(admin_client, "starter.pdf", PDF)
    material = TrainingMaterial.objects.get(title="CSM starter kit")
    file_url = reverse("admin:leads_trainingmaterial_file", args=[material.pk])

    change_page = admin_client.get(
        reverse("admin:leads_trainingmaterial_change", args=[material.pk])
    )
    download = fetch(admin_client, file_url)
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    refused = client.get(file_url)
    staff.user_permissions.add(Permission.objects.get(codename="view_trainingmaterial"))
    allowed = fetch(client, file_url)

    assert f'href="{file_url}"' in change_page.content.decode()
    assert "/media/" not in change_page.content.decode()
    assert download.body == PDF
    assert download["Content-Disposition"] == 'attachment; filename="csm-starter-kit.pdf"'
    assert download["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert refused.status_code == 403
    assert allowed.body == PDF
