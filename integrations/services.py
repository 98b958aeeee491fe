"""Every write of integrations: the outbox, delivery attempts, replay, secrets, flow-back."""

import base64
import json
import logging
import random
import secrets
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from integrations import http
from integrations.connectors import CONNECTORS, Sent
from integrations.encryption import encrypt
from integrations.models import (
    LEAD_EVENTS,
    Connection,
    Delivery,
    Endpoint,
    Event,
    EventType,
)
from integrations.payloads import sample_data

logger = logging.getLogger(__name__)

# A rotated-out webhook secret is still signed with for this long.
PREVIOUS_SECRET_LIFETIME = timedelta(hours=24)
ERROR_MAX_LENGTH = 1000

# Set while an email service's own unsubscribe is applied here, so that service is not
# told about the unsubscribe it just told us (integrations.views).
unsubscribe_origin: ContextVar[int | None] = ContextVar("unsubscribe_origin", default=None)


@contextmanager
def unsubscribe_from(connection: Connection):
    token = unsubscribe_origin.set(connection.pk)
    try:
        yield
    finally:
        unsubscribe_origin.reset(token)


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


# --- The outbox ------------------------------------------------------------------


def _enqueue_event(event_id: uuid.UUID) -> None:
    from integrations.tasks import deliver_event  # tasks import services: import here.

    def enqueue() -> None:
        try:
            deliver_event.enqueue(str(event_id))
        except Exception:  # The queue is down: the deliveries wait for retry_deliveries.
            logger.exception("Could not queue the deliveries of event %s", event_id)

    transaction.on_commit(enqueue)


def event_record(
    *, type: str, data: dict, lead_id: int | None = None, skip_connection_id: int | None = None
) -> Event | None:
    """Write the event and one pending delivery per destination that wants it, in the
    caller's transaction, and queue the sending for after the commit. Nothing is written
    when nobody wants the event. Two reads and two writes however many destinations."""
    with transaction.atomic(savepoint=False):
        endpoints = [e.pk for e in Endpoint.objects.active().only("events") if type in e.events]
        connections = []
        if type in LEAD_EVENTS:
            connections = list(
                Connection.objects.filter(is_active=True)
                .exclude(pk=skip_connection_id)
                .values_list("pk", flat=True)
            )
        if not endpoints and not connections:
            return None
        now = timezone.now()
        event = Event.objects.create(type=type, data=data, lead_id=lead_id, created_at=now)
        Delivery.objects.bulk_create(
            [
                Delivery(
                    event=event, webhook_id=f"msg_{uuid.uuid4().hex}", next_attempt_at=now, **target
                )
                for target in [{"endpoint_id": pk} for pk in endpoints]
                + [{"connection_id": pk} for pk in connections]
            ]
        )
        _enqueue_event(event.pk)
    return event


def lead_scrub(*, lead_id: int) -> int:
    """Take an erased lead's personal data out of the delivery log: event payloads keep
    only the lead's id, errors (a vendor may quote the address) are blanked, and what was
    still waiting is cancelled. Runs in the erase's transaction; how many events."""
    with transaction.atomic(savepoint=False):
        events = Event.objects.filter(lead_id=lead_id).exclude(type=EventType.LEAD_ERASED)
        Delivery.objects.filter(event__in=events).update(last_error="")
        Delivery.objects.filter(
            event__in=events, status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
        ).update(status=Delivery.Status.CANCELLED, leased_until=None, next_attempt_at=None)
        return events.update(data={"lead_id": lead_id, "erased": True})


# --- Delivering ------------------------------------------------------------------


def retry_delay(attempts: int) -> float | None:
    """Seconds before attempt `attempts + 1`, with jitter; None when the schedule is spent.
    The jitter only lengthens a wait, so the schedule's total stays a floor."""
    schedule = settings.INTEGRATIONS_RETRY_SCHEDULE
    if attempts > len(schedule):
        return None
    return schedule[attempts - 1] * random.uniform(1.0, 1.2)  # noqa: S311 (not a secret)


def _claim(delivery_id: int, now: datetime) -> Delivery | None:
    lease = now + timedelta(seconds=settings.INTEGRATIONS_LEASE_SECONDS)
    with transaction.atomic():
        claimed = (
            Delivery.objects.due(now)
            .filter(pk=delivery_id)
            .update(status=Delivery.Status.SENDING, leased_until=lease, attempts=F("attempts") + 1)
        )
        if not claimed:
            return None
        return Delivery.objects.select_related("event", "endpoint", "connection").get(
            pk=delivery_id
        )


def sign(*, endpoint: Endpoint, webhook_id: str, body: str, at: datetime) -> dict[str, str]:
    """Standard Webhooks headers; one signature per live secret while one is rotated."""
    signatures = [Webhook(s).sign(webhook_id, at, body) for s in endpoint.signing_secrets()]
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
        "Content-Type": "application/json",
    }


def _post_webhook(client: httpx.Client, delivery: Delivery) -> Sent:
    endpoint = delivery.endpoint
    body = json.dumps(delivery.event.envelope(), separators=(",", ":"), ensure_ascii=False)
    headers = sign(endpoint=endpoint, webhook_id=delivery.webhook_id, body=body, at=timezone.now())
    response = http.send(client, "POST", endpoint.url, headers=headers, content=body.encode())
    code = response.status_code
    if 200 <= code < 300:
        return Sent(ok=True, status_code=code)
    retry_after = None
    if code == 429 and response.headers.get("Retry-After", "").isdigit():
        retry_after = float(response.headers["Retry-After"])
    return Sent(
        ok=False,
        status_code=code,
        error=f"HTTP {code}",
        retry=code != 410,
        retry_after=retry_after,
    )


def _send(client: httpx.Client, delivery: Delivery) -> Sent:
    try:
        if delivery.endpoint is not None:
            return _post_webhook(client, delivery)
        connection = delivery.connection
        event = delivery.event
        return CONNECTORS[connection.kind](client, connection, event.type, event.data)
    except http.UnsafeDestination as error:
        return Sent(ok=False, error=f"Refused: {error}", retry=False)
    except httpx.TimeoutException:
        return Sent(ok=False, error=f"Timed out after {settings.INTEGRATIONS_TIMEOUT:g} s")
    except httpx.HTTPError as error:
        return Sent(ok=False, error=f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH])


def delivery_attempt(
    *, delivery_id: int, client: httpx.Client | None = None, now: datetime | None = None
) -> Delivery | None:
    """Claim a due delivery, send it once and record the outcome; None when it was not
    due or another worker holds it.

    The claim is a lease: a worker killed mid-request leaves the row `sending` until the
    lease ends, then retry_deliveries takes it up again with the same webhook-id. 2xx is
    delivered; 410 from a webhook disables its endpoint; errors that retrying cannot fix
    fail at once; others wait for the next step of INTEGRATIONS_RETRY_SCHEDULE (or the
    longer Retry-After of a 429) and fail when the schedule is spent.
    """
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    destination = delivery.destination
    if not destination.is_active:
        sent = Sent(ok=False, error=f"{type(destination).__name__} is inactive.", retry=False)
    else:
        sent = _send(client or http.shared_client(), delivery)
    return delivery_record(delivery=delivery, sent=sent, now=now)


def delivery_record(*, delivery: Delivery, sent: Sent, now: datetime) -> Delivery | None:
    """Store how an attempt went, unless the lease was lost meanwhile (erased or retaken)."""
    fields = {"last_status_code": sent.status_code, "leased_until": None}
    delay = None
    if sent.ok:
        fields |= {"status": Delivery.Status.DELIVERED, "delivered_at": timezone.now()}
        fields |= {"last_error": sent.error, "next_attempt_at": None}
    else:
        delay = retry_delay(delivery.attempts) if sent.retry else None
        if delay is not None and sent.retry_after is not None:
            delay = max(delay, sent.retry_after)
        fields |= {"last_error": sent.error[:ERROR_MAX_LENGTH]}
        if delay is None:
            fields |= {"status": Delivery.Status.FAILED, "next_attempt_at": None}
        else:
            fields |= {
                "status": Delivery.Status.PENDING,
                "next_attempt_at": now + timedelta(seconds=delay),
            }
    with transaction.atomic():
        mine = Delivery.objects.filter(
            pk=delivery.pk, status=Delivery.Status.SENDING, attempts=delivery.attempts
        )
        if not mine.update(**fields):
            return None
        if sent.status_code == 410 and delivery.endpoint is not None:
            endpoint_disable(
                endpoint=delivery.endpoint,
                reason=f"Disabled on {now:%Y-%m-%d %H:%M} UTC: the endpoint answered 410 Gone.",
            )
        if fields.get("status") == Delivery.Status.PENDING:
            _schedule(delivery.pk, fields["next_attempt_at"])
    for name, value in fields.items():
        setattr(delivery, name, value)
    return delivery


def _schedule(delivery_id: int, when: datetime) -> None:
    """Queue the retry for its time where the backend can wait; otherwise (immediate)
    the periodic retry_deliveries picks it up."""
    from integrations.tasks import deliver_one

    def enqueue() -> None:
        if deliver_one.get_backend().supports_defer:
            try:
                deliver_one.using(run_after=when).enqueue(delivery_id)
            except Exception:
                logger.exception("Could not queue the retry of delivery %s", delivery_id)

    transaction.on_commit(enqueue)


def deliveries_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    return list(
        Delivery.objects.due(now).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )


def deliveries_retry(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Attempt every due delivery (and those of dead workers) once; counts by outcome."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for pk in deliveries_due(now=now, limit=limit):
        delivery = delivery_attempt(delivery_id=pk, now=now)
        status = delivery.status if delivery else "skipped"
        counts[status] = counts.get(status, 0) + 1
    return counts


def delivery_replay(*, delivery: Delivery) -> bool:
    """Send a delivered or failed delivery again, with the same webhook-id and a fresh
    retry schedule. False when its event was scrubbed (an erased lead) or it is queued."""
    with transaction.atomic():
        replayable = Delivery.objects.filter(
            pk=delivery.pk, status__in=[Delivery.Status.DELIVERED, Delivery.Status.FAILED]
        ).exclude(event__data__has_key="erased")
        if not replayable.update(
            status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        ):
            return False
        transaction.on_commit(lambda: _enqueue_one(delivery.pk))
    return True


def _enqueue_one(delivery_id: int) -> None:
    from integrations.tasks import deliver_one

    try:
        deliver_one.enqueue(delivery_id)
    except Exception:
        logger.exception("Could not queue delivery %s", delivery_id)


# --- Endpoints and connections ---------------------------------------------------


def endpoint_create(
    *, url: str, events: list[str], description: str = "", is_active: bool = True
) -> tuple[Endpoint, str]:
    """A new endpoint and its signing secret, which is shown to the caller once."""
    unknown = set(events) - set(EventType.values)
    if unknown:
        raise ValueError(f"Unknown event types: {', '.join(sorted(unknown))}.")
    http.validate_destination(url)
    secret = new_webhook_secret()
    with transaction.atomic():
        endpoint = Endpoint.objects.create(
            url=url,
            events=list(events),
            description=description,
            is_active=is_active,
            secret_encrypted=encrypt(secret),
        )
    return endpoint, secret


def endpoint_rotate_secret(*, endpoint: Endpoint) -> str:
    """A new secret; the old one keeps signing beside it for PREVIOUS_SECRET_LIFETIME."""
    secret = new_webhook_secret()
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret_encrypted = locked.secret_encrypted
        locked.previous_secret_expires_at = timezone.now() + PREVIOUS_SECRET_LIFETIME
        locked.secret_encrypted = encrypt(secret)
        locked.save(
            update_fields=[
                "secret_encrypted",
                "previous_secret_encrypted",
                "previous_secret_expires_at",
            ]
        )
    return secret


def endpoint_disable(*, endpoint: Endpoint, reason: str) -> None:
    """Stop delivering to an endpoint and say why in the admin."""
    with transaction.atomic():
        Endpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_reason=reason)
    endpoint.is_active, endpoint.disabled_reason = False, reason


def endpoint_send_test(*, endpoint: Endpoint) -> Delivery:
    """A `test` event to this endpoint alone, delivered like any other."""
    with transaction.atomic():
        event = Event.objects.create(type=EventType.TEST, data=sample_data())
        delivery = Delivery.objects.create(
            event=event,
            endpoint=endpoint,
            webhook_id=f"msg_{uuid.uuid4().hex}",
            next_attempt_at=event.created_at,
        )
        _enqueue_event(event.pk)
    return delivery


def connection_save(*, connection: Connection, api_key: str = "") -> Connection:
    """Save a connection; a non-empty api_key replaces the stored one (encrypted)."""
    if connection.api_base_url:
        http.validate_destination(connection.api_base_url)
    with transaction.atomic():
        if api_key:
            connection.set_api_key(api_key)
        connection.save()
    return connection


def connection_apply_unsubscribe(*, connection: Connection, email: str) -> bool:
    """An unsubscribe made in the email service: unsubscribe our lead too, without telling
    that service back. False when we know no such address."""
    from leads.email_address import normalise_email
    from leads.models import Lead
    from leads.services import lead_unsubscribe

    lead = Lead.objects.with_email(normalise_email(email)).first()
    if lead is None:
        return False
    with unsubscribe_from(connection):
        lead_unsubscribe(lead=lead)
    return True
