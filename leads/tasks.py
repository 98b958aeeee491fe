"""Mail tasks: a nudge to send what a lead is owed, queued with the owing transaction.

The owed mail is recorded on the lead (leads.services), which announces it with the
`leads.signals.mail_owed` signal; `nudge_sender` (connected in LeadsConfig.ready())
queues the task, which only asks a sender to take it now rather than at the next
send_pending_emails sweep.
"""

import logging
from typing import Any

from django.tasks import task

from certguide.tasks import queued_with_transaction
from leads.services import mail_send_due

logger = logging.getLogger(__name__)


@task
def send_lead_mail(lead_id: int, kind: str = "") -> str:
    """Send the mail this lead is owed, if it is due. `kind` is accepted for tasks queued
    before the outbox existed; what is owed is read from the lead."""
    outcome = mail_send_due(lead_id=lead_id)
    return {True: "sent", False: "failed", None: "nothing due"}[outcome]


def nudge_sender(sender: Any, *, lead_id: int, **kwargs: Any) -> None:
    """Queue a sender for the mail just owed to this lead (receiver of `mail_owed`).

    Inside the owing transaction (the database queue) a failure is the transaction's own
    and is raised with it, as for integrations' events: caught, it would leave the
    transaction broken and the sign-up failing later with a misleading error. After the
    commit a failure is logged and the mail stays owed for the sweep."""
    if queued_with_transaction():
        send_lead_mail.enqueue(lead_id)
        return
    try:
        send_lead_mail.enqueue(lead_id)
    except Exception as error:  # The queue is down: the mail stays owed for the sweep.
        logger.warning(
            "Mail to lead %s not queued (%s: %s); send_pending_emails will send it.",
            lead_id,
            type(error).__name__,
            error,
        )
