from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from wizard.models import Attempt

# "embed:" + name must fit Lead.placement (50 characters) and its pattern's characters.
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
PLACEMENT_PREFIX = "embed:"


class EmbedSiteQuerySet(models.QuerySet):
    def active(self) -> "EmbedSiteQuerySet":
        return self.filter(is_active=True)


class EmbedSite(models.Model):
    """A host site allowed to frame the quiz: its origin goes into frame-ancestors."""

    origin = models.CharField(
        max_length=200,
        unique=True,
        help_text="Scheme, host and port of the pages that embed the quiz, such as "
        "https://blog.example.com (no path).",
    )
    name = models.CharField(
        max_length=40,
        unique=True,
        validators=[
            RegexValidator(
                NAME_PATTERN,
                "Use lower-case letters, digits, hyphens and underscores (at most 40).",
            )
        ],
        help_text="Short name; leads and attempts from this site carry the placement embed:<name>.",
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Only active sites may show the quiz in a frame."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EmbedSiteQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("origin"), name="embed_site_origin_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.origin})"

    @property
    def placement(self) -> str:
        return PLACEMENT_PREFIX + self.name


class EmbedAttempt(models.Model):
    """Which embed site an attempt was started on (site attempts have no row)."""

    attempt = models.OneToOneField(
        Attempt, on_delete=models.CASCADE, primary_key=True, related_name="embed"
    )
    # Kept as text: the split by site survives a site being renamed away or deleted.
    placement = models.CharField(max_length=50, db_index=True)
    site = models.ForeignKey(EmbedSite, on_delete=models.SET_NULL, null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.placement}: {self.attempt_id}"
