"""Signed links for the double opt-in, the materials and unsubscribing.

No token table: each link carries the lead's random public id and a keyed digest of its
address, signed with the secret key and a salt per purpose, so a link made for one
purpose cannot be used for another and a link stops working once the lead is erased.
Nothing in it can be read for meaning: the id is random (no count of leads) and the
digest needs the secret key (no testing a guessed address offline). A confirmation link
also carries its sign-up round and works for that round only.

Links mailed before these ids existed ("l": the row id, "e": a plain SHA-256 prefix of
the address) still open the materials (they expire within 30 days) and still unsubscribe
(such links never expire, and breaking them would keep people on a list against their
will); they are still signed with our key and cannot be forged. Old confirmation links
are refused: they name no round, and a new sign-up sends a new one.
"""

import hashlib
import hmac
import uuid
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac

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
# Links in the format before public ids, accepted for these purposes only.
LEGACY_PURPOSES = (Purpose.MATERIALS, Purpose.UNSUBSCRIBE)


class LinkInvalid(Exception):
    """The link was not made by us, was damaged, or its lead no longer exists."""


class LinkExpired(Exception):
    """The link is genuine but too old; `lead` is who it was made for (may be None)."""

    def __init__(self, lead: Lead | None) -> None:
        super().__init__("This link has expired.")
        self.lead = lead


def _address_digest(email: str, secret: str) -> str:
    digest = salted_hmac("leads.tokens.address", email.lower(), secret=secret, algorithm="sha256")
    return digest.hexdigest()[:16]


def _salt(purpose: Purpose) -> str:
    return f"leads.{purpose}"


def make_token(*, lead: Lead, purpose: Purpose) -> str:
    """A signed, timestamped token for this lead and purpose, safe in a URL path."""
    payload = {"i": lead.public_id.hex, "d": _address_digest(lead.email, settings.SECRET_KEY)}
    if purpose == Purpose.CONFIRM:
        payload["r"] = lead.signup_round
    return signing.dumps(payload, salt=_salt(purpose))


def _lead_for(data: object, purpose: Purpose) -> Lead | None:
    """The lead a verified payload names, if it still exists with the same address."""
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("i"), str) and isinstance(data.get("d"), str):
        try:
            public_id = uuid.UUID(hex=data["i"])
        except ValueError:
            return None
        lead = Lead.objects.filter(public_id=public_id).first()
        # The digest was made with the key that signed the link, maybe one since rotated.
        keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
        if lead is None or not any(
            hmac.compare_digest(_address_digest(lead.email, key), data["d"]) for key in keys
        ):
            return None
        if purpose == Purpose.CONFIRM and data.get("r") != lead.signup_round:
            return None  # A later sign-up round replaced this link.
        return lead
    if (
        purpose in LEGACY_PURPOSES
        and isinstance(data.get("l"), int)
        and isinstance(data.get("e"), str)
    ):
        lead = Lead.objects.filter(pk=data["l"]).first()
        legacy_digest = hashlib.sha256(lead.email.lower().encode()).hexdigest()[:16] if lead else ""
        return lead if lead and hmac.compare_digest(legacy_digest, data["e"]) else None
    return None


def read_token(token: str, *, purpose: Purpose) -> Lead:
    """The lead a token was made for; raises LinkExpired or LinkInvalid."""
    try:
        data = signing.loads(token, salt=_salt(purpose), max_age=MAX_AGE[purpose])
    except signing.SignatureExpired:
        # The signature is ours, only too old: say whose it was so we can offer a new one.
        raise LinkExpired(_lead_for(signing.loads(token, salt=_salt(purpose)), purpose)) from None
    except signing.BadSignature:
        raise LinkInvalid from None
    lead = _lead_for(data, purpose)
    if lead is None:
        raise LinkInvalid
    return lead
