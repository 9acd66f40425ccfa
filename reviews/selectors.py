"""Reads of the reviews app: findings and their threads, for the pages that show them.
Callers pass requests already scoped to the user (certifications.selectors), so these
never widen what a person can see."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from certifications.models import CertificationRequest
from reviews.enums import FindingStatus
from reviews.models import Finding, FindingReply


def findings_for_requests(requests: QuerySet[CertificationRequest]) -> QuerySet[Finding]:
    """Findings of the given (scoped) requests, with their request and integration joined:
    an action on one finding starts here, so another tenant's finding is a 404."""
    return Finding.objects.filter(request__in=requests.values("pk")).select_related(
        "request__integration"
    )


def open_findings_for(
    requests: QuerySet[CertificationRequest], *, limit: int = 10
) -> list[Finding]:
    """The oldest findings still waiting on the partner (status open) across `requests`,
    at most `limit`, in one query: the dashboard's to-do list."""
    return list(
        Finding.objects.filter(request__in=requests.values("pk"), status=FindingStatus.OPEN)
        .select_related("request__integration", "guideline")
        .order_by("created_at")[:limit]
    )


def findings_with_replies(request: CertificationRequest) -> list[Finding]:
    """A request's findings by stage, each with its guideline and its reply thread (and the
    replies' authors) loaded up front: the request page costs the same with 3 or 300."""
    return list(
        Finding.objects.filter(request=request)
        .select_related("guideline")
        .prefetch_related(
            Prefetch("replies", queryset=FindingReply.objects.select_related("author"))
        )
        .order_by("stage", "created_at", "pk")
    )
