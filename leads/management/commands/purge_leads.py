from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from leads.services import lead_purge_unconfirmed


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise CommandError(f"DAYS must be a whole number, not {value!r}.") from None
    if days < 1:
        raise CommandError("DAYS must be at least 1.")
    return days


class Command(BaseCommand):
    help = "Delete leads that never confirmed their address within the given number of days."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--unconfirmed-older-than",
            dest="days",
            metavar="DAYS",
            required=True,
            help="Delete pending leads whose last sign-up is older than this many days.",
        )

    def handle(self, *args, **options) -> None:
        days = _days(options["days"])
        count = lead_purge_unconfirmed(older_than=timedelta(days=days))
        self.stdout.write(f"Deleted {count} unconfirmed lead(s) older than {days} day(s).")
