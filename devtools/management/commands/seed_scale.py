"""Bulk, realistic program data for performance work (PostgreSQL only).

    python manage.py seed_scale --partners 2000 --requests 200000

Writes partners with an approved business review, support plan, an active paid agreement
and an admin user each; integrations; requests spread over every state and kind (with the
SLA fields, reviewer, submission and closing dates their state implies); documents;
findings; about five transition-log rows per request; certificates for certified
versions; notifications. Rows go in with PostgreSQL COPY and explicit ids, so 200,000
requests take a minute or two. Scale rows are recognisable by the ``scale-`` slug and
username prefix. Running it again with the same size does nothing; another size on the
same database is refused (use a fresh database per size, as ``bench`` does).

This module checks the options and the database; the rows are made in ``devtools.scale``
(shape, writers, partners, requests, seed)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from devtools.pg import require_postgresql
from devtools.scale.seed import ensure_bench_rows, finish, scale_counts, seed


class Command(BaseCommand):
    help = "Bulk-load realistic program data (PostgreSQL; idempotent per size)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--partners", type=int, default=2000)
        parser.add_argument("--requests", type=int, default=200000)
        parser.add_argument("--integrations-per-partner", type=int, default=10)

    def handle(self, *args, **opts) -> None:
        require_postgresql("seed_scale needs PostgreSQL (it loads rows with COPY).")
        n_partners, n_requests = opts["partners"], opts["requests"]
        per_partner = max(1, opts["integrations_per_partner"])
        if n_partners < 1 or n_requests < n_partners:
            raise CommandError("Need at least one partner and one request per partner.")
        ensure_bench_rows()
        have = scale_counts()
        if have == (n_partners, n_requests):
            self.stdout.write(f"Already seeded: {n_partners} partners, {n_requests} requests.")
            return
        if have != (0, 0):
            raise CommandError(
                f"This database already holds scale data of another size {have}; "
                "use a fresh database per size."
            )
        started = time.monotonic()
        with transaction.atomic():
            counts = seed(n_partners, n_requests, per_partner)
        finish()
        summary = ", ".join(f"{v} {k}" for k, v in counts.items())
        self.stdout.write(f"Seeded {summary} in {time.monotonic() - started:.0f}s.")
