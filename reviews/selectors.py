"""Reads of the reviews app: findings and their threads, for the pages that show them.
Callers pass requests already scoped to the user (certifications.selectors), so these
never widen what a person can see."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet, prefetch_related_objects

from certifications.models import CertificationRequest
from reviews.enums import FindingStatus
from reviews.models import Finding, FindingReply

# Replies shown under each finding on the request pages; a longer thread links to its own
# paginated page (issue 20: long threads made pages of megabytes).
REPLIES_SHOWN = 10


def latest_replies(*, partner: bool = False) -> Prefetch:
    """The newest REPLIES_SHOWN replies of each finding (with their authors), newest first:
    one query for all the findings, however long their threads (a sliced prefetch, a
    window function in SQL). `with_reply_threads` puts them in reading order. `partner`:
    what the partner may read — internal reviewer notes left out."""
    replies = FindingReply.objects.select_related("author")
    if partner:
        replies = replies.filter(internal=False)
    return Prefetch(
        "replies",
        queryset=replies.order_by("-at", "-id")[:REPLIES_SHOWN],
        to_attr="newest_replies",
    )


def with_reply_threads(findings: list[Finding]) -> list[Finding]:
    """Give each finding `latest_replies` in reading order (oldest first) and
    `earlier_replies`, how many older ones the thread page holds (from the `reply_count`
    annotation)."""
    for finding in findings:
        finding.latest_replies = finding.newest_replies[::-1]
        finding.earlier_replies = finding.reply_count - len(finding.newest_replies)
    return findings


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


def open_findings_brief(
    requests: QuerySet[CertificationRequest], *, limit: int = 10
) -> list[dict[str, Any]]:
    """`open_findings_for` as the dashboard lists them, plain rows (pk, request_id, title,
    guideline_code, version, integration_name): no model instances to build."""
    return list(
        Finding.objects.filter(request__in=requests.values("pk"), status=FindingStatus.OPEN)
        .order_by("created_at")
        .values(
            "pk",
            "request_id",
            "title",
            guideline_code=F("guideline__code"),
            version=F("request__version"),
            integration_name=F("request__integration__name"),
        )[:limit]
    )


def findings_with_replies(request: CertificationRequest) -> list[Finding]:
    """A request's findings by stage, as the partner sees them: each with its guideline,
    its reply count and its latest replies (and their authors) loaded up front, internal
    reviewer notes never included. The page costs the same with 3 findings or 300, and
    with 3 replies each or 3,000."""
    findings = list(
        Finding.objects.filter(request=request)
        .select_related("guideline")
        .annotate(reply_count=Count("replies", filter=Q(replies__internal=False)))
        .order_by("stage", "created_at", "pk")
    )
    return with_reply_threads(_with_newest_partner_replies(findings))


def _with_newest_partner_replies(findings: list[Finding]) -> list[Finding]:
    """Set `newest_replies` (newest first, at most REPLIES_SHOWN, internal notes left out)
    from the findings' `reply_count`: no query when no finding has a reply, a plain one
    when every thread fits, and the windowed `latest_replies` prefetch only when some
    thread is longer (compiling the window costs more than the short threads it reads)."""
    counts = {f.pk: f.reply_count for f in findings}
    if not any(counts.values()):
        for finding in findings:
            finding.newest_replies = []
        return findings
    if max(counts.values()) > REPLIES_SHOWN:
        prefetch_related_objects(findings, latest_replies(partner=True))
        return findings
    by_finding: dict[int, list[FindingReply]] = {pk: [] for pk in counts}
    for reply in (
        FindingReply.objects.filter(finding_id__in=[pk for pk, n in counts.items() if n])
        .filter(internal=False)
        .select_related("author")
        .order_by("-at", "-id")
    ):
        by_finding[reply.finding_id].append(reply)
    for finding in findings:
        finding.newest_replies = by_finding[finding.pk]
    return findings


def partner_replies(finding: Finding) -> QuerySet[FindingReply]:
    """A finding's thread as the partner may read it (pages, e-mails, the API): internal
    reviewer notes left out; newest first."""
    return finding.replies.filter(internal=False).select_related("author").order_by("-at", "-id")


def replies_of(finding: Finding) -> QuerySet[FindingReply]:
    """A finding's thread for the partner's thread page: `partner_replies`."""
    return partner_replies(finding)
