"""`manage.py export_leads`: the admin's leads CSV, to stdout or a file."""

import datetime as dt
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet

from leads.models import Lead, LeadExport
from leads.services import leads_export
from wizard.models import Recommendation

# Options that keep the leads whose field of the same name has the given value.
FIELD_OPTIONS = ("status", "outcome", "placement", "utm_source", "utm_campaign")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date like 2026-11-29.") from None


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


class Command(BaseCommand):
    # A data command run from cron or a shell: the project-wide system checks add about
    # half a second to each run and check nothing this command relies on.
    requires_system_checks: list[str] = []
    help = (
        "Write leads as the admin's CSV (UTF-8 with BOM, spreadsheet-safe) to stdout or "
        "--output. Every export is recorded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", metavar="FILE", help="write here, not stdout")
        parser.add_argument("--status", choices=Lead.Status.values)
        parser.add_argument("--outcome", choices=Recommendation.values)
        parser.add_argument("--placement")
        parser.add_argument("--utm-source")
        parser.add_argument("--utm-campaign")
        parser.add_argument(
            "--created-from", type=_date, metavar="YYYY-MM-DD", help="created on or after"
        )
        parser.add_argument(
            "--created-to", type=_date, metavar="YYYY-MM-DD", help="created on or before"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        leads = self.leads(options)
        filters = {
            name: str(options[name])
            for name in (*FIELD_OPTIONS, "created_from", "created_to")
            if options[name] is not None
        }
        chunks = leads_export(
            leads=leads, user=None, filters=filters, source=LeadExport.Source.COMMAND
        )
        if options["output"]:
            try:
                out = open(options["output"], "wb")  # noqa: SIM115 (closed below)
            except OSError as error:
                raise CommandError(f"Cannot write {options['output']}: {error}") from None
            with out:
                out.writelines(chunks)
        else:
            sys.stdout.flush()
            sys.stdout.buffer.writelines(chunks)
            sys.stdout.buffer.flush()

    def leads(self, options: dict[str, Any]) -> QuerySet[Lead]:
        leads = Lead.objects.all()
        for name in FIELD_OPTIONS:
            if options[name] is not None:
                leads = leads.filter(**{name: options[name]})
        # Whole UTC days as a half-open range, so the created_at index serves it.
        if options["created_from"] is not None:
            leads = leads.filter(created_at__gte=_midnight(options["created_from"]))
        if options["created_to"] is not None:
            leads = leads.filter(
                created_at__lt=_midnight(options["created_to"] + dt.timedelta(days=1))
            )
        return leads
