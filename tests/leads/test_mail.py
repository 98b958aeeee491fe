import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from leads.mail import MailKind, build_message
from leads.models import Lead
from leads.tasks import send_lead_mail
from tests.leads.conftest import later, make_lead, owed

pytestmark = pytest.mark.django_db


def links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+", text)


def test_confirmation_mail_has_both_parts_absolute_links_and_unsubscribe_headers(
    post_signup, mailoutbox
):
    post_signup(email="ada@example.com", first_name="Ada")

    (message,) = mailoutbox
    html, mime = message.alternatives[0]
    assert message.to == ["ada@example.com"]
    assert message.subject == "Confirm your email to get the CSM and CSPO materials"
    assert mime == "text/html"
    # The name is not greeted back: the address's owner has not confirmed it yet.
    assert message.body.startswith("Hello,\n")
    assert "Ada" not in message.body
    assert "Ada" not in html
    confirm = next(link for link in links(message.body) if "/confirm/" in link)
    unsubscribe = next(link for link in links(message.body) if "/unsubscribe/" in link)
    assert confirm.startswith("http://testserver/free-training/confirm/")
    assert confirm in html
    assert unsubscribe in html
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in message.message().as_string()


def test_following_the_mail_confirms_and_the_materials_mail_follows(
    client, committed, post_signup, mailoutbox
):
    post_signup(email="ada@example.com")
    confirm = next(link for link in links(mailoutbox[0].body) if "/confirm/" in link)

    with committed():
        response = client.post(confirm.removeprefix("http://testserver"))

    assert Lead.objects.get().status == "confirmed"
    materials_mail = mailoutbox[1]
    assert materials_mail.subject == "Your CSM and CSPO training materials"
    assert materials_mail.extra_headers["List-Unsubscribe"].startswith(
        "<http://testserver/free-training/unsubscribe/"
    )
    materials = next(link for link in links(materials_mail.body) if link.endswith("/"))
    assert "/free-training/materials/" in materials
    assert client.get(materials.removeprefix("http://testserver")).status_code == 200
    assert response.status_code == 302


def test_the_unsubscribe_header_works_as_one_click(post_signup, mailoutbox):
    post_signup(email="ada@example.com")
    target = mailoutbox[0].extra_headers["List-Unsubscribe"].strip("<>")

    Client(enforce_csrf_checks=True).post(
        target.removeprefix("http://testserver"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert Lead.objects.get().status == "unsubscribed"


def test_a_stored_name_cannot_inject_markup_into_the_html_mail(mailoutbox):
    # The form refuses such a name now; a row from before may still hold one.
    lead = make_lead(first_name="<b>Ada</b>", status=Lead.Status.CONFIRMED)

    build_message(lead=lead, kind=MailKind.MATERIALS).send()

    html, _ = mailoutbox[0].alternatives[0]
    assert "<b>Ada</b>" not in html
    assert "&lt;b&gt;Ada&lt;/b&gt;" in html


def test_a_failed_send_keeps_the_mail_owed_then_the_retry_sends_it(
    post_signup, broken_mail, settings, mailoutbox, capsys
):
    response = post_signup(email="ada@example.com")

    assert response.status_code == 302
    lead = Lead.objects.get()
    assert (lead.mail_state, lead.mail_kind, lead.mail_attempts) == ("owed", "confirmation", 1)
    assert "ConnectionRefusedError: mail server refused the connection" in lead.last_email_error
    assert lead.last_emailed_at is None
    assert mailoutbox == []

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    call_command("send_pending_emails")
    assert mailoutbox == []  # The first retry waits a minute.
    with later(timedelta(minutes=1)):
        call_command("send_pending_emails")

    lead.refresh_from_db()
    assert lead.mail_state == "sent"
    assert lead.last_email_error == ""
    assert lead.last_emailed_at is not None
    assert [m.subject for m in mailoutbox] == [
        "Confirm your email to get the CSM and CSPO materials"
    ]
    assert "Sent 1 email(s); 0 failed" in capsys.readouterr().out


def test_the_sweep_sends_what_is_owed_and_due_and_nothing_else(mailoutbox):
    make_lead(email="confirmed@example.com", status="confirmed", **owed("materials"))
    make_lead(email="sent@example.com", mail_state="sent", mail_kind="confirmation")
    make_lead(
        email="waiting@example.com",
        **owed(mail_due_at=timezone.now() + timedelta(minutes=3), mail_attempts=2),
    )
    make_lead(email="gaveup@example.com", **owed(mail_state="failed", mail_attempts=12))

    call_command("send_pending_emails")
    call_command("send_pending_emails")

    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["confirmed@example.com"], "Your CSM and CSPO training materials")
    ]


def test_a_retry_that_fails_again_stays_owed_and_waits_longer(broken_mail, capsys):
    lead = make_lead(**owed(mail_attempts=3, last_email_error="earlier"))

    call_command("send_pending_emails")

    lead.refresh_from_db()
    assert (lead.mail_state, lead.mail_attempts) == ("owed", 4)
    assert "ConnectionRefusedError" in lead.last_email_error
    # The fourth failure waits 2**3 minutes.
    assert timedelta(minutes=7) < lead.mail_due_at - timezone.now() <= timedelta(minutes=8)
    assert "0 email(s); 1 failed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("fields", "result", "sent"),
    [
        (owed("confirmation"), "sent", 1),
        (owed("materials", status="confirmed"), "sent", 1),
        ({"mail_state": "sent"}, "nothing due", 0),  # the sweep sent it first
        ({"mail_state": "none"}, "nothing due", 0),
        ("due in five minutes", "nothing due", 0),
    ],
)
def test_the_mail_task_sends_what_the_lead_is_owed(mailoutbox, fields, result, sent):
    if fields == "due in five minutes":
        # From now, not from collection: a long run must not make it due.
        fields = owed(mail_due_at=timezone.now() + timedelta(minutes=5))
    lead = make_lead(**fields)

    assert send_lead_mail.call(lead.pk) == result
    assert len(mailoutbox) == sent


def test_a_task_queued_before_the_outbox_still_runs(mailoutbox):
    lead = make_lead(**owed("confirmation"))

    assert send_lead_mail.call(lead.pk, "confirmation") == "sent"
    assert len(mailoutbox) == 1


def test_the_mail_task_for_an_erased_lead_sends_nothing(mailoutbox):
    assert send_lead_mail.call(987654) == "nothing due"
    assert mailoutbox == []
