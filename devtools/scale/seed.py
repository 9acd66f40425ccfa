"""The whole scale load in order, what a database already holds, and afterwards the id
sequences and planner statistics brought up to date."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from certifications.models import (
    Certificate,
    CertificationRequest,
    Document,
    Integration,
    TransitionLog,
)
from certifications.overview import overview_keys_refresh
from certportal.models import Notification
from devtools.models import BenchRow
from devtools.scale.partners import seed_integrations, seed_partners, seed_staff
from devtools.scale.requests import seed_requests
from devtools.scale.shape import PREFIX
from devtools.scale.writers import reset_sequence
from partners.models import Agreement, BusinessReview, Membership, Partner, Payment, SupportPlan
from reviews.models import Finding


def scale_counts() -> tuple[int, int]:
    """The scale partners and requests this database holds."""
    partners = Partner.objects.filter(slug__startswith=PREFIX).count()
    requests = CertificationRequest.objects.filter(
        integration__partner__slug__startswith=PREFIX
    ).count()
    return partners, requests


def ensure_bench_rows(count: int = 50) -> None:
    """The benchmark's reference rows (its 50-row template page)."""
    missing = count - BenchRow.objects.count()
    if missing > 0:
        start = BenchRow.objects.count()
        BenchRow.objects.bulk_create(
            BenchRow(name=f"Row {start + i + 1}", value=(start + i + 1) * 7) for i in range(missing)
        )


def seed(n_partners: int, n_requests: int, per_partner: int) -> dict[str, int]:
    """Load everything (call inside a transaction); returns the counts by kind of row."""
    now = timezone.now()
    reviewer_ids = seed_staff()
    partners, users = seed_partners(now, n_partners)
    integrations = seed_integrations(now, partners.first_id, n_partners, per_partner)
    counts = {"partners": partners.count, "integrations": integrations.count}
    counts |= seed_requests(
        now=now,
        n_requests=n_requests,
        integrations=integrations,
        per_partner=per_partner,
        user0=users.first_id,
        reviewer_ids=reviewer_ids,
    )
    return counts


def finish() -> None:
    """Point every id sequence past the rows COPY wrote, VACUUM ANALYZE, fill the overview
    keys (outside a transaction: VACUUM cannot run in one)."""
    for model in (
        get_user_model(),
        Partner,
        Membership,
        BusinessReview,
        SupportPlan,
        Agreement,
        Payment,
        Integration,
        CertificationRequest,
        TransitionLog,
        Document,
        Finding,
        Certificate,
        Notification,
    ):
        reset_sequence(model)
    # Statistics first: planned on the empty tables' statistics, the overview keys' query
    # scanned every open request once per partner (39 minutes at 2,000,000 requests and
    # not done; seconds once the planner knows the tables). VACUUM too, as autovacuum
    # would have on a database that grew to this size: COPY leaves the visibility map
    # empty, and without it the capped counts (queue tabs, changelist) cannot be
    # index-only scans; the planner then scans the table from its start, where the old,
    # closed requests are (44 ms for the workspace's tab counts at 2,000,000; 3.5 ms after).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    # COPY sends no signals: the managers' overview's stored sort keys (two statements).
    overview_keys_refresh()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) certifications_partneroverviewkeys")
