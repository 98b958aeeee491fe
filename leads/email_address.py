"""How an email address is tidied before it is checked and stored."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from certguide.campaign import has_control_characters

MAX_LENGTH = 254


def normalise_email(value: str) -> str:
    """Trim the address and lower-case its domain; the local part keeps its case.

    Some mail servers treat the local part as case-sensitive, so we store it as typed;
    uniqueness ignores case anyway (the database constraint is on the lower-cased email).
    """
    email = value.strip()
    if has_control_characters(email):
        raise ValidationError(_("Remove the control characters from your email address."))
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        raise ValidationError(_("Enter a valid email address, like name@example.com."))
    email = f"{local}@{domain.lower()}"
    if len(email) > MAX_LENGTH:
        raise ValidationError(
            _("An email address has at most %(limit)d characters.") % {"limit": MAX_LENGTH}
        )
    return email


# Providers that deliver j.a.n.e@ to jane@; googlemail.com is gmail.com's other name.
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def mailbox(email: str) -> str:
    """The mailbox an address delivers to, as far as we can tell from outside: case
    ignored, a +tag dropped (jane+1@ reaches jane@), and for Gmail the dots too.

    Only for counting mails per recipient; the address itself is stored as typed.
    """
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}"
