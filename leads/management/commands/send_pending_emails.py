from django.core.management.base import BaseCommand

from leads.mail import mail_for_status
from leads.models import Lead
from leads.tasks import deliver


class Command(BaseCommand):
    help = "Send again every lead mail that failed (the mail that fits the lead's status now)."

    def handle(self, *args, **options) -> None:
        sent = failed = 0
        for lead in Lead.objects.awaiting_mail().order_by("id").iterator():
            kind = mail_for_status(lead.status)
            if kind is None:
                continue  # Unsubscribed: lead_unsubscribe already cleared the retry.
            if deliver(lead=lead, kind=kind):
                sent += 1
            else:
                failed += 1
        self.stdout.write(f"Sent {sent} email(s); {failed} failed and will be retried.")
