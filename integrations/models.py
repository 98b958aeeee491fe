"""Where leads go (webhook endpoints, email-service connections) and the delivery log.

Event rows are the outbox: they are written in the same transaction as the lead's change,
with one Delivery per destination, and the worker sends them after the commit.
"""

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from integrations.encryption import decrypt, encrypt


class EventType(models.TextChoices):
    LEAD_CONFIRMED = "lead.confirmed", "lead.confirmed"
    LEAD_UPDATED = "lead.updated", "lead.updated"
    LEAD_UNSUBSCRIBED = "lead.unsubscribed", "lead.unsubscribed"
    LEAD_ERASED = "lead.erased", "lead.erased"
    QUIZ_COMPLETED = "quiz.completed", "quiz.completed"
    # Sent from the admin's "send a test event"; carries no personal data.
    TEST = "test", "test"


# What an email-service connection acts on (quizzes carry no address to sync).
LEAD_EVENTS = [t for t in EventType if t.startswith("lead.")]


def new_token() -> str:
    return secrets.token_urlsafe(32)


class EndpointQuerySet(models.QuerySet):
    def active(self) -> "EndpointQuerySet":
        return self.filter(is_active=True)


class Endpoint(models.Model):
    """A URL that receives signed webhooks (Standard Webhooks) for the chosen events."""

    url = models.URLField("URL", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="Event types this endpoint receives.")
    is_active = models.BooleanField("active", default=True)
    disabled_reason = models.CharField(
        max_length=300, blank=True, help_text="Why deliveries stopped, when we stopped them."
    )
    # Encrypted whsec_… secrets; the previous one is still signed with until it expires,
    # so a receiver has time to switch.
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["url", "id"]

    def __str__(self) -> str:
        return self.description or self.url

    @property
    def secret(self) -> str:
        return decrypt(self.secret_encrypted)

    def signing_secrets(self) -> list[str]:
        """The current secret, then the previous one while it has not expired."""
        found = [self.secret]
        expires = self.previous_secret_expires_at
        if self.previous_secret_encrypted and expires and expires > timezone.now():
            found.append(decrypt(self.previous_secret_encrypted))
        return [s for s in found if s]


class Connection(models.Model):
    """An email service that receives confirmed leads and tells us about unsubscribes."""

    class Kind(models.TextChoices):
        MAILCHIMP = "mailchimp", "Mailchimp"
        BREVO = "brevo", "Brevo"
        KIT = "kit", "Kit"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind)
    list_id = models.CharField(
        "list / audience",
        max_length=100,
        blank=True,
        help_text="Mailchimp audience ID, Brevo list ID (a number), or Kit form ID (optional).",
    )
    tag_mapping = models.JSONField(
        default=dict,
        blank=True,
        help_text='Tag names for outcomes and placements, e.g. {"CSM": "scrum-master"}; '
        "an empty name adds no tag. Unmapped values are used as they are.",
    )
    is_active = models.BooleanField("active", default=True)
    api_key_encrypted = models.TextField(blank=True, editable=False)
    # Only for a self-hosted proxy or a test fake; blank means the vendor's own API.
    api_base_url = models.URLField("API base URL", max_length=300, blank=True)
    # The unguessable part of the flow-back receiver's URL.
    inbound_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def api_key(self) -> str:
        return decrypt(self.api_key_encrypted)

    def set_api_key(self, value: str) -> None:
        self.api_key_encrypted = encrypt(value) if value else ""


class Event(models.Model):
    """One thing that happened, as sent to every destination (the outbox row)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=30, choices=EventType, db_index=True)
    # Not a foreign key: the event outlives an erased lead (scrubbed, see lead_erased).
    lead_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    # An unsubscribe that came from this connection is not sent back to it.
    origin_connection_id = models.BigIntegerField(null=True, blank=True, editable=False)
    # When the worker wrote the event's deliveries (one per destination that wants it):
    # the visitor's request writes the event alone, whatever the number of destinations.
    expanded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(expanded_at__isnull=True),
                name="integrations_event_unexpanded",
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"

    @property
    def public_id(self) -> str:
        return f"evt_{self.id.hex}"

    def envelope(self) -> dict:
        """The JSON body receivers get (docs/integrations.md)."""
        return {
            "id": self.public_id,
            "type": self.type,
            "timestamp": self.created_at.isoformat().replace("+00:00", "Z"),
            "data": self.data,
        }


class DeliveryQuerySet(models.QuerySet):
    def due(self, now) -> "DeliveryQuerySet":
        """Waiting and due, or claimed by a worker whose lease ran out (it died)."""
        return self.filter(
            Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            | Q(status=Delivery.Status.SENDING, leased_until__lt=now)
        )


class Delivery(models.Model):
    """Sending one event to one destination: the delivery log's row."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    # The webhook-id header: the same on every retry and replay, for de-duplication.
    webhook_id = models.CharField(max_length=40, unique=True, editable=False)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        permissions = [("replay_delivery", "Can replay deliveries")]
        constraints = [
            models.CheckConstraint(
                condition=Q(endpoint__isnull=True, connection__isnull=False)
                | Q(endpoint__isnull=False, connection__isnull=True),
                name="integrations_delivery_one_destination",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event.type} to {self.destination}"

    @property
    def destination(self) -> Endpoint | Connection:
        return self.endpoint or self.connection


class RemoteContact(models.Model):
    """The email service's own id for a lead, to unsubscribe or delete it after we erased
    the address (Brevo and Kit need it; no address is kept here)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="contacts")
    lead_id = models.BigIntegerField(db_index=True)
    remote_id = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "lead_id"], name="integrations_contact_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.connection}: {self.remote_id}"
