"""Campaign parameters (utm_*) carried from a landing URL to the wizard and the lead form."""

import unicodedata
from urllib.parse import urlencode

from django.http import QueryDict

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
UTM_MAX_LENGTH = 100  # Lead.utm_* hold at most this many characters.

SIGNUP_PATH = "/free-training/"
WIZARD_PATH = "/wizard/"


def campaign_params(query: QueryDict) -> dict[str, str]:
    """The utm_* values worth keeping: known keys only, no control characters, trimmed."""
    kept = {}
    for key in UTM_KEYS:
        raw = query.get(key, "")
        value = "".join(ch for ch in raw if unicodedata.category(ch) != "Cc").strip()
        value = value[:UTM_MAX_LENGTH].strip()
        if value:
            kept[key] = value
    return kept


def signup_url(placement: str, campaign: dict[str, str] | None = None) -> str:
    """The lead form's URL for a call to action at `placement`, keeping the campaign."""
    return f"{SIGNUP_PATH}?{urlencode({'placement': placement, **(campaign or {})})}"


def wizard_url(campaign: dict[str, str] | None = None) -> str:
    """The wizard's start URL, keeping the campaign."""
    return f"{WIZARD_PATH}?{urlencode(campaign)}" if campaign else WIZARD_PATH
