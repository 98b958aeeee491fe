"""The mails a lead receives, built from templates with absolute links."""

from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from leads.models import Lead


class MailKind(StrEnum):
    CONFIRMATION = "confirmation"
    MATERIALS = "materials"


def mail_for_status(status: str) -> MailKind | None:
    """The mail a lead in this state is waiting for, if any."""
    return {
        Lead.Status.PENDING: MailKind.CONFIRMATION,
        Lead.Status.CONFIRMED: MailKind.MATERIALS,
    }.get(status)


def mail_awaited(lead: Lead) -> MailKind | None:
    """The mail this lead is waiting for: a sign-up that awaits its owner's confirmation
    (new details, or a sign-up after unsubscribing) needs the confirmation mail whatever
    the status; otherwise the status decides."""
    if lead.pending_signup:
        return MailKind.CONFIRMATION
    return mail_for_status(lead.status)


def absolute_url(path: str) -> str:
    if not settings.SITE_URL:
        raise ImproperlyConfigured("SITE_URL must be set for links in emails.")
    return settings.SITE_URL + path


def lead_links(lead: Lead) -> dict[str, str]:
    """Absolute links for this lead's mails."""
    from leads.tokens import Purpose, make_token  # tokens import models only; keep it lazy.

    def link(name: str, purpose: Purpose) -> str:
        return absolute_url(reverse(name, args=[make_token(lead=lead, purpose=purpose)]))

    return {
        "confirm_url": link("leads:confirm", Purpose.CONFIRM),
        "materials_url": link("leads:materials", Purpose.MATERIALS),
        "guide_url": link("leads:guide", Purpose.MATERIALS),
        "unsubscribe_url": link("leads:unsubscribe", Purpose.UNSUBSCRIBE),
        "signup_url": absolute_url(reverse("leads:signup")),
        "site_url": absolute_url("/"),
    }


def build_message(*, lead: Lead, kind: MailKind) -> EmailMultiAlternatives:
    """The subject, plain text and HTML alternative of one mail, with unsubscribe headers."""
    context = {"lead": lead, **lead_links(lead)}
    template = f"leads/mail/{kind}"
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[lead.email],
        headers={
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message
