"""Delivery on the tasks worker, queued after the sign-up's transaction commits."""

import time

from django.tasks import task

from integrations.services import (
    deliveries_send,
    delivery_attempt,
    event_expand,
    events_expand,
)

# Under a backlog a task keeps claiming the oldest waiting deliveries, a batch at a time,
# for up to this long, so the queue drains in batches instead of one task per row (the
# other tasks then find nothing left to do).
BATCH = 100
DRAIN_SECONDS = 60


@task
def deliver_event(event_id: str) -> int:
    """Write the event's deliveries, send them, then whatever else is waiting; how many."""
    ids = event_expand(event_id=event_id)
    sent = len(deliveries_send(ids=ids, limit=len(ids))) if ids else 0
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        expanded = events_expand(limit=BATCH)
        batch = deliveries_send(limit=BATCH)
        if not batch and not expanded:
            break
        sent += len(batch)
    return sent


@task
def deliver_one(delivery_id: int) -> str:
    """One attempt at one delivery, if it is still due."""
    delivery = delivery_attempt(delivery_id=delivery_id)
    return delivery.status if delivery else "not due"
