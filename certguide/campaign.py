"""Campaign parameters (utm_*) carried from a landing URL to the wizard and the lead form."""

import unicodedata
from urllib.parse import urlencode

from django.http import QueryDict

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
UTM_MAX_LENGTH = 100  # Lead.utm_* hold at most this many characters.

SIGNUP_PATH = "/free-training/"
WIZARD_PATH = "/wizard/"


def clean_tracking_value(value: str, *, max_length: int) -> str:
    """Visitor-supplied text made safe to store: control and format characters dropped,
    trimmed, cut to the column's length."""
    printable = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf"))
    return printable.strip()[:max_length].strip()


def campaign_params(query: QueryDict) -> dict[str, str]:
    """The utm_* values worth keeping: known keys only, cleaned, the empty ones dropped."""
    kept = {
        key: clean_tracking_value(query.get(key, ""), max_length=UTM_MAX_LENGTH) for key in UTM_KEYS
    }
    return {key: value for key, value in kept.items() if value}


def signup_url(placement: str, campaign: dict[str, str] | None = None) -> str:
    """The lead form's URL for a call to action at `placement`, keeping the campaign."""
    return f"{SIGNUP_PATH}?{urlencode({'placement': placement, **(campaign or {})})}"


def wizard_url(campaign: dict[str, str] | None = None) -> str:
    """The wizard's start URL, keeping the campaign."""
    return f"{WIZARD_PATH}?{urlencode(campaign)}" if campaign else WIZARD_PATH
