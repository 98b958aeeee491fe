"""Every write of integrations: the outbox, delivery attempts, replay, secrets, flow-back."""

import base64
import json
import logging
import random
import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Func, JSONField
from django.db.models.functions import JSONObject
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from certguide.tasks import queued_with_transaction
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
    """Queue the event's sending. On the database backend the task row is written in the
    caller's transaction: it commits with the event (a true outbox) and costs the
    visitor's request no commit of its own. Other backends queue after the commit, so
    the immediate one never sends what might still roll back."""
    from integrations.tasks import deliver_event  # tasks import services: import here.

    if queued_with_transaction():
        deliver_event.enqueue(str(event_id))
        return

    def enqueue() -> None:
        try:
            deliver_event.enqueue(str(event_id))
        except Exception:  # The queue is down: the deliveries wait for retry_deliveries.
            logger.exception("Could not queue the deliveries of event %s", event_id)

    transaction.on_commit(enqueue)


def _routes(*, type: str, skip_connection_id: int | None = None) -> dict[str, list[int]]:
    """The active endpoints and connections that want this event type."""
    endpoints = [e.pk for e in Endpoint.objects.active().only("events") if type in e.events]
    connections = []
    if type in LEAD_EVENTS:
        connections = list(
            Connection.objects.filter(is_active=True)
            .exclude(pk=skip_connection_id)
            .values_list("pk", flat=True)
        )
    return {"endpoint_id": endpoints, "connection_id": connections}


def event_record(
    *, type: str, data: dict, lead_id: int | None = None, skip_connection_id: int | None = None
) -> Event | None:
    """Write the event in the caller's transaction and queue its sending, when any
    destination wants it. Two reads and, if wanted, one write and the queued task, the
    same for one destination as for ten: the worker writes the deliveries (event_expand)."""
    with transaction.atomic(savepoint=False):
        routes = _routes(type=type, skip_connection_id=skip_connection_id)
        if not any(routes.values()):
            return None
        event = Event.objects.create(
            type=type, data=data, lead_id=lead_id, origin_connection_id=skip_connection_id
        )
        _enqueue_event(event.pk)
    return event


def events_record(*, type: str, items: list[tuple[dict, int]]) -> int:
    """event_record for many leads at once (data, lead id): the destinations are read once
    and the events written in one insert; how many were written."""
    if not items:
        return 0
    with transaction.atomic(savepoint=False):
        routes = _routes(type=type, skip_connection_id=None)
        if not any(routes.values()):
            return 0
        events = Event.objects.bulk_create(
            Event(type=type, data=data, lead_id=lead_id) for data, lead_id in items
        )
        for event in events:
            _enqueue_event(event.pk)
    return len(events)


def events_expand(*, ids: list | None = None, limit: int = 100) -> int:
    """Write one pending delivery per destination that wants each event, once, for up to
    `limit` events not yet expanded (of `ids` if given), in one transaction; how many
    events. Events scrubbed before this (their lead was erased) get none."""
    with transaction.atomic():
        waiting = Event.objects.filter(expanded_at__isnull=True)
        if ids is not None:
            waiting = waiting.filter(pk__in=ids)
        events = list(
            waiting.order_by("created_at")
            .select_for_update(skip_locked=True)
            .only("type", "data", "origin_connection_id")[:limit]
        )
        if not events:
            return 0
        endpoints = list(Endpoint.objects.active().only("events"))
        connections = list(Connection.objects.filter(is_active=True).values_list("pk", flat=True))
        now = timezone.now()
        deliveries = []
        for event in events:
            if "erased" in event.data:
                continue
            targets = [("endpoint_id", e.pk) for e in endpoints if event.type in e.events]
            if event.type in LEAD_EVENTS:
                targets += [
                    ("connection_id", pk) for pk in connections if pk != event.origin_connection_id
                ]
            deliveries += [
                Delivery(
                    event=event,
                    webhook_id=f"msg_{uuid.uuid4().hex}",
                    next_attempt_at=now,
                    **{f: pk},
                )
                for f, pk in targets
            ]
        Delivery.objects.bulk_create(deliveries)
        Event.objects.filter(pk__in=[e.pk for e in events]).update(expanded_at=now)
    return len(events)


def event_expand(*, event_id: uuid.UUID | str) -> list[int]:
    """Expand one event (events_expand); the ids of its deliveries still waiting."""
    events_expand(ids=[event_id], limit=1)
    return list(
        Delivery.objects.filter(event_id=event_id, status=Delivery.Status.PENDING).values_list(
            "pk", flat=True
        )
    )


def events_expand_waiting() -> int:
    """Expand every event not yet expanded (a lost or killed task); how many."""
    total = 0
    while expanded := events_expand():
        total += expanded
    return total


class _JSONTrue(Func):
    """JSON `true` inside JSONObject on PostgreSQL and SQLite (a cast string stays a string
    on SQLite, a plain True becomes 1)."""

    output_field = JSONField()

    def as_sql(self, compiler, connection, **extra_context):
        return "'true'::jsonb", []

    def as_sqlite(self, compiler, connection, **extra_context):
        return "JSON('true')", []


def leads_scrub(*, lead_ids: list[int]) -> int:
    """Take erased leads' personal data out of the delivery log: event payloads keep only
    the lead's id, errors (a vendor may quote the address) are blanked, and what was still
    waiting is cancelled. Runs in the erase's transaction, four queries for any number of
    leads; how many events."""
    if not lead_ids:
        return 0
    with transaction.atomic(savepoint=False):
        events = Event.objects.filter(lead_id__in=lead_ids).exclude(type=EventType.LEAD_ERASED)
        Delivery.objects.filter(event__in=events).update(last_error="")
        Delivery.objects.filter(
            event__in=events, status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
        ).update(status=Delivery.Status.CANCELLED, leased_until=None, next_attempt_at=None)
        # Each event keeps its own lead's id: {"lead_id": …, "erased": true}.
        return events.update(data=JSONObject(lead_id=F("lead_id"), erased=_JSONTrue()))


# --- Delivering ------------------------------------------------------------------


def retry_delay(attempts: int) -> float | None:
    """Seconds before attempt `attempts + 1`, with jitter; None when the schedule is spent.
    The jitter only lengthens a wait, so the schedule's total stays a floor."""
    schedule = settings.INTEGRATIONS_RETRY_SCHEDULE
    if attempts > len(schedule):
        return None
    return schedule[attempts - 1] * random.uniform(1.0, 1.2)  # noqa: S311 (not a secret)


def _claim(*, now: datetime, limit: int, ids: list[int] | None = None) -> list[Delivery]:
    """Take up to `limit` due deliveries (of `ids` if given) for this worker, oldest first.
    Rows another worker is claiming at the same moment are skipped, not waited for."""
    lease = now + timedelta(seconds=settings.INTEGRATIONS_LEASE_SECONDS)
    due = Delivery.objects.due(now)
    if ids is not None:
        due = due.filter(pk__in=ids)
    with transaction.atomic():
        chosen = list(
            due.order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if not chosen:
            return []
        due.filter(pk__in=chosen).update(
            status=Delivery.Status.SENDING, leased_until=lease, attempts=F("attempts") + 1
        )
        return list(
            Delivery.objects.select_related("event", "endpoint", "connection").filter(
                pk__in=chosen, status=Delivery.Status.SENDING, leased_until=lease
            )
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
    except (ValueError, KeyError, TypeError) as error:
        # An answer not shaped as the vendor documents (a proxy's error page, say):
        # recorded and retried, never a crash that would strand the batch.
        logger.warning("Unexpected answer for delivery %s: %r", delivery.pk, error)
        return Sent(ok=False, error=f"Unexpected answer: {type(error).__name__}")


def _attempt(delivery: Delivery, client: httpx.Client) -> Sent:
    destination = delivery.destination
    if not destination.is_active:
        return Sent(ok=False, error=f"{type(destination).__name__} is inactive.", retry=False)
    return _send(client, delivery)


def deliveries_send(
    *, now: datetime | None = None, limit: int = 100, ids: list[int] | None = None
) -> list[Delivery]:
    """Claim due deliveries (of `ids`, or the oldest `limit`), send each once and record
    how it went; the deliveries this worker recorded.

    The claim is a lease: a worker killed mid-request leaves the rows `sending` until the
    lease ends, then they are due again and go out with the same webhook-id. Webhooks go
    out side by side (INTEGRATIONS_CONCURRENCY threads; they touch no database), email
    services one after another (their connectors keep the vendor's contact ids). 2xx is
    delivered; 410 from a webhook disables its endpoint; errors that retrying cannot fix
    fail at once; others wait for the next step of INTEGRATIONS_RETRY_SCHEDULE (or the
    longer Retry-After of a 429) and fail when the schedule is spent.
    """
    now = now or timezone.now()
    claimed = _claim(now=now, limit=limit, ids=ids)
    client = http.shared_client()
    webhooks = [d for d in claimed if d.endpoint_id is not None]
    outcomes: dict[int, Sent] = {}
    if len(webhooks) > 1:
        with ThreadPoolExecutor(settings.INTEGRATIONS_CONCURRENCY) as pool:
            sent = pool.map(lambda d: _attempt(d, client), webhooks)
            outcomes.update(zip([d.pk for d in webhooks], sent, strict=True))
    for delivery in claimed:
        if delivery.pk not in outcomes:
            outcomes[delivery.pk] = _attempt(delivery, client)
    # One commit for the batch's outcomes: a commit per row was most of a worker's time.
    with transaction.atomic():
        recorded = [delivery_record(delivery=d, sent=outcomes[d.pk], now=now) for d in claimed]
    return [d for d in recorded if d is not None]


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> Delivery | None:
    """One attempt at one delivery (deliveries_send); None when it was not due or another
    worker holds it."""
    recorded = deliveries_send(now=now, ids=[delivery_id], limit=1)
    return recorded[0] if recorded else None


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


def deliveries_retry(*, now: datetime | None = None, batch: int = 100) -> dict[str, int]:
    """Send everything due (and what dead workers left claimed) until nothing is;
    counts by outcome."""
    events_expand_waiting()
    now = now or timezone.now()
    counts: dict[str, int] = {}
    while recorded := deliveries_send(now=now, limit=batch):
        for delivery in recorded:
            counts[delivery.status] = counts.get(delivery.status, 0) + 1
        if any(d.status == Delivery.Status.PENDING and d.next_attempt_at <= now for d in recorded):
            break  # A zero-second retry step: leave it for the next round.
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
        event = Event.objects.create(
            type=EventType.TEST, data=sample_data(), expanded_at=timezone.now()
        )
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
