"""Mail to leads, sent by the tasks framework after the sign-up's transaction commits."""

import logging

from django.tasks import task

from leads.mail import MailKind, build_message, mail_for_status
from leads.models import Lead
from leads.services import lead_record_send

logger = logging.getLogger(__name__)


def deliver(*, lead: Lead, kind: MailKind) -> bool:
    """Send one mail and record the outcome on the lead; never raises for a mail error."""
    try:
        build_message(lead=lead, kind=kind).send()
    except Exception as error:  # Whatever the mailer raises must be recorded, not lost.
        logger.warning("Mail %s to lead %s failed: %s", kind, lead.pk, error)
        lead_record_send(lead=lead, error=f"{type(error).__name__}: {error}")
        return False
    lead_record_send(lead=lead, error=None)
    return True


@task
def send_lead_mail(lead_id: int, kind: str) -> str:
    """Send `kind` to the lead if it still fits: a lead confirmed or unsubscribed since
    the mail was queued gets no stale confirmation."""
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        return "lead gone"
    if mail_for_status(lead.status) != kind:
        return "skipped"
    return "sent" if deliver(lead=lead, kind=MailKind(kind)) else "failed"
