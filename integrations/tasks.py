"""Delivery on the tasks worker, queued after the sign-up's transaction commits."""

from django.tasks import task

from integrations.models import Delivery
from integrations.services import deliveries_send, delivery_attempt

# Deliveries one task takes at most: under a backlog, each task also takes the oldest
# waiting deliveries, so the queue drains in batches instead of one task per row.
BATCH = 100


@task
def deliver_event(event_id: str) -> int:
    """Send the event's deliveries, and other waiting ones up to BATCH; how many."""
    ids = list(
        Delivery.objects.filter(event_id=event_id, status=Delivery.Status.PENDING).values_list(
            "pk", flat=True
        )
    )
    sent = deliveries_send(ids=ids, limit=len(ids)) if ids else []
    if len(sent) < BATCH:
        sent += deliveries_send(limit=BATCH - len(sent))
    return len(sent)


@task
def deliver_one(delivery_id: int) -> str:
    """One attempt at one delivery, if it is still due."""
    delivery = delivery_attempt(delivery_id=delivery_id)
    return delivery.status if delivery else "not due"
