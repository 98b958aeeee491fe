"""Turn the leads' and the quiz's domain signals into outbox events.

Connected in IntegrationsConfig.ready(); each runs inside the sender's transaction, so the
event commits with the change or not at all. Only leads that confirmed are ever sent.
"""

from integrations import payloads
from integrations.models import EventType
from integrations.services import event_record, events_record, leads_scrub, unsubscribe_origin
from leads.models import Lead
from wizard.models import Attempt


def on_lead_confirmed(sender, *, lead: Lead, **kwargs) -> None:
    event_record(type=EventType.LEAD_CONFIRMED, data=payloads.lead_data(lead), lead_id=lead.pk)


def on_lead_updated(sender, *, lead: Lead, **kwargs) -> None:
    if lead.status == Lead.Status.CONFIRMED:
        event_record(type=EventType.LEAD_UPDATED, data=payloads.lead_data(lead), lead_id=lead.pk)


def on_lead_unsubscribed(sender, *, lead: Lead, **kwargs) -> None:
    if lead.confirmed_at is not None:  # A lead that never confirmed was never sent.
        event_record(
            type=EventType.LEAD_UNSUBSCRIBED,
            data=payloads.lead_data(lead),
            lead_id=lead.pk,
            skip_connection_id=unsubscribe_origin.get(),
        )


def on_leads_erased(sender, *, leads: list[Lead], **kwargs) -> None:
    leads_scrub(lead_ids=[lead.pk for lead in leads])
    events_record(
        type=EventType.LEAD_ERASED,
        items=[
            (payloads.lead_erased_data(lead_id=lead.pk, email=lead.email), lead.pk)
            for lead in leads
            if lead.confirmed_at is not None  # A lead that never confirmed was never sent.
        ],
    )


def on_quiz_completed(sender, *, attempt: Attempt, **kwargs) -> None:
    event_record(type=EventType.QUIZ_COMPLETED, data=payloads.quiz_data(attempt))
