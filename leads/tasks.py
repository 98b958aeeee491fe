"""Mail tasks: a nudge to send what a lead is owed once the owing transaction commits.

The owed mail is recorded on the lead (leads.services); the task only asks a sender to
take it now rather than at the next send_pending_emails sweep.
"""

from django.tasks import task

from leads.services import mail_send_due


@task
def send_lead_mail(lead_id: int, kind: str = "") -> str:
    """Send the mail this lead is owed, if it is due. `kind` is accepted for tasks queued
    before the outbox existed; what is owed is read from the lead."""
    outcome = mail_send_due(lead_id=lead_id)
    return {True: "sent", False: "failed", None: "nothing due"}[outcome]
