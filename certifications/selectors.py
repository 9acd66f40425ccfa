"""Reads of the certifications app, scoped to the user. Partner members see their own
organisations' rows; vendor staff see all; everybody else sees nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from certifications.enums import RequestState
from certifications.models import (
    Certificate,
    CertificationRequest,
    CredentialReveal,
    Document,
    Integration,
    TestEnvironment,
    TransitionLog,
)
from certportal import roles


def _member_partner_ids(user: Any) -> QuerySet:
    from partners.models import Membership

    return Membership.objects.filter(user=user).values("partner_id")


def integrations_for(*, user: Any, partner_id: int | None = None) -> QuerySet[Integration]:
    if roles.is_vendor_staff(user):
        qs = Integration.objects.all()
    elif getattr(user, "is_authenticated", False):
        qs = Integration.objects.filter(partner_id__in=_member_partner_ids(user))
    else:
        return Integration.objects.none()
    if partner_id is not None:
        qs = qs.filter(partner_id=partner_id)
    return qs


def requests_for(*, user: Any, partner_id: int | None = None) -> QuerySet[CertificationRequest]:
    if roles.is_vendor_staff(user):
        qs = CertificationRequest.objects.all()
    elif getattr(user, "is_authenticated", False):
        qs = CertificationRequest.objects.filter(
            integration__partner_id__in=_member_partner_ids(user)
        )
    else:
        return CertificationRequest.objects.none()
    if partner_id is not None:
        qs = qs.filter(integration__partner_id=partner_id)
    return qs.select_related("integration", "integration__partner", "assigned_reviewer")


def documents_for(*, user: Any) -> QuerySet[Document]:
    return Document.objects.filter(request__in=requests_for(user=user).values("pk"))


def environments_for(*, user: Any) -> QuerySet[TestEnvironment]:
    return TestEnvironment.objects.filter(request__in=requests_for(user=user).values("pk"))


def integrations_with_latest_request(*, user: Any, partner_id: int) -> QuerySet[Integration]:
    """Integrations annotated with their newest request's id, state, version and due date,
    in one query (no per-row lookups)."""
    latest = CertificationRequest.objects.filter(integration=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    return integrations_for(user=user, partner_id=partner_id).annotate(
        latest_request_id=Subquery(latest.values("pk")[:1]),
        latest_state=Subquery(latest.values("state")[:1]),
        latest_version=Subquery(latest.values("version")[:1]),
        latest_due=Subquery(latest.values("sla_due_at")[:1]),
    )


def timeline(request: CertificationRequest) -> QuerySet[TransitionLog]:
    return request.log.select_related("actor").order_by("at", "id")


def certificate_by_code(code: str) -> Certificate | None:
    """Public verification: no login, only the certificate's own facts."""
    return (
        Certificate.objects.select_related("request__integration__partner", "superseded_by")
        .filter(verification_code=code)
        .first()
    )


def certificates_of(integration: Integration) -> QuerySet[Certificate]:
    return Certificate.objects.filter(request__integration=integration).order_by("-issued_at")


def latest_certified(integration: Integration) -> CertificationRequest | None:
    return (
        integration.requests.filter(state__in=[RequestState.CERTIFIED, RequestState.PUBLISHED])
        .order_by("-closed_at", "-pk")
        .first()
    )


def credential_reveals() -> QuerySet[CredentialReveal]:
    """Every reveal of a test-account password, newest first (the managers' audit page)."""
    return CredentialReveal.objects.select_related(
        "user", "environment__request__integration__partner"
    ).order_by("-at", "-pk")


def certificates_issued(*, start: dt.date | None, end: dt.date | None) -> QuerySet[Certificate]:
    """Certificates issued between `start` and `end` (either may be open), oldest first."""
    qs = Certificate.objects.select_related("request__integration__partner").order_by(
        "issued_at", "pk"
    )
    if start:
        qs = qs.filter(issued_at__date__gte=start)
    if end:
        qs = qs.filter(issued_at__date__lte=end)
    return qs
