"""Leads speak their language: a sign-up on the German page makes a German lead, whose
consent, mails, links, materials page, unsubscribe page and PDF guide are German, while an
English lead's stay English, whoever is served in between."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import formats, timezone, translation
from pypdf import PdfReader

from integrations.payloads import lead_data
from leads.consent import CONSENT_TEXT, CONSENT_VERSIONS, consent_version
from leads.export import LeadsCsv
from leads.mail import MailKind, build_message
from leads.models import Lead
from leads.services import lead_confirm, lead_subscribe
from leads.tokens import Purpose, make_token
from tests.conftest import make_attempt
from tests.leads.conftest import make_lead

pytestmark = pytest.mark.django_db

GERMAN_SIGNUP = "/de/free-training/"
ENGLISH_SIGNUP = "/free-training/"
LINK = re.compile(r"http://testserver(/\S+?)(?=[\s\"<>]|$)")


def german_consent() -> str:
    with translation.override("de"):
        return str(CONSENT_TEXT)


def links_in(text: str) -> list[str]:
    return LINK.findall(text)


def link_to(message, part: str) -> str:
    """The path of the first link in a mail's text whose path contains `part`."""
    return next(path for path in links_in(message.body) if part in path)


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def sign_up(visitor, url: str, **fields):
    """Open the form at `url` and send it back with the page's CSRF token, as a browser."""
    page = visitor.get(url)
    assert page.status_code == 200
    data = {"email": "ada@example.com", "first_name": "Ada", "consent": "on"} | fields
    return visitor.submit(url, data)


def sweep(mailoutbox) -> list:
    """Run the outbox worker once; the mails it sent."""
    before = len(mailoutbox)
    call_command("send_pending_emails")
    return mailoutbox[before:]


def long_date(days: int, language: str) -> str:
    with translation.override(language):
        return formats.date_format(
            timezone.localdate(timezone.now() + timedelta(days=days)), "DATE_FORMAT"
        )


# --- consent -----------------------------------------------------------------------------


def test_every_site_language_has_its_own_consent_version():
    versions = [consent_version(code) for code, _ in settings.LANGUAGES]
    assert len(set(versions)) == len(settings.LANGUAGES)
    assert consent_version("en") == "2026-11"  # English leads are not asked again
    assert set(CONSENT_VERSIONS) >= {code for code, _ in settings.LANGUAGES}
    with pytest.raises(ValueError, match="not one of the site's languages"):
        consent_version("fr")


def test_the_german_form_shows_the_german_consent_text(client):
    german = client.get(GERMAN_SIGNUP).content.decode()
    english = client.get(ENGLISH_SIGNUP).content.decode()

    assert german_consent() in german
    assert "Einwilligung" in german
    assert str(CONSENT_TEXT) not in german
    assert str(CONSENT_TEXT) in english
    assert german_consent() not in english


# --- two visitors, one per language, through the outbox ----------------------------------


def test_a_german_and_an_english_visitor_each_get_everything_in_their_language(
    visitors, django_capture_on_commit_callbacks, mailoutbox
):
    german, english = visitors(2)
    attempt = make_attempt(outcome="BOTH")
    # The on-commit nudges are dropped: the worker's sweep, outside any request and its
    # language, sends both mails.
    with django_capture_on_commit_callbacks(execute=False):
        assert sign_up(
            german,
            GERMAN_SIGNUP,
            email="greta@example.com",
            first_name="Greta",
            result=str(attempt.pk),
        )["Location"] == ("/de/free-training/check-your-email/")
        assert (
            sign_up(english, ENGLISH_SIGNUP, email="ed@example.com", first_name="Ed")["Location"]
            == "/free-training/check-your-email/"
        )

    greta, ed = (
        Lead.objects.get(email="greta@example.com"),
        Lead.objects.get(email="ed@example.com"),
    )
    assert (greta.language, greta.consent_version) == ("de", "2026-11-de")
    assert (ed.language, ed.consent_version) == ("en", "2026-11")
    assert (
        "Bitte prüfen Sie Ihr Postfach"
        in german.get("/de/free-training/check-your-email/").content.decode()
    )

    mails = {m.to[0]: m for m in sweep(mailoutbox)}
    de_mail, en_mail = mails["greta@example.com"], mails["ed@example.com"]
    assert de_mail.subject == (
        "Bestätigen Sie Ihre E-Mail-Adresse für die Unterlagen zu CSM und CSPO"
    )
    assert en_mail.subject == "Confirm your email to get the CSM and CSPO materials"
    [(de_html, _)] = de_mail.alternatives
    [(en_html, _)] = en_mail.alternatives
    assert de_mail.body.startswith("Guten Tag,\n")
    assert f"bis zum {long_date(7, 'de')}" in de_mail.body
    assert re.search(r"\d{1,2}\. \w+ \d{4}", long_date(7, "de"))  # "7. Dezember 2026"
    assert '<html lang="de">' in de_html
    assert "Meine E-Mail-Adresse bestätigen" in de_html
    assert "Abmelden</a> können Sie sich jederzeit" in de_html
    assert de_mail.extra_headers["Content-Language"] == "de"
    assert en_mail.body.startswith("Hello,\n")
    assert '<html lang="en">' in en_html
    assert "Confirm my email address" in en_html
    # Every link of the German mail (text, HTML and header) is under /de/; none of the
    # English one is.
    de_links = links_in(de_mail.body) + links_in(de_html)
    de_links.append(
        de_mail.extra_headers["List-Unsubscribe"].strip("<>").removeprefix("http://testserver")
    )
    assert de_links
    assert all(path.startswith("/de/") for path in de_links)
    en_links = links_in(en_mail.body) + links_in(en_html)
    assert en_links
    assert not any(path.startswith("/de/") for path in en_links)

    # Both confirm, interleaved, from their own mail's link.
    de_confirm, en_confirm = link_to(de_mail, "/confirm/"), link_to(en_mail, "/confirm/")
    de_page = german.get(de_confirm).content.decode()
    en_page = english.get(en_confirm).content.decode()
    assert "Ja, senden Sie mir die Unterlagen" in de_page
    assert "Yes, send me the materials" in en_page
    with django_capture_on_commit_callbacks(execute=False):
        de_done = german.submit(de_confirm, {})
        en_done = english.submit(en_confirm, {})
    assert de_done["Location"].startswith("/de/free-training/materials/")
    assert en_done["Location"].startswith("/free-training/materials/")

    mails = {m.to[0]: m for m in sweep(mailoutbox)}
    de_mail, en_mail = mails["greta@example.com"], mails["ed@example.com"]
    assert de_mail.subject == "Ihre Schulungsunterlagen zu CSM und CSPO"
    assert en_mail.subject == "Your CSM and CSPO training materials"
    assert de_mail.body.startswith("Hallo Greta,\n")
    assert "Ihre Schulungsunterlagen liegen bereit, ausgewählt für Ihr Quiz-Ergebnis" in (
        de_mail.body
    )
    assert f"bis zum {long_date(30, 'de')}" in de_mail.body
    assert "Den PDF-Leitfaden herunterladen" in de_mail.alternatives[0][0]
    assert en_mail.body.startswith("Hello Ed,\n")
    assert all(path.startswith("/de/") for path in links_in(de_mail.body))

    # The materials page, the PDF and the unsubscribe page, each in its lead's language.
    de_materials = german.get(link_to(de_mail, "/materials/")).content.decode()
    en_materials = english.get(link_to(en_mail, "/materials/")).content.decode()
    assert "Ihre Schulungsunterlagen" in de_materials
    assert "Leitfaden herunterladen (PDF)" in de_materials
    assert "<strong>CSM und CSPO</strong>" in de_materials
    assert "Your training materials" in en_materials
    assert "Ihre Schulungsunterlagen" not in en_materials

    de_pdf = pdf_text(german.client.get(link_to(de_mail, "/guide.pdf")).content)
    en_pdf = pdf_text(english.client.get(link_to(en_mail, "/guide.pdf")).content)
    assert "Ihr Leitfaden zur Scrum-Zertifizierung" in de_pdf
    assert f"Erstellt für Greta am {long_date(0, 'de')}" in de_pdf
    assert "Ihre nächsten Schritte" in de_pdf
    assert "Ihr Ergebnis: CSM und CSPO" in de_pdf
    assert "Seite 1" in de_pdf
    assert "Your next steps" not in de_pdf
    assert "Your Scrum certification guide" in en_pdf
    assert "Your next steps" in en_pdf
    assert "Ihre nächsten Schritte" not in en_pdf

    de_unsubscribe = link_to(de_mail, "/unsubscribe/")
    en_unsubscribe = link_to(en_mail, "/unsubscribe/")
    assert "Klicken Sie auf die Schaltfläche" in german.get(de_unsubscribe).content.decode()
    assert "Press the button" in english.get(en_unsubscribe).content.decode()
    # The unsubscribe form is a plain POST (one-click mail providers send no token).
    done = german.client.post(de_unsubscribe).content.decode()
    assert "Sie sind abgemeldet" in done
    assert Lead.objects.get(email="greta@example.com").status == "unsubscribed"
    assert Lead.objects.get(email="ed@example.com").status == "confirmed"


def test_a_mail_built_while_english_is_active_is_in_the_leads_language():
    lead = make_lead(language="de", status=Lead.Status.CONFIRMED, consent_version="2026-11-de")

    with translation.override("en"):
        message = build_message(lead=lead, kind=MailKind.MATERIALS)
        assert translation.get_language() == "en"  # the override ended with the mail

    assert message.subject == "Ihre Schulungsunterlagen zu CSM und CSPO"


# --- a token page opened at the other language's address ----------------------------------


@pytest.mark.parametrize(
    ("prefix", "words"),
    [("", "Your training materials"), ("/de", "Ihre Schulungsunterlagen")],
)
def test_a_token_page_speaks_the_language_of_its_address(client, prefix, words):
    """The mail links to the lead's language; a reader who changes the address to the
    other language chose it, and gets it (as everywhere on the site)."""
    lead = make_lead(language="de", status=Lead.Status.CONFIRMED)
    token = make_token(lead=lead, purpose=Purpose.MATERIALS)

    page = client.get(f"{prefix}/free-training/materials/{token}/")

    assert page.status_code == 200
    assert words in page.content.decode()
    assert page["Content-Language"] == ("de" if prefix else "en")
    # Its links stay in the language of the page.
    guide = re.search(r'href="([^"]+/guide\.pdf)"', page.content.decode()).group(1)
    assert guide.startswith("/de/") == bool(prefix)


def test_german_link_problem_and_unavailable_pages(client):
    lead = make_lead(language="de")  # pending: the materials are not open yet
    token = make_token(lead=lead, purpose=Purpose.MATERIALS)

    unavailable = client.get(f"/de/free-training/materials/{token}/")
    broken = client.get("/de/free-training/materials/not-a-token/")

    assert unavailable.status_code == 403
    assert "Bitte bestätigen Sie zuerst Ihre Adresse" in unavailable.content.decode()
    assert broken.status_code == 400
    assert "Dieser Link funktioniert nicht" in broken.content.decode()


# --- a repeat sign-up in another language -------------------------------------------------


def test_a_repeat_sign_up_in_german_asks_the_confirmed_owner_in_english_first(
    visitors, committed, mailoutbox
):
    """Someone typing a confirmed English lead's address on the German page cannot make
    its owner's mail German: the owner is asked, in English, and only their
    confirmation switches the language (and the consent version)."""
    lead = make_lead(status=Lead.Status.CONFIRMED)
    [stranger] = visitors(1)

    with committed():
        sign_up(stranger, GERMAN_SIGNUP)

    lead.refresh_from_db()
    assert (lead.language, lead.consent_version) == ("en", "2026-11")
    assert lead.pending_signup["language"] == "de"
    [mail] = mailoutbox
    assert mail.subject == "Confirm your email to get the CSM and CSPO materials"
    confirm = link_to(mail, "/confirm/")
    assert not confirm.startswith("/de/")

    [owner] = visitors(1)
    page = owner.get(confirm).content.decode()
    assert "Language of our emails" in page
    assert "Deutsch" in page
    with committed():
        owner.submit(confirm, {})

    lead.refresh_from_db()
    assert (lead.language, lead.consent_version) == ("de", "2026-11-de")
    assert mailoutbox[-1].subject == "Ihre Schulungsunterlagen zu CSM und CSPO"


def test_a_german_sign_up_that_is_not_confirmed_changes_nothing(committed, mailoutbox):
    lead = make_lead(status=Lead.Status.CONFIRMED)
    with committed():
        lead_subscribe(email=lead.email, consent_version="2026-11-de", language="de")

    lead.refresh_from_db()
    assert (lead.language, lead.consent_version, lead.status) == ("en", "2026-11", "confirmed")
    # An English sign-up later asks for nothing new: no language round is started.
    with committed():
        lead_subscribe(email=lead.email, consent_version="2026-11", language="en")
    lead.refresh_from_db()
    assert lead.language == "en"


def test_a_lead_that_never_confirmed_is_asked_in_the_language_of_the_latest_sign_up(
    committed, mailoutbox
):
    with committed():
        lead_subscribe(email="ada@example.com", consent_version="2026-11", language="en")
    with committed():
        lead_subscribe(email="ada@example.com", consent_version="2026-11-de", language="de")

    first, second = mailoutbox
    assert first.subject.startswith("Confirm your email")
    assert second.subject.startswith("Bestätigen Sie Ihre E-Mail-Adresse")
    assert link_to(second, "/confirm/").startswith("/de/free-training/confirm/")
    assert Lead.objects.get().language == "en"  # until confirmed

    lead_confirm(lead=Lead.objects.get())
    lead = Lead.objects.get()
    assert (lead.language, lead.consent_version) == ("de", "2026-11-de")


def test_a_newer_consent_in_the_same_language_still_asks_again(committed, mailoutbox):
    lead = make_lead(status=Lead.Status.CONFIRMED, language="de", consent_version="2025-01-de")
    with committed():
        lead_subscribe(email=lead.email, consent_version="2026-11-de", language="de")

    lead.refresh_from_db()
    assert lead.pending_signup["consent_version"] == "2026-11-de"
    assert "language" not in lead.pending_signup
    assert mailoutbox[-1].subject.startswith("Bestätigen Sie")


def test_a_sign_up_in_a_language_the_site_does_not_speak_is_refused():
    with pytest.raises(ValueError, match="not one of the site's languages"):
        lead_subscribe(email="ada@example.com", consent_version="2026-11", language="fr")
    assert not Lead.objects.exists()


# --- every form error in German -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"email": ""}, "Bitte geben Sie Ihre E-Mail-Adresse ein"),
        ({"email": "not-an-address"}, "Bitte geben Sie eine gültige E-Mail-Adresse ein"),
        ({"email": "a" * 250 + "@example.com"}, "höchstens 254 Zeichen"),
        ({"email": "ada\x00@example.com"}, "Bitte entfernen Sie die Steuerzeichen"),
        ({"first_name": "Ada99"}, "Bitte geben Sie nur Ihren Vornamen ein"),
        ({"first_name": "A" * 51}, "Ein Vorname hat höchstens 50 Zeichen."),
        ({"consent": ""}, "Bitte setzen Sie das Häkchen"),
        ({"result": "00000000-0000-0000-0000-000000000000"}, "Quiz-Ergebnis nicht finden"),
        ({"placement": "bad placement!"}, "waren beschädigt, daher haben wir sie entfernt"),
    ],
)
def test_every_form_error_is_german_on_the_german_form(visitors, fields, error):
    [visitor] = visitors(1)
    response = sign_up(visitor, GERMAN_SIGNUP, **fields)

    html = response.content.decode()
    assert response.status_code == 200
    assert error in html
    assert "Bitte beheben Sie" in html
    assert "<title>Fehler: " in html
    assert not Lead.objects.exists()


def test_the_rate_limit_page_is_german(visitors, settings):
    settings.SIGNUP_RATE_LIMIT = "1/m"
    [visitor] = visitors(1)
    sign_up(visitor, GERMAN_SIGNUP)
    response = sign_up(visitor, GERMAN_SIGNUP, email="bob@example.com")

    assert response.status_code == 429
    assert "Bitte warten Sie einen Moment" in response.content.decode()
    assert "Versuchen Sie es in etwa 1 Minute erneut." in response.content.decode()


# --- marketers and integrations see the language ------------------------------------------


def test_the_csv_export_has_each_leads_language():
    make_lead(email="greta@example.com", language="de")
    make_lead(email="ed@example.com", language="en")

    text = b"".join(LeadsCsv(Lead.objects.exportable())).decode("utf-8-sig")
    rows = {row["email"]: row["language"] for row in csv.DictReader(io.StringIO(text))}

    assert rows == {"greta@example.com": "de", "ed@example.com": "en"}


def test_marketers_filter_the_lead_list_by_language(admin_client):
    make_lead(email="greta@example.com", language="de")
    make_lead(email="ed@example.com", language="en")
    changelist = reverse("admin:leads_lead_changelist")

    german = admin_client.get(changelist, {"language__exact": "de"}).content.decode()
    everyone = admin_client.get(changelist).content.decode()

    assert "greta@example.com" in german
    assert "ed@example.com" not in german
    assert "ed@example.com" in everyone
    assert "Deutsch" in everyone  # the column
    assert "?language__exact=de" in everyone  # the filter


def test_integrations_receive_the_leads_language():
    assert lead_data(make_lead(language="de"))["language"] == "de"


def test_the_german_catalogue_has_no_empty_or_fuzzy_entry():
    from babel.messages.pofile import read_po

    with open(settings.BASE_DIR / "locale/de/LC_MESSAGES/django.po", "rb") as po:
        catalogue = read_po(po, locale="de")
    assert not catalogue.fuzzy
    untranslated = [
        message.id
        for message in catalogue
        if message.id
        and (
            "fuzzy" in message.flags
            or not all(message.string if isinstance(message.string, tuple) else [message.string])
        )
    ]
    assert untranslated == []
