import unicodedata
import uuid
from collections.abc import Mapping
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, ProhibitNullCharactersValidator
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from certguide.campaign import (
    PLACEMENT_PATTERN,
    UTM_KEYS,
    Tracking,
    clean_placement,
    clean_referrer,
    clean_tracking_value,
    has_control_characters,
)
from leads.consent import CONSENT_TEXT
from leads.email_address import MAX_LENGTH, normalise_email
from leads.models import Lead
from wizard.models import Attempt

# Carried from the page that sent the visitor here; tampering shows as a form error.
TRACKING_FIELDS = ["placement", *UTM_KEYS, "referrer"]
HIDDEN_FIELDS = ["result", *TRACKING_FIELDS]
FIELD_MAX_LENGTH = {name: Lead._meta.get_field(name).max_length for name in TRACKING_FIELDS}


def reject_control_characters(value: str) -> None:
    if has_control_characters(value):
        raise ValidationError(_("Remove the control characters (such as NUL) from this field."))


FIRST_NAME_MAX_LENGTH = 50
NAME_PUNCTUATION = " '\u2019-"  # space, apostrophes (typed and typographic), hyphen


def validate_first_name(value: str) -> None:
    """A first name is a name: letters of any script (with their accents), spaces,
    apostrophes and hyphens. No digits, @ or URLs: the field must not carry a message."""
    if not any(ch.isalpha() for ch in value) or not all(
        ch.isalpha() or unicodedata.category(ch).startswith("M") or ch in NAME_PUNCTUATION
        for ch in value
    ):
        raise ValidationError(
            _("Enter just your first name: letters, spaces, apostrophes and hyphens only."),
            code="first_name",
        )


def _outside_referrer(value: str) -> str:
    """The referring page, unless it is one of our own sign-up or token pages: their
    URLs carry personal links that have no place in a marketing export."""
    referrer = clean_referrer(value)
    return "" if urlsplit(referrer).path.startswith(reverse("leads:signup")) else referrer


def tidy_tracking_value(name: str, value: str) -> str:
    """A URL parameter made safe to carry: control characters out, cut to the column."""
    if name == "referrer":
        return _outside_referrer(value)
    if name == "placement":
        return clean_placement(value)
    return clean_tracking_value(value, max_length=FIELD_MAX_LENGTH[name])


def _hidden_tracking_field(name: str) -> forms.CharField:
    return forms.CharField(
        required=False, max_length=FIELD_MAX_LENGTH[name], widget=forms.HiddenInput
    )


def completed_attempt(value: str) -> Attempt | None:
    """The completed quiz attempt a `result` parameter names, or None."""
    try:
        attempt_id = uuid.UUID(value)
    except (ValueError, AttributeError):
        return None
    return Attempt.objects.completed().filter(pk=attempt_id).first()


def initial_from_query(query: Mapping[str, str], *, referrer: str) -> tuple[dict, Attempt | None]:
    """Hidden-field values from the form page's URL; anything malformed is dropped."""
    initial = {name: tidy_tracking_value(name, query.get(name, "")) for name in TRACKING_FIELDS}
    initial["referrer"] = tidy_tracking_value("referrer", referrer)
    attempt = completed_attempt(query.get("result", ""))
    if attempt is not None:
        initial["result"] = str(attempt.pk)
    return initial, attempt


class SignupForm(forms.Form):
    email = forms.CharField(
        label=_("Email address"),
        max_length=MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        validators=[reject_control_characters],
        error_messages={"required": _("Enter your email address so we can send the materials.")},
    )
    first_name = forms.CharField(
        label=_("First name (optional)"),
        max_length=FIRST_NAME_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
        validators=[reject_control_characters, validate_first_name],
        error_messages={"max_length": _("A first name has at most %(limit_value)d characters.")},
    )
    consent = forms.BooleanField(
        label=CONSENT_TEXT,
        error_messages={"required": _("Tick the box to agree, or we cannot email you.")},
    )
    # Honeypot: hidden from people and screen readers, filled in by form-filling bots.
    # Named like nothing a browser or password manager fills in (a "website" field got
    # autofilled, which silently dropped a real sign-up).
    leave_blank = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    result = forms.CharField(required=False, widget=forms.HiddenInput)
    placement = _hidden_tracking_field("placement")
    utm_source = _hidden_tracking_field("utm_source")
    utm_medium = _hidden_tracking_field("utm_medium")
    utm_campaign = _hidden_tracking_field("utm_campaign")
    utm_term = _hidden_tracking_field("utm_term")
    utm_content = _hidden_tracking_field("utm_content")
    referrer = _hidden_tracking_field("referrer")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in TRACKING_FIELDS:
            self.fields[name].validators.append(reject_control_characters)
        for name in ["email", "first_name", *TRACKING_FIELDS]:
            # Ours covers NUL too; Django's own would repeat the error in other words.
            field = self.fields[name]
            field.validators = [
                v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)
            ]
        self.attempt: Attempt | None = None

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("leave_blank"))

    def clean_email(self) -> str:
        email = normalise_email(self.cleaned_data["email"])
        EmailValidator(message=_("Enter a valid email address, like name@example.com."))(email)
        return email

    def clean_placement(self) -> str:
        placement = self.cleaned_data["placement"]
        if placement and not PLACEMENT_PATTERN.match(placement):
            raise ValidationError(_("This sign-up link was damaged."))
        return placement

    def clean_referrer(self) -> str:
        return _outside_referrer(self.cleaned_data["referrer"])

    def clean_result(self) -> str:
        value = self.cleaned_data["result"]
        if value:
            self.attempt = completed_attempt(value)
            if self.attempt is None:
                raise ValidationError(
                    _(
                        "We could not find that quiz result, so we removed it. Send the form "
                        "again to get the general guide, or take the quiz first."
                    )
                )
        return value

    def repair_hidden_fields(self) -> None:
        """After errors, re-render hidden fields with safe values so a resend can pass."""
        data = self.data.copy()
        for name in HIDDEN_FIELDS:
            if name in self.errors:
                data[name] = "" if name == "result" else tidy_tracking_value(name, data[name])
        self.data = data

    def focus_first_error(self) -> None:
        """Put the cursor in the first field with an error when the page comes back, so a
        keyboard or screen-reader user lands on what needs fixing (works without JS)."""
        for field in self.visible_fields():
            if field.errors:
                field.field.widget.attrs["autofocus"] = True
                return

    @property
    def has_visible_errors(self) -> bool:
        return any(field.errors for field in self.visible_fields())

    @property
    def has_tracking_errors(self) -> bool:
        return any(name in self.errors for name in TRACKING_FIELDS)

    def tracking(self) -> Tracking:
        return Tracking.from_values(self.cleaned_data)
