"""Campaign parameters (utm_*) carried from a landing URL to the wizard and the lead form."""

import unicodedata
from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
UTM_MAX_LENGTH = 100  # Lead.utm_* hold at most this many characters.

# The campaign a page shared by every visitor is rendered with: its campaign-keeping links
# end in this parameter, which content_cache.fill_campaign() replaces with the visitor's
# own utm_* values when the page is served.
CAMPAIGN_SLOT = {"__campaign__": ""}


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
    query = urlencode({"placement": placement, **(campaign or {})})
    return f"{reverse('leads:signup')}?{query}"


def wizard_url(campaign: dict[str, str] | None = None) -> str:
    """The wizard's start URL, keeping the campaign."""
    start = reverse("wizard:start")
    return f"{start}?{urlencode(campaign)}" if campaign else start
