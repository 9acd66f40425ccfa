"""Reads of the reviewers' additions to the request page (issue 15): the two-person rule's
panel, the canned responses, and what changed — the review rounds, GitHub's comparison with
the previous round and with the last certified commit, the scoped re-test checklist and the
"looks major" flags. Shared by the back-office page and (what changed) the partner's page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from certifications import permissions as cert_perms
from certifications.enums import RequestKind
from certifications.models import CertificationRequest, SealAction, SealApproval
from certifications.models.approvals import two_person_rule_on
from certifications.services.approvals import SEAL_SOURCES
from certportal import roles, sqlread
from reviews.change_rules import MajorFlag, looks_major, touched_areas
from reviews.models import CannedResponse, CompareCache, Finding, ReviewRound
from reviews.services.rounds import CompareOutcome, compare_commits_cached


@dataclass(frozen=True)
class SealPanel:
    action: str
    rule_on: bool
    approval: SealApproval | None
    can_ask: bool
    can_decide: bool
    history: list[SealApproval]
    # A pending revocation's asker may withdraw it (never confirm it).
    can_withdraw: bool = False


def seal_panel(request: CertificationRequest, user: Any) -> SealPanel | None:
    """The two-person rule's state on a request whose next seal action (certify from code
    review, revoke from certified or published) needs a second approval; None elsewhere."""
    if not two_person_rule_on():
        return None
    action = next((a for a, states in SEAL_SOURCES.items() if request.state in states), None)
    if action is None:
        return None
    asks = list(
        SealApproval.objects.filter(request=request, action=action)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at", "-id")[:10]
    )
    live = next(
        (
            a
            for a in asks
            if a.commit_sha == request.commit_sha and a.used_at is None and a.approved is not False
        ),
        None,
    )
    pending = live is not None and live.pending
    if action == SealAction.CERTIFY:
        may_ask = cert_perms.is_assigned_reviewer(request, user)
        may_decide = pending and roles.is_reviewer(user)
        barred = (live.requested_by_id, request.assigned_reviewer_id) if live else ()
    else:  # the revocation rule: anyone but the asker confirms (approvals.seal_revoke)
        may_ask = cert_perms.is_reviewer_or_manager(request, user)
        may_decide = pending and (roles.is_reviewer(user) or roles.is_partner_manager(user))
        barred = (live.requested_by_id,) if live else ()
    return SealPanel(
        action=action,
        rule_on=True,
        approval=live,
        can_ask=live is None and may_ask,
        can_decide=may_decide and user.pk not in barred,
        history=asks,
        can_withdraw=action == SealAction.REVOKE and pending and user.pk == live.requested_by_id,
    )


def canned_by_guideline() -> dict[int | None, list[CannedResponse]]:
    """Active canned responses by guideline id (None: offered on every finding)."""
    out: dict[int | None, list[CannedResponse]] = {}
    for c in CannedResponse.objects.filter(active=True).select_related("guideline"):
        out.setdefault(c.guideline_id, []).append(c)
    return out


def canned_for(finding: Finding, catalogue: dict[int | None, list[CannedResponse]]) -> list:
    return catalogue.get(finding.guideline_id, []) + catalogue.get(None, [])


@dataclass
class WhatChanged:
    rounds: list[Round]
    current_sha: str
    previous_sha: str
    certified_sha: str
    since_previous: CompareOutcome | None
    since_certified: CompareOutcome | None
    retest: list[Finding] = field(default_factory=list)
    areas: list[tuple[str, int]] = field(default_factory=list)
    major_flags: list[MajorFlag] = field(default_factory=list)
    is_minor: bool = False


@dataclass(frozen=True)
class Round:
    number: int
    commit_sha: str
    started_at: Any
    transition: str


def rounds_and_certified_commit(request: CertificationRequest) -> tuple[list[Round], str]:
    """The request's review rounds (oldest first) and the commit of the integration's
    newest seal other than this request's own, in one hand-written statement
    (certportal.sqlread: both request pages read it every time): a UNION, as an
    integration has a handful of certificates."""
    # No ORDER BY in the parts of a UNION (SQLite refuses it): sorted below.
    sql = (
        'SELECT "n"."number", "n"."commit_sha", "n"."started_at", "n"."transition" '
        'FROM "reviews_reviewround" "n" WHERE "n"."request_id" = %s '
        'UNION ALL SELECT 0, "c"."commit_sha", "c"."issued_at", %s '
        'FROM "certifications_certificate" "c" '
        'INNER JOIN "certifications_certificationrequest" "q" ON ("c"."request_id" = "q"."id") '
        'WHERE "q"."integration_id" = %s AND NOT ("c"."request_id" = %s)'
    )
    params = [request.pk, CERTIFIED_ROW, request.integration_id, request.pk]
    started_at = ReviewRound._meta.get_field("started_at")
    rows = [
        Round(*row)
        for row in sqlread.typed(sqlread.fetch_all(sql, params), (None, None, started_at, None))
    ]
    seal_rows = sorted(
        (r for r in rows if r.transition == CERTIFIED_ROW), key=lambda r: r.started_at
    )
    return (
        sorted((r for r in rows if r.transition != CERTIFIED_ROW), key=lambda r: r.number),
        seal_rows[-1].commit_sha if seal_rows else "",
    )


CERTIFIED_ROW = "_certified"


def what_changed(
    request: CertificationRequest, *, findings: list[Finding] | None = None
) -> WhatChanged:
    """The request's rounds and the two comparisons (previous round → now, last certified
    commit → now), from the compare cache or GitHub (once per commit pair). With
    `findings` (the reviewer's page), the re-test checklist: the findings raised before
    the current round that still need verifying."""
    rounds, certified = rounds_and_certified_commit(request)
    current = request.commit_sha
    previous = (
        next((r.commit_sha for r in reversed(rounds[:-1]) if r.commit_sha != current), "")
        if rounds
        else ""
    )
    repo = request.integration.github_repo
    pairs = [(b, current) for b in (previous, certified) if b and current and b != current]
    cached = (
        {
            (row.base, row.head): row
            for row in CompareCache.objects.filter(repo=repo).filter(_pairs_q(pairs))
        }
        if pairs
        else {}
    )
    since_previous = (
        compare_commits_cached(repo=repo, base=previous, head=current, cached=cached)
        if previous
        else None
    )
    since_certified = (
        compare_commits_cached(repo=repo, base=certified, head=current, cached=cached)
        if certified and certified != previous
        else None
    )
    paths: list[str] = []
    for outcome in (since_previous, since_certified):
        if outcome is not None:
            paths.extend(p for p in outcome.files if p not in paths)
    out = WhatChanged(
        rounds=rounds,
        current_sha=current,
        previous_sha=previous,
        certified_sha=certified,
        since_previous=since_previous,
        since_certified=since_certified,
        areas=touched_areas(since_previous.files if since_previous else paths),
        is_minor=request.kind == RequestKind.MINOR,
    )
    if out.is_minor:
        out.major_flags = looks_major(paths)
    if findings is not None and len(rounds) > 1:
        started = rounds[-1].started_at
        out.retest = [f for f in findings if f.created_at < started]
    return out


def _pairs_q(pairs: list[tuple[str, str]]) -> Q:
    q = Q()
    for base, head in pairs:
        q |= Q(base=base, head=head)
    return q
