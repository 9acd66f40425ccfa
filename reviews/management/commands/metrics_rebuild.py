"""Build the metrics summary from scratch (reviews.metrics.store): the first build after
deploying it, or after a bulk load that bypassed the models' signals (seed_scale)."""

import time

from django.core.management.base import BaseCommand

from reviews.metrics import store


class Command(BaseCommand):
    help = "Rebuild the metrics summary (cells and per-request facts) from every request."

    def handle(self, *args, **options):
        started = time.perf_counter()
        count = store.rebuild()
        seconds = time.perf_counter() - started
        self.stdout.write(f"Metrics summary built from {count} requests in {seconds:.1f} s.")
