"""Whole journeys a person makes in a real browser, on the seeded content and questionnaire."""

import csv
import io
import re
import time
from pathlib import Path
from unittest import mock

from django.contrib.auth.models import Group, User
from django.core import signing
from playwright.sync_api import expect
from pypdf import PdfReader

from leads.models import Lead
from leads.tokens import Purpose, make_token
from tests.browser.conftest import (
    RESULT,
    STEP,
    answer_by_keyboard,
    assert_accessible,
    check_page,
    screenshot,
    tab_to,
)
from tests.leads.conftest import make_lead

CONFIRM_LINK = re.compile(r"https?://\S+/free-training/confirm/\S+/")


def step_number(page) -> int:
    return int(STEP.search(page.url).group(1))


def test_keyboard_only_visitor_goes_from_home_page_to_the_pdf_guide(
    page, live_server, axe, mailoutbox
):
    page.goto(live_server.url + "/")
    tab_to(page, "Take the two-minute quiz")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/wizard/$"))
    tab_to(page, "Start the quiz")
    page.keyboard.press("Enter")
    page.wait_for_url(STEP)

    went_back = False
    kept_answer = None
    while not RESULT.search(page.url):
        number = step_number(page)
        # Each step hands focus to its question, so a screen reader announces it first
        # (autofocus applies on the first rendering after load, hence the wait).
        expect(page.locator("main h1")).to_be_focused()
        assert f"Question {number} of" in page.locator("main").inner_text()
        if number == 3 and not went_back:
            tab_to(page, "Back")
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r"/step/2/$"))
            kept_answer = page.locator("input:checked").first.evaluate(
                "el => el.labels[0].textContent.trim()"
            )
            went_back = True
        before = page.url
        answer_by_keyboard(page)
        page.wait_for_url(lambda url, before=before: url != before)
    assert went_back
    assert kept_answer

    main = page.locator("main").inner_text()
    assert "CSM" in main
    assert "CSPO" in main
    tab_to(page, "Get the free training materials")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/free-training/\?"))
    assert "placement=wizard-result" in page.url

    tab_to(page, element_id="id_email")
    page.keyboard.type("Ada.Keyboard@Example.COM")
    page.keyboard.press("Tab")
    page.keyboard.type("Ada")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "checkbox"
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/free-training/check-your-email/"))

    lead = Lead.objects.get()
    assert lead.email == "Ada.Keyboard@example.com"
    assert lead.placement == "wizard-result"
    assert lead.outcome
    assert len(mailoutbox) == 1
    confirm_url = CONFIRM_LINK.search(mailoutbox[0].body).group(0)

    page.goto(confirm_url.replace("http://testserver", live_server.url))
    assert Lead.objects.get().status == Lead.Status.PENDING  # GET alone confirms nothing
    tab_to(page, "Yes, send me the materials")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/free-training/materials/"))
    assert Lead.objects.get().status == Lead.Status.CONFIRMED
    check_page(page, axe, "materials-after-quiz")

    tab_to(page, "Download the guide (PDF)")
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    pdf = PdfReader(download_info.value.path())
    text = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    # The guide opens with this visitor's own result (every guide names CSM and CSPO).
    assert f"Your result: {lead.get_outcome_display()}" in text


def test_signup_form_errors_are_next_to_the_field_with_focus_on_it(page, live_server, axe):
    page.goto(live_server.url + "/free-training/?placement=nav")
    check_page(page, axe, "signup-form")

    page.locator("#id_email").fill("not-an-address")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Email me the materials").click()
    page.wait_for_load_state()

    expect(page.locator("#id_email")).to_be_focused()
    described = page.locator("#id_email").get_attribute("aria-describedby") or ""
    error_ids = [i for i in described.split() if "error" in i]
    assert error_ids, "the email field is not described by its error"
    assert "email" in page.locator(f"#{error_ids[0]}").inner_text().lower()
    assert Lead.objects.count() == 0
    check_page(page, axe, "signup-form-errors")

    page.locator("#id_email").fill("")
    page.get_by_role("button", name="Email me the materials").click()
    page.wait_for_load_state()
    expect(page.locator("#id_email")).to_be_focused()


def test_expired_confirmation_link_shows_the_way_to_ask_again(page, live_server, problems):
    page.goto(live_server.url + "/free-training/")
    page.locator("#id_email").fill("late@example.com")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Email me the materials").click()
    page.wait_for_url(re.compile(r"/check-your-email/"))
    # The same link as if it had been mailed eight days ago.
    eight_days_ago = time.time() - 8 * 86400
    with mock.patch.object(signing.time, "time", return_value=eight_days_ago):
        expired = make_token(lead=Lead.objects.get(), purpose=Purpose.CONFIRM)

    expired_url = f"{live_server.url}/free-training/confirm/{expired}/"
    problems.expected_error_documents.add(expired_url)  # answered 410 Gone, on purpose
    page.goto(expired_url)

    assert "expired" in page.locator("main").inner_text().lower()
    page.get_by_role("link", name=re.compile("again", re.I)).first.click()
    page.wait_for_url(re.compile(r"/free-training/"))
    assert Lead.objects.get().status == Lead.Status.PENDING


def log_in_as_marketer(page, live_server) -> None:
    """A new user in the Marketing group, signed in to the admin through its login form."""
    marketer = User.objects.create_user("marketer", password="a-long-test-password", is_staff=True)
    marketer.groups.add(Group.objects.get(name="Marketing"))
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("marketer")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + "/admin/")


def test_marketer_filters_leads_and_exports_the_matching_rows(page, live_server):
    for index, status in enumerate(["confirmed", "confirmed", "pending"]):
        make_lead(
            email=f"lead{index}@example.com",
            first_name=["Zoë", "李雷", "Max"][index],
            status=status,
            placement="home-hero",
        )
    log_in_as_marketer(page, live_server)
    page.get_by_role("link", name="Funnel dashboard").click()
    assert page.get_by_role("heading", name=re.compile("dashboard", re.I)).count() >= 1
    assert page.locator("svg[role=img]").count() >= 1
    screenshot(page, "admin-dashboard")
    page.goto(live_server.url + "/admin/leads/lead/?status__exact=confirmed")
    assert page.locator("#result_list tbody tr").count() == 2
    screenshot(page, "admin-leads-filtered")

    page.get_by_role("link", name=re.compile("export all matching", re.I)).click()
    page.wait_for_url(re.compile(r"/admin/leads/lead/export/\?status__exact=confirmed$"))
    assert "status: Confirmed" in page.locator("#content").inner_text()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("certguide-leads-")
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert sorted(r["email"] for r in rows) == ["lead0@example.com", "lead1@example.com"]
    assert {r["first_name"] for r in rows} == {"Zoë", "李雷"}


def test_marketer_finds_failed_mail_and_sends_it_again(page, live_server, mailoutbox):
    make_lead(
        email="bounced@example.com",
        mail_state=Lead.MailState.FAILED,
        mail_kind="confirmation",
        mail_attempts=12,
        last_email_error="SMTPRecipientsRefused: mailbox full",
    )
    make_lead(email="fine@example.com", mail_state=Lead.MailState.SENT)
    log_in_as_marketer(page, live_server)
    page.goto(live_server.url + "/admin/leads/lead/")
    page.locator("#changelist-filter").get_by_role("link", name="Failed", exact=True).click()
    page.wait_for_url(re.compile(r"mail_state__exact=failed"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Failed" in rows.first.inner_text()
    screenshot(page, "admin-leads-failed-mail")

    rows.first.get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option("retry_failed_mail")
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector(".messagelist")

    assert "1 failed mail will be sent again" in page.locator(".messagelist").inner_text()
    assert [m.to for m in mailoutbox] == [["bounced@example.com"]]
    assert Lead.objects.get(email="bounced@example.com").mail_state == Lead.MailState.SENT


def test_a_new_name_for_a_known_address_waits_for_the_owner_to_confirm_it(
    page, live_server, axe, mailoutbox
):
    make_lead(email="ada@example.com", first_name="Ada", status=Lead.Status.CONFIRMED)
    # Someone (maybe Ada, maybe not) signs Ada's address up with another name.
    page.goto(live_server.url + "/free-training/")
    page.locator("#id_email").fill("ada@example.com")
    page.locator("#id_first_name").fill("Adaline")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Email me the materials").click()
    page.wait_for_url(re.compile(r"/check-your-email/"))
    assert Lead.objects.get().first_name == "Ada"
    assert "Adaline" not in mailoutbox[0].body

    # Ada opens the mailed link: the page says what confirming would save.
    confirm_url = CONFIRM_LINK.search(mailoutbox[0].body).group(0)
    page.goto(confirm_url.replace("http://testserver", live_server.url))
    details = page.locator(".leads-confirm-details").inner_text()
    assert "First name" in details
    assert "Adaline" in details
    check_page(page, axe, "confirm-new-details")
    tab_to(page, "Yes, send me the materials")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/free-training/materials/"))
    assert Lead.objects.get().first_name == "Adaline"
    assert "Adaline, here" in page.locator("main").inner_text()


def test_a_material_a_marketer_uploads_downloads_from_the_visitors_page(
    page, live_server, axe, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    handout = b"%PDF-1.4\n% Sprint review checklist\n%%EOF\n"
    (tmp_path / "sprint-review.pdf").write_bytes(handout)
    (tmp_path / "diagram.svg").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    User.objects.create_superuser("editor", password="a-long-test-password")
    page.goto(live_server.url + "/admin/leads/trainingmaterial/add/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Title [en]").fill("Sprint review checklist")
    # An SVG is refused with a message next to the field; the PDF is taken.
    page.locator("#id_file").set_input_files(str(tmp_path / "diagram.svg"))
    page.get_by_role("button", name="Save", exact=True).click()
    assert "SVG images and scripts are refused" in page.locator(".errorlist").inner_text()
    page.locator("#id_file").set_input_files(str(tmp_path / "sprint-review.pdf"))
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/leads/trainingmaterial/$"))

    lead = make_lead(email="reader@example.com", status=Lead.Status.CONFIRMED)
    token = make_token(lead=lead, purpose=Purpose.MATERIALS)
    page.goto(f"{live_server.url}/free-training/materials/{token}/")
    assert_accessible(axe, page, "materials page with an uploaded file")
    tab_to(page, "Sprint review checklist")
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")

    download = download_info.value
    assert download.suggested_filename == "sprint-review-checklist.pdf"
    assert Path(download.path()).read_bytes() == handout


def test_marketer_switches_the_quiz_to_another_questionnaire_by_keyboard(page, live_server):
    from wizard.models import Questionnaire

    seeded = Questionnaire.objects.active().get()
    spring = Questionnaire.objects.create(name="Spring quiz", is_active=False)
    log_in_as_marketer(page, live_server)
    page.goto(f"{live_server.url}/admin/wizard/questionnaire/{spring.pk}/change/")
    # The form shows whether it is active but offers no box to tick.
    assert page.locator("input[name=is_active]").count() == 0
    screenshot(page, "admin-questionnaire-activate")

    tab_to(page, "Make this the questionnaire visitors take")
    page.keyboard.press("Enter")
    page.wait_for_selector(".messagelist")

    assert "“Spring quiz” is now the questionnaire visitors take." in (
        page.locator(".messagelist").inner_text()
    )
    assert page.get_by_role("button", name="Make this the questionnaire").count() == 0
    screenshot(page, "admin-questionnaire-activated")
    assert Questionnaire.objects.active().get() == spring
    seeded.refresh_from_db()
    assert not seeded.is_active
