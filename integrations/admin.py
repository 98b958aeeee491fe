"""Admin for webhook endpoints, email-service connections and the delivery log.

Marketers (the Marketing group) manage connections, view endpoints and the delivery log,
and replay deliveries; adding or changing an endpoint is kept for operators, since an
endpoint receives every confirmed lead's personal data (see the migration).
"""

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from integrations.http import validate_destination
from integrations.models import Connection, Delivery, Endpoint, EventType
from integrations.services import (
    connection_save,
    delivery_replay,
    endpoint_create,
    endpoint_rotate_secret,
    endpoint_send_test,
)
from leads.mail import absolute_url

SUBSCRIBABLE = [(t.value, t.label) for t in EventType if t != EventType.TEST]


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        validators=[validate_destination],
        help_text="Where webhooks are posted; https:// and a public address in production.",
    )
    events = forms.MultipleChoiceField(
        choices=SUBSCRIBABLE, widget=forms.CheckboxSelectMultiple, required=True
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "events", "is_active"]


def _render_secret(
    request: HttpRequest, opts, endpoint: Endpoint, secret: str, *, rotated: bool
) -> HttpResponse:
    # Rendered, not put in a message: a message would sit in a cookie or the session.
    context = {
        **admin.site.each_context(request),
        "opts": opts,
        "endpoint": endpoint,
        "secret": secret,
        "rotated": rotated,
        "title": "Signing secret",
    }
    # The admin's never_cache already keeps the page out of every cache.
    return TemplateResponse(request, "admin/integrations/secret.html", context)


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["url", "description", "event_list", "is_active", "disabled_reason"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    readonly_fields = ["disabled_reason", "created_at"]
    actions = ["send_test_event", "rotate_secret"]

    @admin.display(description="events")
    def event_list(self, endpoint: Endpoint) -> str:
        return ", ".join(endpoint.events)

    def save_model(self, request: HttpRequest, obj: Endpoint, form, change: bool) -> None:
        if change:
            if obj.is_active:
                obj.disabled_reason = ""  # Switched back on by a person: the reason is old.
            obj.save()
            return
        endpoint, secret = endpoint_create(
            url=obj.url, events=obj.events, description=obj.description, is_active=obj.is_active
        )
        obj.pk, obj.secret_encrypted = endpoint.pk, endpoint.secret_encrypted
        request._new_endpoint_secret = secret

    def response_add(self, request: HttpRequest, obj: Endpoint, post_url_continue=None):
        secret = getattr(request, "_new_endpoint_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        return _render_secret(request, self.opts, obj, secret, rotated=False)

    @admin.action(description="Send a test event", permissions=["change"])
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        for endpoint in queryset:
            endpoint_send_test(endpoint=endpoint)
        self.message_user(
            request,
            f"Test event queued for {queryset.count()} endpoint(s); see the delivery log.",
            messages.SUCCESS,
        )

    @admin.action(description="Rotate the signing secret", permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Endpoint]):
        if queryset.count() != 1:
            self.message_user(request, "Rotate one endpoint at a time.", messages.ERROR)
            return None
        endpoint = queryset.get()
        secret = endpoint_rotate_secret(endpoint=endpoint)
        return _render_secret(request, self.opts, endpoint, secret, rotated=True)


class ConnectionForm(forms.ModelForm):
    # Write-only: the widget never renders the stored key back into the page.
    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted and never shown again; leave blank to keep the current key.",
    )

    class Meta:
        model = Connection
        fields = ["name", "kind", "list_id", "tag_mapping", "is_active", "api_base_url"]

    def clean_api_base_url(self) -> str:
        value = self.cleaned_data["api_base_url"]
        if value:
            validate_destination(value)
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.instance.api_key_encrypted and not cleaned.get("api_key"):
            self.add_error("api_key", "Enter the email service's API key.")
        if (
            cleaned.get("kind") == Connection.Kind.BREVO
            and not (cleaned.get("list_id") or "").isdigit()
        ):
            self.add_error("list_id", "Brevo lists are numbered: enter the list's ID.")
        if cleaned.get("kind") == Connection.Kind.MAILCHIMP and not cleaned.get("list_id"):
            self.add_error("list_id", "Enter the Mailchimp audience ID.")
        return cleaned


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    form = ConnectionForm
    list_display = ["name", "kind", "list_id", "is_active", "has_api_key"]
    list_filter = ["kind", "is_active"]
    readonly_fields = ["unsubscribe_webhook_url", "created_at"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "list_id", "tag_mapping", "is_active", "api_key"]}),
        (
            "Unsubscribes made in the email service",
            {
                "fields": ["unsubscribe_webhook_url"],
                "description": "Give this address to the email service as its webhook for "
                "unsubscribes; the lead is then unsubscribed here too.",
            },
        ),
        ("Advanced", {"fields": ["api_base_url", "created_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description="API key", boolean=True)
    def has_api_key(self, connection: Connection) -> bool:
        return bool(connection.api_key_encrypted)

    @admin.display(description="unsubscribe webhook URL")
    def unsubscribe_webhook_url(self, connection: Connection) -> str:
        if not connection.pk:
            return "Shown once the connection is saved."
        return absolute_url(reverse("integrations:inbound", args=[connection.inbound_token]))

    def save_model(self, request: HttpRequest, obj: Connection, form, change: bool) -> None:
        connection_save(connection=obj, api_key=form.cleaned_data.get("api_key", ""))


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event_type",
        "destination_name",
        "status",
        "attempts",
        "last_status_code",
        "short_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    list_filter = ["status", "event__type", "endpoint", "connection"]
    list_select_related = ["event", "endpoint", "connection"]
    search_fields = ["webhook_id"]
    date_hierarchy = "created_at"
    actions = ["replay"]
    fields = [
        "event_type",
        "destination_name",
        "webhook_id",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
        "payload",
    ]
    readonly_fields = fields

    @admin.display(description="event", ordering="event__type")
    def event_type(self, delivery: Delivery) -> str:
        return delivery.event.type

    @admin.display(description="destination")
    def destination_name(self, delivery: Delivery) -> str:
        return str(delivery.destination)

    @admin.display(description="last error")
    def short_error(self, delivery: Delivery) -> str:
        return delivery.last_error[:80]

    @admin.display(description="payload")
    def payload(self, delivery: Delivery) -> str:
        body = json.dumps(delivery.event.envelope(), indent=2, ensure_ascii=False)
        return format_html("<pre>{}</pre>", body)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # Deliveries come from events, never by hand.

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # The log is the record of what left the site.

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("integrations.replay_delivery")

    @admin.action(description="Replay: send again with the same webhook-id", permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        replayed = sum(delivery_replay(delivery=d) for d in queryset)
        skipped = queryset.count() - replayed
        self.message_user(
            request, f"Replaying {replayed} deliver{'y' if replayed == 1 else 'ies'}."
        )
        if skipped:
            self.message_user(
                request,
                f"{skipped} not replayed: still queued, or their lead was erased.",
                messages.WARNING,
            )
