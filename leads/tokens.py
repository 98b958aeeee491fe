"""Signed links for the double opt-in, the materials and unsubscribing.

No token table: each link carries the lead's id and a digest of its address, signed with
the secret key and a salt per purpose, so a link made for one purpose cannot be used for
another and a link stops working once the lead is erased.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.core import signing

from leads.models import Lead


class Purpose(StrEnum):
    CONFIRM = "confirm"
    MATERIALS = "materials"
    UNSUBSCRIBE = "unsubscribe"


# None: an unsubscribe link must keep working in an old mail (RFC 8058 expects it).
MAX_AGE: dict[Purpose, timedelta | None] = {
    Purpose.CONFIRM: timedelta(days=7),
    Purpose.MATERIALS: timedelta(days=30),
    Purpose.UNSUBSCRIBE: None,
}


class LinkInvalid(Exception):
    """The link was not made by us, was damaged, or its lead no longer exists."""


class LinkExpired(Exception):
    """The link is genuine but too old; `lead` is who it was made for (may be None)."""

    def __init__(self, lead: Lead | None) -> None:
        super().__init__("This link has expired.")
        self.lead = lead


@dataclass(frozen=True)
class _Payload:
    lead_id: int
    digest: str


def _email_digest(email: str) -> str:
    return hashlib.sha256(email.lower().encode()).hexdigest()[:16]


def _salt(purpose: Purpose) -> str:
    return f"leads.{purpose}"


def make_token(*, lead: Lead, purpose: Purpose) -> str:
    """A signed, timestamped token for this lead and purpose, safe in a URL path."""
    return signing.dumps({"l": lead.pk, "e": _email_digest(lead.email)}, salt=_salt(purpose))


def _load(token: str, purpose: Purpose, max_age: timedelta | None) -> _Payload:
    data = signing.loads(token, salt=_salt(purpose), max_age=max_age)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("l"), int)
        or not isinstance(data.get("e"), str)
    ):
        raise signing.BadSignature("Unexpected payload.")
    return _Payload(lead_id=data["l"], digest=data["e"])


def _lead_for(payload: _Payload) -> Lead | None:
    lead = Lead.objects.filter(pk=payload.lead_id).first()
    if lead is None or _email_digest(lead.email) != payload.digest:
        return None
    return lead


def read_token(token: str, *, purpose: Purpose) -> Lead:
    """The lead a token was made for; raises LinkExpired or LinkInvalid."""
    try:
        payload = _load(token, purpose, MAX_AGE[purpose])
    except signing.SignatureExpired:
        # The signature is ours, only too old: say whose it was so we can offer a new one.
        raise LinkExpired(_lead_for(_load(token, purpose, None))) from None
    except signing.BadSignature:
        raise LinkInvalid from None
    lead = _lead_for(payload)
    if lead is None:
        raise LinkInvalid
    return lead
