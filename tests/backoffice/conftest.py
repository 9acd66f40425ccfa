"""Back-office fixtures: a submitted request assigned to `reviewer`, and bulk rows built with
model constructors (fast) for the query-count tests."""

import datetime as dt

import pytest
from django.utils import timezone

from certifications import services as cert_services
from certifications.enums import RequestKind, RequestState
from certifications.models import CertificationRequest, Integration
from partners.models import Partner


@pytest.fixture
def assigned(draft, partner_admin, reviewer):
    """Partner A's request, submitted and assigned to `reviewer`."""
    request = cert_services.request_submit(request=draft, actor=partner_admin)
    return cert_services.request_assign(request=request, reviewer=reviewer, actor=reviewer)


@pytest.fixture
def staff_client(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def bulk_requests(n: int, *, state=RequestState.USER_TESTING, prefix="bulk", reviewer=None):
    """n partners, each with one integration and one request (model constructors)."""
    now = timezone.now()
    partners = Partner.objects.bulk_create(
        [Partner(name=f"{prefix} partner {i}", slug=f"{prefix}-partner-{i}") for i in range(n)]
    )
    integrations = Integration.objects.bulk_create(
        [
            Integration(
                partner=p,
                name=f"{prefix} integration {i}",
                product_area="api_workflow",
                github_repo=f"{prefix}/int-{i}",
            )
            for i, p in enumerate(partners)
        ]
    )
    return CertificationRequest.objects.bulk_create(
        [
            CertificationRequest(
                integration=integ,
                version="1.0.0",
                kind=RequestKind.MINOR,
                state=state,
                assigned_reviewer=reviewer,
                submitted_at=now,
                sla_target_days=14,
                sla_running_since=now,
                sla_due_at=now + dt.timedelta(days=i % 20 - 5),
            )
            for i, integ in enumerate(integrations)
        ]
    )
