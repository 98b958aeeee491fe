from django.core.management.base import BaseCommand

from leads.services import mail_fail_abandoned, mail_send_due


class Command(BaseCommand):
    help = (
        "Send every lead mail that is owed and due: never sent, waiting for a retry, or "
        "left by a sender that died (after its lease). Safe to run several at once."
    )

    def handle(self, *args, **options) -> None:
        abandoned = mail_fail_abandoned()
        sent = failed = 0
        while (outcome := mail_send_due()) is not None:
            if outcome:
                sent += 1
            else:
                failed += 1
        self.stdout.write(f"Sent {sent} email(s); {failed} failed and will be retried.")
        if abandoned:
            self.stdout.write(f"{abandoned} email(s) gave up after their last attempt.")
