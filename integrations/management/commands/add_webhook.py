from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from integrations.models import EventType
from integrations.services import endpoint_create


class Command(BaseCommand):
    help = "Create a webhook endpoint and print its signing secret (shown only here)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("url")
        parser.add_argument(
            "--events",
            required=True,
            help=f"Comma-separated, from: {', '.join(EventType.values)}",
        )
        parser.add_argument("--description", default="")

    def handle(self, *args, url: str, events: str, description: str, **options) -> None:
        chosen = [e.strip() for e in events.split(",") if e.strip()]
        if not chosen:
            raise CommandError("Name at least one event with --events.")
        try:
            endpoint, secret = endpoint_create(url=url, events=chosen, description=description)
        except (ValueError, ValidationError) as error:
            message = error.messages[0] if isinstance(error, ValidationError) else str(error)
            raise CommandError(message) from error
        self.stderr.write(f"Endpoint {endpoint.pk} created for {url}; its secret:")
        self.stdout.write(secret)
