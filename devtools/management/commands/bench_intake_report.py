"""Benchmark the automated intake report against the in-process fake GitHub server.

    python manage.py bench_intake_report --files 2000 --latency-ms 5

Builds a repository of ``--files`` files shaped like a partner's PHP/JS integration
(bundled vendor/ libraries, build output, images and fonts, docs, and the partner's own
code with a few problems planted), computes its intake report once through the git trees
and blobs API, asks for it a second time (computed once: no GitHub call), prints wall time,
GitHub calls and what the report found, and deletes everything it created. Nothing talks
to the real GitHub."""

from __future__ import annotations

import time
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.test.utils import override_settings

from certifications.models import Integration
from partners.models import Partner
from reviews import github
from reviews.intake import services as intake
from reviews.models import IntakeReport

SHA = "e" * 40
README = (
    "# Bench plugin\n\n## Overview\nDoes things.\n\n## Features\n- A\n\n## UI changes\nA tab.\n\n"
    "## Processes\nNone.\n\n## Configuration\nA URL.\n\n## Deployment\nComposer.\n"
)
# Share of the files per kind; the partner's own code is what the content rules read.
SHAPE = (
    ("vendor", 0.45),
    ("build", 0.10),
    ("binary", 0.15),
    ("docs", 0.05),
    ("tests", 0.05),
    ("own", 0.20),
)


def repository(files: int) -> dict[str, str | bytes]:
    """A deterministic repository of ``files`` files (README, CHANGELOG, LICENSE and
    composer.json included), with a few problems in the partner's code."""
    tree: dict[str, str | bytes] = {
        "README.md": README,
        "CHANGELOG.md": "# Changelog\n\n## 1.0.0\n- First\n",
        "LICENSE": "MIT\n",
        "composer.json": '{"license": "MIT", "require": {"guzzlehttp/guzzle": "^7"}}',
        "config/app.yml": "db:\n  password: Bench-Plant3d-Pw\n",
    }
    remaining = max(0, files - len(tree))
    counts = {kind: int(remaining * share) for kind, share in SHAPE}
    counts["own"] += remaining - sum(counts.values())
    for n in range(counts["vendor"]):
        tree[f"vendor/lib{n % 40}/src/Class{n}.php"] = f"<?php\nclass C{n} {{ }} // var_dump\n"
    for n in range(counts["build"]):
        tree[f"build/chunk{n}.min.js"] = f"var a{n}=1;console.log(a{n});\n"
    for n in range(counts["binary"]):
        tree[f"assets/img/icon{n}.png"] = b"\x89PNG\r\n\x1a\n\x00" + n.to_bytes(4, "big")
    for n in range(counts["docs"]):
        tree[f"docs/page{n}.md"] = f"# Page {n}\n"
    for n in range(counts["tests"]):
        tree[f"tests/Test{n}.php"] = f"<?php\nfunction test{n}() {{ assert(true); }}\n"
    for n in range(counts["own"]):
        if n % 2:
            body = f"export function f{n}(x) {{ return x + {n}; }}\n"
            if n % 97 == 1:
                body += "console.log('debug');\n"
            tree[f"assets/js/module{n}.js"] = body
        else:
            body = f"<?php\nfunction f{n}($x) {{ return $x + {n}; }}\n"
            if n % 100 == 0:
                body += "print_r($x);\n"
            tree[f"src/Module{n}.php"] = body
    return tree


class Command(BaseCommand):
    help = "Time one intake report for a repository of N files against a local fake GitHub."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--files", type=int, default=2000)
        parser.add_argument("--latency-ms", type=float, default=5.0)

    def handle(self, *args, **opts) -> None:
        try:
            from devtools.fakegithub import FakeGitHub
        except ImportError as exc:  # devtools/fakegithub.py imports pytest (the dev extras)
            raise CommandError(f"The fake GitHub server is not importable: {exc}") from exc
        if opts["files"] < 10:
            raise CommandError("--files must be at least 10")
        tag = uuid.uuid4().hex[:8]
        fake = FakeGitHub().start()
        partner = Partner.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
        try:
            name = f"bench-{tag}/plugin"
            fake.add_repo(name, private=True)
            files = repository(opts["files"])
            fake.add_files(name, SHA, files)
            fake.latency = opts["latency_ms"] / 1000
            integration = Integration.objects.create(
                partner=partner, name="Bench plugin", product_area="api_workflow", github_repo=name
            )
            with override_settings(
                GITHUB_API_URL=fake.base_url,
                GITHUB_TOKEN=fake.token,
                GITHUB_APP_ID="",
                GITHUB_APP_PRIVATE_KEY="",
                GITHUB_APP_INSTALLATION_ID="",
                GITHUB_TIMEOUT=10,
                GITHUB_SECONDS_BETWEEN_REQUESTS=None,
                GITHUB_SECONDS_BETWEEN_WRITES=None,
            ):
                self._run(fake, integration, len(files), opts["latency_ms"])
        finally:
            fake.stop()
            partner.delete()

    def _run(self, fake, integration: Integration, files: int, latency_ms: float) -> None:
        report = IntakeReport.objects.create(
            integration=integration, commit_sha=SHA, version="1.0.0"
        )
        github.reset_api_call_count()
        started = time.perf_counter()
        report = intake.intake_report_compute(report_id=report.pk)
        wall = time.perf_counter() - started
        calls = github.api_call_count()
        self.stdout.write(
            f"bench_intake_report: {files} files, latency {latency_ms:.0f} ms per call\n"
            f"  report: wall {wall:.2f} s, {calls} GitHub calls "
            f"({fake.calls['GET /repos/{owner}/{repo}']} repository, "
            f"{fake.calls['GET /repos/{owner}/{repo}/git/trees/{sha}']} tree, "
            f"{fake.calls['GET /repos/{owner}/{repo}/git/blobs/{sha}']} blobs), "
            f"{report.files_read} files read of "
            f"{report.files_total}, calls/files {calls / files:.2f}"
        )
        found = dict(
            report.items.filter(outcome="fail")
            .values_list("rule_id")
            .annotate(n=Count("id"))
            .order_by("rule_id")
        )
        self.stdout.write(f"  problems found: {found}")
        github.reset_api_call_count()
        started = time.perf_counter()
        again = intake.intake_report_ensure(
            integration=integration, commit_sha=SHA, version="1.0.0"
        )
        self.stdout.write(
            f"  same commit again: {time.perf_counter() - started:.3f} s, "
            f"{github.api_call_count()} GitHub calls (status {again.status})"
        )
        budget = "met" if wall < 60 and calls < files else "NOT met"
        self.stdout.write(f"  budget (< 60 s, fewer calls than files): {budget}")
