"""Findings and their threads: list a request's findings (with the latest replies), read
a whole thread, reply (and mark addressed). Disputes and other thread actions of the
reviews app plug in here as one handler each over their service."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from api.auth import principal_of
from api.pagination import DEFAULT_LIMIT, Cursor, Limit, page
from api.problems import ERRORS
from api.routers.common import actor_name, load, requests_of
from api.schemas import DisputeIn, FindingOut, ReplyIn, ReplyOut, ReplyPage
from reviews import selectors as review_selectors
from reviews import services as review_services

router = Router()


def reply_out(reply) -> dict:
    return {"id": reply.pk, "author": actor_name(reply.author), "body": reply.body, "at": reply.at}


def finding_out(finding) -> dict:
    return {
        "id": finding.pk,
        "request_id": finding.request_id,
        "stage": finding.stage,
        "status": finding.status,
        "category": finding.category,
        "severity": finding.severity,
        "title": finding.title,
        "reviewer_note": finding.reviewer_note,
        "guideline": finding.guideline.code if finding.guideline_id else None,
        "created_at": finding.created_at,
        "updated_at": finding.updated_at,
        "dispute_state": finding.dispute_state,
        "reply_count": finding.reply_count,
        "latest_replies": [reply_out(r) for r in finding.latest_replies],
    }


def findings_of(request):
    """Findings of the caller's requests (another organisation's finding is a 404)."""
    return review_selectors.findings_for_requests(requests_of(principal_of(request)))


def request_findings(request: HttpRequest, request_id: int):
    """A request's findings by stage, each with its latest replies (mounted on
    /requests/{id}/findings by the requests router)."""
    req = load(requests_of(principal_of(request)), request_id)
    return [finding_out(f) for f in review_selectors.findings_with_replies(req)]


@router.get("/{int:finding_id}/replies", response={200: ReplyPage, **ERRORS}, url_name="replies")
def finding_replies(
    request: HttpRequest, finding_id: int, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
):
    """A finding's whole thread, newest first."""
    finding = load(findings_of(request), finding_id)
    result = page(review_selectors.replies_of(finding), cursor=cursor, limit=limit)
    return {**result, "items": [reply_out(r) for r in result["items"]]}


@router.post("/{int:finding_id}/replies", response={201: ReplyOut, **ERRORS}, url_name="reply")
def finding_reply(request: HttpRequest, finding_id: int, payload: ReplyIn):
    """Answer a finding; `mark_addressed` tells the reviewer it is fixed."""
    p = principal_of(request)
    finding = load(findings_of(request), finding_id)
    reply = review_services.finding_reply(
        finding=finding, actor=p.user, body=payload.body, mark_addressed=payload.mark_addressed
    )
    return Status(201, reply_out(reply))


@router.post("/{int:finding_id}/dispute", response={200: FindingOut, **ERRORS}, url_name="dispute")
def finding_dispute(request: HttpRequest, finding_id: int, payload: DisputeIn):
    """Dispute a finding ("not a defect, because …", the program's false-positive path):
    the assigned reviewer accepts it (the finding stops blocking) or rejects it, with a
    reason you read in the thread."""
    p = principal_of(request)
    finding = load(findings_of(request), finding_id)
    review_services.finding_dispute(finding=finding, actor=p.user, reason=payload.reason)
    fresh = next(
        f for f in review_selectors.findings_with_replies(finding.request) if f.pk == finding.pk
    )
    return finding_out(fresh)
