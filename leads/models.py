import uuid
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower, Now

from leads.material_files import check_material_file, file_kind
from wizard.models import Recommendation


def validate_material_link(value: str) -> None:
    """Accept a page of this site ("/compare/") or an absolute http(s) address."""
    if value.startswith("/") and not value.startswith("//"):
        parts = urlsplit(value)
        if any(ch.isspace() or ord(ch) < 32 for ch in value) or parts.netloc:
            raise ValidationError("Enter a path on this site such as /compare/ or a full address.")
        return
    URLValidator(schemes=["http", "https"])(value)


# The admin's value filters (leads.admin.changelist), each with its index's name part.
VALUE_FILTERS = {"placement": "placement", "utm_source": "source", "utm_campaign": "campaign"}


class LeadQuerySet(models.QuerySet):
    def pending(self) -> "LeadQuerySet":
        return self.filter(status=Lead.Status.PENDING)

    def mail_due(self, *, now: datetime) -> "LeadQuerySet":
        """Leads owed a mail that a sender may take now: waiting and due, or claimed by a
        sender whose lease ran out (it died mid-send). Not unsubscribed ones, unless they
        signed up again and await the confirmation of that sign-up."""
        return self.filter(
            mail_state__in=[Lead.MailState.OWED, Lead.MailState.SENDING], mail_due_at__lte=now
        ).exclude(status=Lead.Status.UNSUBSCRIBED, pending_signup={})

    def exportable(self) -> "LeadQuerySet":
        """In the export's order: oldest first, so an export reads as a history."""
        return self.order_by("created_at", "id")

    def with_email(self, email: str) -> "LeadQuerySet":
        """The lead with this address whatever its case (the unique constraint's rule)."""
        return self.annotate(email_lower=Lower("email")).filter(email_lower=email.lower())


def site_languages() -> list[tuple[str, str]]:
    """The languages a lead may speak: the site's (a callable, so migrations hold none)."""
    return settings.LANGUAGES


class Lead(models.Model):
    """A person who asked for the training materials and consented to our mail."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    class MailState(models.TextChoices):
        """Where the lead's latest mail stands (the outbox; see docs/deploy.md)."""

        NONE = "none", "No mail owed"
        OWED = "owed", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=12, choices=Status, default=Status.PENDING, db_index=True)
    consent_at = models.DateTimeField(
        "consent given at", help_text="When the visitor last ticked the consent box."
    )
    consent_version = models.CharField(
        max_length=20, help_text="Version of the consent text the visitor agreed to."
    )
    language = models.CharField(
        max_length=8,
        choices=site_languages,
        default="en",
        db_default="en",
        help_text="The language the lead signed up in; its mail and guide use it.",
    )
    placement = models.CharField(
        max_length=50, blank=True, help_text="Which call to action on the site led here."
    )
    utm_source = models.CharField("UTM source", max_length=100, blank=True)
    utm_medium = models.CharField("UTM medium", max_length=100, blank=True)
    utm_campaign = models.CharField("UTM campaign", max_length=100, blank=True)
    utm_term = models.CharField("UTM term", max_length=100, blank=True)
    utm_content = models.CharField("UTM content", max_length=100, blank=True)
    referrer = models.CharField(max_length=500, blank=True)
    attempt = models.ForeignKey(
        "wizard.Attempt",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        help_text="The quiz result the visitor came from, if any.",
    )
    outcome = models.CharField(
        "recommendation", max_length=4, choices=Recommendation, blank=True, db_index=True
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    last_emailed_at = models.DateTimeField(null=True, blank=True)
    # When a mail was last queued: throttles repeat sign-ups even before a worker sends it.
    mail_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_email_error = models.TextField(blank=True)
    # The outbox, one slot per lead, written in the same transaction as the change that
    # owes the mail; the task only nudges, send_pending_emails sweeps what is due.
    mail_state = models.CharField(
        "mail",
        max_length=8,
        choices=MailState,
        default=MailState.NONE,
        db_default=MailState.NONE,
        help_text="Failed: every retry failed; the admin action sends it again.",
    )
    mail_kind = models.CharField(
        "which mail", max_length=20, blank=True, db_default="", editable=False
    )
    mail_attempts = models.PositiveSmallIntegerField(
        "send attempts", default=0, db_default=0, editable=False
    )
    # Owed: the earliest time the next attempt may start (retries back off).
    # Sending: when the sender's lease ends; after that another sender may take it.
    mail_due_at = models.DateTimeField("next attempt at", null=True, blank=True, editable=False)
    # Which claim is sending: a sender whose lease ran out cannot record over a newer state.
    mail_claim = models.UUIDField(null=True, blank=True, editable=False)
    # Names the lead in its links: random, so a link reveals neither how many leads we
    # hold nor which one it is.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Each confirmation mail that asks for something new (a first sign-up, a sign-up
    # after unsubscribing, new details) starts a round; only that round's link confirms.
    signup_round = models.PositiveIntegerField(default=1, editable=False)
    # What a repeat sign-up asked to change (first name, consent, quiz result), applied
    # only when the address's owner confirms this round; {} when nothing waits.
    pending_signup = models.JSONField(default=dict, blank=True, editable=False)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("export_lead", "Can export leads")]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="leads_lead_email_ci_unique",
                violation_error_message="A lead with this email address already exists.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["mail_due_at"],
                condition=Q(mail_state__in=["owed", "sending"]),
                name="leads_lead_mail_due_idx",
            ),
            models.Index(
                fields=["mail_state"],
                condition=Q(mail_state="failed"),
                name="leads_lead_mail_failed_idx",
            ),
            # The admin's placement, source and campaign filters: the newest leads with
            # that value straight from the index, however many leads there are. The
            # other list filters' columns ride along (PostgreSQL's INCLUDE), so a value
            # filter combined with any of them is counted from the index alone, without
            # an index per combination (docs/performance.md, "Filter pairs and the
            # first-name search").
            *(
                models.Index(
                    fields=[field, "-created_at"],
                    include=[
                        "status",
                        "outcome",
                        "language",
                        *(other for other in VALUE_FILTERS if other != field),
                    ],
                    name=f"leads_lead_{name}_idx",
                )
                for field, name in VALUE_FILTERS.items()
            ),
            # The admin's search for a whole first name (leads.admin.lead): the leads
            # with that name, newest first, and how many, from the index alone (the
            # first name itself is included so PostgreSQL may answer from it).
            models.Index(
                Lower("first_name"),
                F("created_at"),
                F("id"),
                include=["first_name"],
                name="leads_lead_first_name_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.email


class RecipientMailCount(models.Model):
    """Confirmation mails sent to one mailbox in the current window, however its address
    was spelt (case, +tags, Gmail's dots). Kept in the database so the limit holds when
    the cache is down; the mailbox is a keyed digest, never the address."""

    recipient = models.CharField(max_length=64, unique=True)
    window_start = models.DateTimeField()
    count = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.count} confirmation mail(s) since {self.window_start:%Y-%m-%d %H:%M}"


class LeadExport(models.Model):
    """One CSV export of leads: who, when, how many, which filters. No personal data."""

    class Source(models.TextChoices):
        ADMIN = "admin", "Admin"
        COMMAND = "command", "Management command"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lead_exports",
        verbose_name="who",
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False, db_index=True)
    row_count = models.PositiveIntegerField(default=0)
    filters = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=Source, default=Source.ADMIN)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Export of {self.row_count} leads"


class LeadErasure(models.Model):
    """A record that leads were erased on request; keeps no trace of whose."""

    created_at = models.DateTimeField(db_default=Now(), editable=False, db_index=True)
    count = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Erasure of {self.count} lead(s)"


class TrainingMaterialQuerySet(models.QuerySet):
    def active(self) -> "TrainingMaterialQuerySet":
        return self.filter(is_active=True)

    def for_outcome(self, outcome: str) -> "TrainingMaterialQuerySet":
        """Active materials for a recommendation, plus those for everyone.

        Without a recommendation the visitor gets everything; "both" also gets the
        material for each role, since both roles are what we recommended.
        """
        materials = self.active()
        audience = TrainingMaterial.Audience
        if outcome == Recommendation.CSM:
            return materials.filter(audience__in=[audience.CSM, audience.EVERYONE])
        if outcome == Recommendation.CSPO:
            return materials.filter(audience__in=[audience.CSPO, audience.EVERYONE])
        return materials


class TrainingMaterial(models.Model):
    """A file or link sent to confirmed leads, chosen by their recommendation."""

    class Audience(models.TextChoices):
        CSM = "CSM", "CSM (Scrum Master)"
        CSPO = "CSPO", "CSPO (Product Owner)"
        BOTH = "BOTH", "Both certifications"
        EVERYONE = "EVERYONE", "Everyone"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    audience = models.CharField(
        "for", max_length=8, choices=Audience, default=Audience.EVERYONE, db_index=True
    )
    file = models.FileField(upload_to="materials/", blank=True)
    # A page of this site ("/compare/") or a full address; a plain URLField would
    # reject the site's own paths, which the default materials use.
    url = models.CharField(
        "link",
        max_length=500,
        blank=True,
        validators=[validate_material_link],
        help_text="A page of this site such as /compare/, or a full https:// address.",
    )
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField("active", default=True)

    objects = TrainingMaterialQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(file="") | ~Q(url=""),
                name="leads_material_has_file_or_link",
                violation_error_message="Upload a file or give a link.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        # Only a new upload is checked: a material stored earlier stays editable, and its
        # file is still only ever sent as a download.
        if self.file and not self.file._committed:
            try:
                check_material_file(self.file)
            except ValidationError as error:
                raise ValidationError({"file": error}) from None

    @property
    def is_download(self) -> bool:
        return bool(self.file)

    @property
    def file_label(self) -> str:
        """What the download is, in a visitor's words ("PDF document"); "" if unknown."""
        kind = file_kind(self.file.name) if self.file else None
        return str(kind.label) if kind else ""
