"""Reads of the reviews app: findings and their threads, for the pages that show them.
Callers pass requests already scoped to the user (certifications.selectors), so these
never widen what a person can see."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from certifications import selectors as cert_selectors
from certifications.models import CertificationRequest, Guideline
from certportal import sqlread
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


def open_findings_brief(*, user: Any, partner_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """`open_findings_for` of the partner's requests (scoped as `requests_for`) as the
    dashboard lists them, plain rows (pk, request_id, title, guideline_code, version,
    integration_name), oldest first: written by hand (certportal.sqlread), no queryset to
    build and no model instances."""
    sql = (
        'SELECT "f"."id", "f"."request_id", "f"."title", "g"."code", "r"."version", "i"."name" '  # noqa: S608 (no values in the SQL)
        'FROM "reviews_finding" "f" '
        'INNER JOIN "certifications_certificationrequest" "r" ON ("f"."request_id" = "r"."id") '
        'INNER JOIN "certifications_integration" "i" ON ("r"."integration_id" = "i"."id") '
        'LEFT OUTER JOIN "certifications_guideline" "g" ON ("f"."guideline_id" = "g"."id") '
        f'WHERE "i"."partner_id" IN {cert_selectors.MEMBER_PARTNERS_SQL} '
        'AND "i"."partner_id" = %s AND "f"."status" = %s '
        'ORDER BY "f"."created_at" ASC, "f"."id" ASC LIMIT %s'
    )
    keys = ("pk", "request_id", "title", "guideline_code", "version", "integration_name")
    return [
        dict(zip(keys, row, strict=True))
        for row in sqlread.fetch_all(sql, [user.pk, partner_id, FindingStatus.OPEN, limit])
    ]


def findings_with_replies(request: CertificationRequest, *, partner: bool = True) -> list[Finding]:
    """A request's findings by stage, each with its guideline, its reply count and its
    latest replies (and their authors) loaded up front. `partner` (the default): as the
    partner sees them, internal reviewer notes never included; `partner=False`: the
    reviewers' page, internal notes too. The page costs the same with 3 findings or 300,
    and with 3 replies each or 3,000. Hand-written (certportal.sqlread): the request
    pages and the API read it every time."""
    internal_clause = 'AND "c"."internal" = %s' if partner else ""
    sql = (
        f"SELECT {sqlread.columns(Finding, 'f')}, {sqlread.columns(Guideline, 'g')}, "  # noqa: S608 (no values in the SQL)
        '(SELECT COUNT(*) FROM "reviews_findingreply" "c" '
        f'WHERE "c"."finding_id" = "f"."id" {internal_clause}) '
        'FROM "reviews_finding" "f" '
        'LEFT OUTER JOIN "certifications_guideline" "g" ON ("f"."guideline_id" = "g"."id") '
        'WHERE "f"."request_id" = %s '
        'ORDER BY "f"."stage" ASC, "f"."created_at" ASC, "f"."id" ASC'
    )
    start = sqlread.width(Finding)
    findings = []
    for row in sqlread.fetch_all(sql, [False, request.pk] if partner else [request.pk]):
        finding = sqlread.instance(Finding, row)
        finding.guideline = (
            sqlread.instance(Guideline, row, start) if finding.guideline_id else None
        )
        finding.reply_count = row[-1]
        findings.append(finding)
    return with_reply_threads(_with_newest_replies(findings, partner=partner))


def _with_newest_replies(findings: list[Finding], *, partner: bool) -> list[Finding]:
    """Set `newest_replies` (newest first, at most REPLIES_SHOWN; internal notes left out
    for the partner) from the findings' `reply_count`: no query when no finding has a
    reply, a plain one when every thread fits, and the windowed `latest_replies` prefetch
    only when some thread is longer (compiling the window costs more than the short
    threads it reads)."""
    counts = {f.pk: f.reply_count for f in findings}
    if not any(counts.values()):
        for finding in findings:
            finding.newest_replies = []
        return findings
    if max(counts.values()) > REPLIES_SHOWN:
        prefetch_related_objects(findings, latest_replies(partner=partner))
        return findings
    by_finding: dict[int, list[FindingReply]] = {pk: [] for pk in counts}
    with_replies = [pk for pk, n in counts.items() if n]
    User = get_user_model()
    internal_clause = 'AND "r"."internal" = %s ' if partner else ""
    sql = (
        f"SELECT {sqlread.columns(FindingReply, 'r')}, {sqlread.columns(User, 'a')} "  # noqa: S608 (no values in the SQL)
        'FROM "reviews_findingreply" "r" '
        f'LEFT OUTER JOIN "{User._meta.db_table}" "a" ON ("r"."author_id" = "a"."id") '
        f'WHERE "r"."finding_id" IN ({sqlread.placeholders(with_replies)}) '
        f'{internal_clause}ORDER BY "r"."at" DESC, "r"."id" DESC'
    )
    start = sqlread.width(FindingReply)
    params = [*with_replies, False] if partner else with_replies
    for row in sqlread.fetch_all(sql, params):
        reply = sqlread.instance(FindingReply, row)
        reply.author = sqlread.instance(User, row, start) if reply.author_id else None
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
