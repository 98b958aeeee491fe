"""Where a visitor came from: campaign parameters (utm_*), the call to action and the
referring page, carried from a landing URL to the wizard and the lead form and cleaned
here, once, for both."""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import QueryDict
from django.urls import reverse

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
UTM_MAX_LENGTH = 100  # Lead.utm_* and Attempt.utm_* hold at most this many characters.
REFERRER_MAX_LENGTH = 500  # Lead.referrer and Attempt.referrer.
# "embed:<name>" is the placement of the quiz framed on an allowed site (embed app).
PLACEMENT_PATTERN = re.compile(r"^(?:embed:)?[A-Za-z0-9_-]{1,50}$")

# The campaign a page shared by every visitor is rendered with: its campaign-keeping links
# end in this parameter, which content_cache.fill_campaign() replaces with the visitor's
# own utm_* values when the page is served.
CAMPAIGN_SLOT = {"__campaign__": ""}


def is_control_character(ch: str) -> bool:
    """A control (Unicode Cc: NUL, C0, DEL, C1) or format (Cf: zero-width, bidi) character:
    invisible, and never wanted in a stored or mailed value."""
    return unicodedata.category(ch) in ("Cc", "Cf")


def has_control_characters(value: str) -> bool:
    """True if the text holds a control or format character (see is_control_character)."""
    return any(is_control_character(ch) for ch in value)


def clean_tracking_value(value: str, *, max_length: int) -> str:
    """Visitor-supplied text made safe to store: control and format characters dropped,
    trimmed, cut to the column's length."""
    printable = "".join(ch for ch in value if not is_control_character(ch))
    return printable.strip()[:max_length].strip()


def is_own_site(host: str) -> bool:
    """True for SITE_URL's host or one of ALLOWED_HOSTS (".example.com" covers subdomains)."""
    host = host.lower().rstrip(".")
    own = [urlsplit(settings.SITE_URL).hostname or "", *settings.ALLOWED_HOSTS]
    return any(
        host == name.lower() or (name.startswith(".") and host.endswith(name.lower()))
        for name in own
        if name and name != "*"
    )


def clean_referrer(value: str) -> str:
    """An http(s) URL of another site, of at most 500 characters, or "" for anything else.

    Our own pages are no referrer worth keeping, and their URLs may carry link tokens or
    attempt ids (the nav's quiz link on an unsubscribe page sends that page's URL).
    """
    cleaned = clean_tracking_value(value, max_length=REFERRER_MAX_LENGTH)
    try:
        parts = urlsplit(cleaned)
        host = parts.hostname or ""
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc or is_own_site(host):
        return ""
    return cleaned


def clean_placement(value: str) -> str:
    """The call to action's name if it looks like one (letters, digits, _ and -), else ""."""
    value = clean_tracking_value(value, max_length=50)
    return value if PLACEMENT_PATTERN.match(value) else ""


@dataclass(frozen=True)
class Tracking:
    """Where a visitor came from, as attempts and leads store it. Every value is cleaned
    when the value is made, so whatever holds a Tracking holds safe text."""

    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_term: str = ""
    utm_content: str = ""
    placement: str = ""
    referrer: str = ""

    def __post_init__(self) -> None:
        for key in UTM_KEYS:
            value = clean_tracking_value(str(getattr(self, key)), max_length=UTM_MAX_LENGTH)
            object.__setattr__(self, key, value)
        object.__setattr__(self, "placement", clean_placement(str(self.placement)))
        object.__setattr__(self, "referrer", clean_referrer(str(self.referrer)))

    @classmethod
    def from_values(cls, values: Mapping[str, object]) -> "Tracking":
        """A Tracking from a mapping (a form's cleaned data, a query); other keys ignored."""
        return cls(**{key: str(values.get(key) or "") for key in cls.__dataclass_fields__})

    def utm(self) -> dict[str, str]:
        return {key: getattr(self, key) for key in UTM_KEYS}

    def fields(self) -> dict[str, str]:
        """Every value by its model field's name."""
        return asdict(self)


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
