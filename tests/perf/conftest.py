"""Bulk data for the query-count pins: rows straight into the tables (states preset, as
seed_scale does), so the same builder works on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from django.utils import timezone

from certifications.enums import RequestKind, RequestState
from certifications.models import Certificate, CertificationRequest, Integration, TransitionLog
from certportal.models import Notification
from partners.models import Partner
from reviews.models import Finding

STATES = [
    RequestState.PUBLISHED,
    RequestState.CERTIFIED,
    RequestState.SUBMITTED,
    RequestState.USER_TESTING,
    RequestState.CODE_REVIEW,
    RequestState.CHANGES_REQUESTED,
    RequestState.DRAFT,
    RequestState.ON_HOLD,
    RequestState.WITHDRAWN,
    RequestState.REJECTED,
]


def add_rows(*, partner, admin, reviewer, count, start=0):
    """`count` requests of `partner` over every state, ~5 log rows each, findings,
    certificates, notifications, plus one empty partner per 20 requests."""
    now = timezone.now()
    Partner.objects.bulk_create(
        Partner(name=f"Bulk partner {start + i}", slug=f"bulk-{start + i}")
        for i in range(count // 20)
    )
    integrations = Integration.objects.bulk_create(
        Integration(
            partner=partner,
            name=f"Bulk {start + i}",
            product_area="api_workflow",
            github_repo=f"acme/bulk-{start + i}",
        )
        for i in range(max(1, count // 10))
    )
    requests = CertificationRequest.objects.bulk_create(
        CertificationRequest(
            integration=integrations[i % len(integrations)],
            version=f"{start + i}.0",
            kind=RequestKind.MINOR if i % 2 else RequestKind.MAJOR,
            state=STATES[i % len(STATES)],
            commit_sha="a" * 40,
            readme_confirmed=True,
            assigned_reviewer=reviewer,
            created_by=admin,
            submitted_at=now - dt.timedelta(days=20),
            closed_at=now - dt.timedelta(days=5) if i % len(STATES) < 2 else None,
            sla_due_at=now + dt.timedelta(days=i % 10),
        )
        for i in range(count)
    )
    TransitionLog.objects.bulk_create(
        TransitionLog(
            request=r,
            actor=reviewer,
            transition="note",
            from_state=r.state,
            to_state=r.state,
            at=now - dt.timedelta(days=10 - n),
        )
        for r in requests
        for n in range(5)
    )
    Finding.objects.bulk_create(
        Finding(
            request=r,
            stage="user_testing",
            category="functional",
            severity="minor",
            status="open",
            title=f"Finding {r.pk}",
            reviewer_note="note",
            created_by=reviewer,
        )
        for r in requests[::2]
    )
    Certificate.objects.bulk_create(
        Certificate(
            request=r,
            version=r.version,
            commit_sha=r.commit_sha,
            issued_at=now - dt.timedelta(days=5),
            valid_until=(now + dt.timedelta(days=700)).date(),
            verification_code=f"bulk{r.pk:010d}",
        )
        for r in requests
        if r.state in (RequestState.CERTIFIED, RequestState.PUBLISHED)
    )
    Notification.objects.bulk_create(
        Notification(recipient=admin, event="bulk", subject=f"N {r.pk}", body_text="x")
        for r in requests
    )
    return requests


@pytest.fixture
def bulk(eligible_partner, partner_admin, reviewer):
    def grow(count, start=0):
        return add_rows(
            partner=eligible_partner,
            admin=partner_admin,
            reviewer=reviewer,
            count=count,
            start=start,
        )

    return grow
