from django.core.management.base import BaseCommand

from certifications.overview import overview_keys_refresh


class Command(BaseCommand):
    help = (
        "Recompute the managers' overview's stored sort keys of every partner (after loading "
        "rows without signals, e.g. seed_scale's COPY; the daily beat task does the same)."
    )

    def handle(self, *args, **options):
        count = overview_keys_refresh()
        self.stdout.write(f"Refreshed the overview keys of {count} partners.")
