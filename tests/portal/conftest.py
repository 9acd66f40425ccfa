"""Portal fixtures: requests in later states built through the real services."""

import datetime as dt

import pytest
from django.utils import timezone

from certifications import services as cert_services
from certifications.models import Certificate
from reviews import services as review_services
from tests.factories import draft_request, second_approval


def advance_to_changes_requested(request, *, admin, reviewer):
    request = cert_services.request_submit(request=request, actor=admin)
    request = cert_services.request_assign(request=request, reviewer=reviewer, actor=reviewer)
    request = cert_services.request_transition(request=request, name="intake_ok", actor=reviewer)
    finding = review_services.finding_add(
        request=request,
        actor=reviewer,
        category="functional",
        severity="major",
        title="Upload fails on large files",
        reviewer_note="Uploading a 2 GB file times out.",
    )
    request = cert_services.request_transition(
        request=request, name="ut_changes", actor=reviewer, comment="See the finding."
    )
    return request, finding


@pytest.fixture
def changes_requested(draft, integration, partner_admin, reviewer):
    """A second request of partner A in changes_requested with one open finding."""
    request = draft_request(integration, actor=partner_admin, version="2.0.0")
    request, finding = advance_to_changes_requested(request, admin=partner_admin, reviewer=reviewer)
    request.finding = finding
    return request


@pytest.fixture
def certified(eligible_partner, module_integration, partner_admin, reviewer):
    request = draft_request(module_integration, actor=partner_admin, version="3.0.0")
    request = cert_services.request_submit(request=request, actor=partner_admin)
    request = cert_services.request_assign(request=request, reviewer=reviewer, actor=reviewer)
    for name in ("intake_ok", "ut_pass", "cr_pass"):
        if name == "cr_pass":
            second_approval(request)  # the two-person rule
        request = cert_services.request_transition(request=request, name=name, actor=reviewer)
    return request


@pytest.fixture
def certificate(draft):
    """A certificate row for the public page (the verify page only reads it)."""
    return Certificate.objects.create(
        request=draft,
        version=draft.version,
        commit_sha=draft.commit_sha,
        issued_at=timezone.now(),
        valid_until=timezone.localdate() + dt.timedelta(days=200),
    )
