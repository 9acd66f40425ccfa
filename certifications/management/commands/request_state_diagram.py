from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from certifications.diagram import document

TARGET = Path(settings.BASE_DIR) / "docs" / "state-machine.md"


class Command(BaseCommand):
    help = "Print (or --write to docs/state-machine.md) the request state diagram from the code."

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true")

    def handle(self, *args, write: bool = False, **options):
        text = document()
        if write:
            TARGET.parent.mkdir(exist_ok=True)
            TARGET.write_text(text)
            self.stdout.write(f"Wrote {TARGET.relative_to(settings.BASE_DIR)}")
        else:
            self.stdout.write(text)
