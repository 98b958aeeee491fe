import re

import pytest
from django.core.management import call_command
from django.test import Client

from leads.models import Lead
from leads.tasks import send_lead_mail
from tests.leads.conftest import make_lead

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
    assert message.body.startswith("Hello Ada,")
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


def test_a_name_cannot_inject_markup_into_the_html_mail(post_signup, mailoutbox):
    post_signup(first_name="<b>Ada</b>")

    html, _ = mailoutbox[0].alternatives[0]
    assert "<b>Ada</b>" not in html
    assert "&lt;b&gt;Ada&lt;/b&gt;" in html


def test_a_failed_send_keeps_the_lead_and_the_error_then_the_retry_sends_it(
    post_signup, broken_mail, settings, mailoutbox, capsys
):
    response = post_signup(email="ada@example.com")

    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.mail_pending
    assert "ConnectionRefusedError: mail server refused the connection" in lead.last_email_error
    assert lead.last_emailed_at is None
    assert mailoutbox == []

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    call_command("send_pending_emails")

    lead.refresh_from_db()
    assert not lead.mail_pending
    assert lead.last_email_error == ""
    assert lead.last_emailed_at is not None
    assert [m.subject for m in mailoutbox] == [
        "Confirm your email to get the CSM and CSPO materials"
    ]
    assert "Sent 1 email(s); 0 failed" in capsys.readouterr().out


def test_the_retry_sends_the_mail_for_the_status_now(mailoutbox):
    make_lead(email="confirmed@example.com", status="confirmed", mail_pending=True)
    make_lead(email="fine@example.com", status="pending")

    call_command("send_pending_emails")

    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["confirmed@example.com"], "Your CSM and CSPO training materials")
    ]


def test_a_retry_that_fails_again_stays_pending(broken_mail, capsys):
    lead = make_lead(mail_pending=True, last_email_error="earlier")

    call_command("send_pending_emails")

    lead.refresh_from_db()
    assert lead.mail_pending
    assert "ConnectionRefusedError" in lead.last_email_error
    assert "0 email(s); 1 failed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("status", "kind", "result", "sent"),
    [
        ("pending", "confirmation", "sent", 1),
        ("confirmed", "confirmation", "skipped", 0),  # confirmed before the worker ran
        ("unsubscribed", "materials", "skipped", 0),
        ("confirmed", "materials", "sent", 1),
    ],
)
def test_the_mail_task_sends_only_what_still_fits(mailoutbox, status, kind, result, sent):
    lead = make_lead(status=status)

    assert send_lead_mail.call(lead.pk, kind) == result
    assert len(mailoutbox) == sent


def test_the_mail_task_for_an_erased_lead_sends_nothing(mailoutbox):
    assert send_lead_mail.call(987654, "confirmation") == "lead gone"
    assert mailoutbox == []
