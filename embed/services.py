"""Writes for embeds: allow a host site, start an attempt inside a frame."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction

from certguide.campaign import Tracking
from embed.models import EmbedAttempt, EmbedSite
from wizard.models import Attempt
from wizard.services import attempt_start


def normalise_origin(value: str) -> str:
    """``https://Blog.Example.com:443/`` -> ``https://blog.example.com``; refuses anything
    that is not a bare http(s) origin, since it goes verbatim into frame-ancestors."""
    value = value.strip()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValidationError(
            f"{value!r} is not an origin such as https://blog.example.com."
        ) from None
    host = (parts.hostname or "").lower()
    if (
        parts.scheme not in ("http", "https")
        or not host
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
        or not all(ch.isalnum() or ch in ".-[]:" for ch in host)
    ):
        raise ValidationError(
            f"{value!r} is not an origin: give scheme and host only, "
            "such as https://blog.example.com."
        )
    default = {"http": 80, "https": 443}[parts.scheme]
    netloc = host if port in (None, default) else f"{host}:{port}"
    return f"{parts.scheme}://{netloc}"


@transaction.atomic
def embed_site_add(*, origin: str, name: str, is_active: bool = True) -> EmbedSite:
    """Allow ``origin`` to frame the quiz under ``name``; raises ValidationError for a bad
    origin or name, or one already in use."""
    site = EmbedSite(origin=normalise_origin(origin), name=name.strip(), is_active=is_active)
    site.full_clean()
    site.save()
    return site


@transaction.atomic
def embed_attempt_start(
    *,
    site: EmbedSite,
    questionnaire_id: int,
    tracking: Tracking | None = None,
) -> Attempt:
    """Start an attempt inside a frame on ``site``, recording the site's placement."""
    attempt = attempt_start(questionnaire_id=questionnaire_id, tracking=tracking)
    EmbedAttempt.objects.create(attempt=attempt, site=site, placement=site.placement)
    return attempt
