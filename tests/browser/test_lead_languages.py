"""A German visitor's whole lead journey in a real browser: the German form, the German
check-email page, the German confirmation mail's link, the German materials page and
the German PDF guide."""

import re

from playwright.sync_api import expect
from pypdf import PdfReader

from leads.models import Lead
from tests.browser.conftest import assert_accessible, tab_to

GERMAN_CONFIRM_LINK = re.compile(r"https?://\S+/de/free-training/confirm/\S+/")


def test_a_german_visitor_signs_up_confirms_and_downloads_a_german_guide(
    page, live_server, axe, mailoutbox
):
    page.goto(live_server.url + "/de/free-training/")
    expect(page.locator("main h1")).to_have_text("Kostenlose Schulungsunterlagen zu CSM und CSPO")
    assert (
        "Ja, senden Sie mir die kostenlosen Schulungsunterlagen"
        in page.locator("main").inner_text()
    )
    assert_accessible(axe, page, "German sign-up form")

    # First without consent: the error is German, next to the field, and focused.
    tab_to(page, element_id="id_email")
    page.keyboard.type("greta@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("Greta")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#error-summary")).to_contain_text("Bitte setzen Sie das Häkchen")
    expect(page.locator("#id_consent")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/de/free-training/check-your-email/$"))
    expect(page.locator("main h1")).to_have_text("Bitte prüfen Sie Ihr Postfach")
    lead = Lead.objects.get()
    assert (lead.language, lead.consent_version) == ("de", "2026-11-de")

    [mail] = mailoutbox
    assert mail.subject.startswith("Bestätigen Sie Ihre E-Mail-Adresse")
    confirm_url = GERMAN_CONFIRM_LINK.search(mail.body).group(0)
    page.goto(confirm_url.replace("http://testserver", live_server.url))
    tab_to(page, "Ja, senden Sie mir die Unterlagen")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/de/free-training/materials/"))
    expect(page.locator("main h1")).to_have_text("Ihre Schulungsunterlagen")
    assert mailoutbox[-1].subject == "Ihre Schulungsunterlagen zu CSM und CSPO"
    assert_accessible(axe, page, "German materials page")

    tab_to(page, "Leitfaden herunterladen (PDF)")
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    pdf = PdfReader(download_info.value.path())
    text = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    assert "Ihr Leitfaden zur Scrum-Zertifizierung" in text
    assert "Erstellt für Greta am" in text
    assert "Ihre nächsten Schritte" in text
    assert "Your next steps" not in text
