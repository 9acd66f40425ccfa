"""Benchmark GitHub access sync against the in-process fake GitHub server.

    python manage.py bench_github_sync --grants 1000 --latency-ms 20

Creates a throwaway partner with one open request per integration (each wanting
``--logins`` reviewer logins), runs ``repo_access_sync`` for every integration on a thread
pool (one PyGithub client per thread, as in a Celery worker with threads), then runs a
second, steady-state pass (what the hourly reconcile costs when nothing changed), and
deletes everything it created. Nothing talks to the real GitHub."""

from __future__ import annotations

import math
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connections
from django.test.utils import override_settings
from django.utils import timezone

from certifications.enums import RequestState
from certifications.models import CertificationRequest, Integration
from partners.models import Partner
from reviews import access, github
from reviews.models import RepoAccessGrant

SHA = "b" * 40


class Command(BaseCommand):
    help = "Time repository-access sync for many grants against a local fake GitHub."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--grants", type=int, default=1000)
        parser.add_argument("--latency-ms", type=float, default=20.0)
        parser.add_argument("--logins", type=int, default=2, help="reviewer logins per repo")
        parser.add_argument("--concurrency", type=int, default=8, help="worker threads")

    def handle(self, *args, **opts) -> None:
        try:
            from devtools.fakegithub import FakeGitHub
        except ImportError as exc:  # devtools/fakegithub.py imports pytest (the dev extras)
            raise CommandError(f"The fake GitHub server is not importable: {exc}") from exc
        grants, logins_per_repo = opts["grants"], max(1, opts["logins"])
        if grants < 1:
            raise CommandError("--grants must be at least 1")
        repos = math.ceil(grants / logins_per_repo)
        logins = [f"bench-reviewer-{i}" for i in range(1, logins_per_repo + 1)]
        fake = FakeGitHub().start()
        fake.latency = opts["latency_ms"] / 1000
        tag = uuid.uuid4().hex[:8]
        partner = Partner.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
        try:
            integration_ids = self._seed(fake, partner, tag, repos)
            with override_settings(
                GITHUB_API_URL=fake.base_url,
                GITHUB_TOKEN=fake.token,
                GITHUB_APP_ID="",
                GITHUB_APP_PRIVATE_KEY="",
                GITHUB_APP_INSTALLATION_ID="",
                GITHUB_TIMEOUT=10,
                GITHUB_SECONDS_BETWEEN_REQUESTS=None,
                GITHUB_SECONDS_BETWEEN_WRITES=None,
                GITHUB_REVIEWER_LOGINS=logins,
            ):
                total = repos * logins_per_repo
                self.stdout.write(
                    f"bench_github_sync: {total} grants on {repos} repositories, "
                    f"{logins_per_repo} logins each, latency {opts['latency_ms']:.0f} ms, "
                    f"{opts['concurrency']} threads, database {connections['default'].vendor}"
                )
                for label in ("initial sync", "steady-state reconcile"):
                    self._pass(label, integration_ids, total, opts["concurrency"])
                states = Counter(
                    RepoAccessGrant.objects.filter(integration__partner=partner).values_list(
                        "state", flat=True
                    )
                )
                self.stdout.write(f"  grant states: {dict(sorted(states.items()))}")
        finally:
            fake.stop()
            partner.delete()

    def _seed(self, fake, partner: Partner, tag: str, repos: int) -> list[int]:
        now = timezone.now()
        integrations = Integration.objects.bulk_create(
            Integration(
                partner=partner,
                name=f"Bench {i}",
                product_area="api_workflow",
                github_repo=f"bench-{tag}/repo-{i}",
            )
            for i in range(repos)
        )
        CertificationRequest.objects.bulk_create(
            CertificationRequest(
                integration=integration,
                version="1.0.0",
                state=RequestState.SUBMITTED,
                commit_sha=SHA,
                submitted_at=now,
            )
            for integration in integrations
        )
        for integration in integrations:
            fake.add_repo(integration.github_repo, commits=[SHA])
        return [i.pk for i in integrations]

    def _pass(self, label: str, ids: list[int], total: int, concurrency: int) -> None:
        def run(pk: int) -> str:
            close_old_connections()
            try:
                return access.repo_access_sync(integration=Integration(pk=pk)).error
            finally:
                connections.close_all()

        github.reset_api_call_count()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            errors = [e for e in pool.map(run, ids) if e]
        wall = time.perf_counter() - started
        calls = github.api_call_count()
        self.stdout.write(
            f"  {label}: wall {wall:.2f} s, {calls} API calls, "
            f"{calls / total:.2f} calls/grant, {total / wall:.1f} grants/s, "
            f"{len(errors)} errors"
        )
