"""The mails a lead receives, built from templates with absolute links."""

from datetime import date, timedelta
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

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
        "site_url": absolute_url(reverse("home")),
    }


def mail_language(lead: Lead, kind: MailKind) -> str:
    """The language a mail to this lead is written in, and its links point at.

    The lead's language, except for the confirmation of a repeat sign-up made in another
    language by a lead that never confirmed: nobody has shown they read the language the
    lead has (the first sign-up was as unconfirmed as this one), so the mail speaks the
    language of the sign-up it asks about. A lead that confirmed once keeps getting mail
    in the language it confirmed, the question whether to switch included: someone else
    typing the address on the German page must not change the language its owner reads.
    """
    language = lead.language
    if kind == MailKind.CONFIRMATION and lead.confirmed_at is None:
        language = lead.pending_signup.get("language", language)
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def link_expiry(purpose_max_age: timedelta) -> date:
    """The last day a link mailed now still works, for the reader's calendar."""
    return timezone.localdate(timezone.now() + purpose_max_age)


def build_message(*, lead: Lead, kind: MailKind) -> EmailMultiAlternatives:
    """The subject, plain text and HTML alternative of one mail, with unsubscribe headers,
    in the lead's language (mail_language): words, dates and the links' language prefix."""
    from leads.tokens import MAX_AGE, Purpose

    link_purpose = Purpose.CONFIRM if kind == MailKind.CONFIRMATION else Purpose.MATERIALS
    with translation.override(mail_language(lead, kind)):
        context = {
            "lead": lead,
            "links_expire": link_expiry(MAX_AGE[link_purpose]),
            **lead_links(lead),
        }
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
                "Content-Language": translation.get_language(),
            },
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message
