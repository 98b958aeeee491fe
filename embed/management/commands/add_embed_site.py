from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from embed.services import embed_site_add
from embed.snippet import embed_snippet


class Command(BaseCommand):
    help = "Allow a host site (its origin) to embed the quiz, and print the snippet to paste."

    def add_arguments(self, parser) -> None:
        parser.add_argument("origin", help="such as https://blog.example.com")
        parser.add_argument("--name", required=True, help="placement name: embed:<NAME>")
        parser.add_argument(
            "--inactive", action="store_true", help="add it switched off (not yet allowed)"
        )

    def handle(self, *args, **options) -> None:
        try:
            site = embed_site_add(
                origin=options["origin"], name=options["name"], is_active=not options["inactive"]
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Added {site.name} for {site.origin} (placement {site.placement}).")
        self.stdout.write("Paste this where the quiz should appear:")
        self.stdout.write(embed_snippet(site))
