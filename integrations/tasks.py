"""Delivery on the tasks worker, queued after the sign-up's transaction commits."""

from django.tasks import task

from integrations.models import Delivery
from integrations.services import delivery_attempt


@task
def deliver_event(event_id: str) -> int:
    """Fan the event's deliveries out, one task each, so a slow destination does not hold
    up the others; how many were queued."""
    ids = list(
        Delivery.objects.filter(event_id=event_id, status=Delivery.Status.PENDING).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        deliver_one.enqueue(pk)
    return len(ids)


@task
def deliver_one(delivery_id: int) -> str:
    """One attempt at one delivery, if it is still due."""
    delivery = delivery_attempt(delivery_id=delivery_id)
    return delivery.status if delivery else "not due"
