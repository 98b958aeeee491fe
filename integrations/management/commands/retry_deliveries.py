import time

from django.core.management.base import BaseCommand

from integrations.services import deliveries_retry


class Command(BaseCommand):
    help = (
        "Attempt every delivery that is due, and take up those a dead worker left claimed. "
        "Run it every minute (cron), or keep it running with --every SECONDS."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Repeat with this pause.")

    def handle(self, *args, every: float, **options) -> None:
        while True:
            counts = deliveries_retry()
            if counts:
                summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
                self.stdout.write(f"Deliveries: {summary}")
            if not every:
                return
            time.sleep(every)
