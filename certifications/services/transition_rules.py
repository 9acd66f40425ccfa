"""What each request transition adds to the shared body of
`transitions.transition_fire`, one row per transition in `TRANSITION_RULES`: the refusal
worded when its condition fails, its arguments, a guard after firing, and the side
effects in the same transaction (the certificate and listing it issues, the quota it gives
back, the seal it revokes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from certifications import intake_checks, webhook_events
from certifications.enums import RequestState
from certifications.models import (
    Certificate,
    CertificationRequest,
    Listing,
    SealAction,
    checked_commit_sha,
)
from certifications.services import approvals
from certifications.services.common import CertificationError
from certifications.updates import deployment_slot
from partners import selectors as partner_selectors
from partners import services as partner_services

# Transitions into certified: each issues the seal (docs_pass is the docs-only path's).
CERTIFY_TRANSITIONS = ("cr_pass", "docs_pass")

# The stage whose open findings block each certify transition (its other condition is the
# two-person rule).
CERTIFY_STAGE = {"cr_pass": "code_review", "docs_pass": "documentation"}


def _intake_guard(request: CertificationRequest, *, actor: Any, reason: str, comment: str) -> str:
    """Blockers registered in `intake_checks` (the automated intake report's) refuse
    intake; a reviewer's reason overrides them, recorded by the check and in the log."""
    found = intake_checks.blockers(request)
    if not found:
        return comment
    if not reason.strip():
        listed = " ".join(item for items in found.values() for item in items)
        raise CertificationError(
            f"Intake is blocked: {listed} Resolve it with the partner, or override the "
            "blockers with a reason.",
            code="unmet",
        )
    intake_checks.record_overrides(request, actor=actor, reason=reason.strip(), found=found)
    return "\n".join(filter(None, [comment, f"Intake blockers overridden: {reason.strip()}"]))


def _issue_certificate(request: CertificationRequest, *, at: dt.datetime) -> Certificate:
    """Issue the seal of a version that passed code review. It is valid until the agreement
    in force ends (a year without one), supersedes the integration's earlier seals, moves
    the listing to this version, and schedules a module update into the next deployment
    cycle."""
    agreement = partner_selectors.agreement_in_force(
        partner=request.integration.partner_id, on=at.date()
    )
    valid_until = agreement.term_end if agreement else (at + dt.timedelta(days=365)).date()
    certificate = Certificate.objects.create(
        request=request,
        version=request.version,
        commit_sha=request.commit_sha,
        issued_at=at,
        valid_until=valid_until,
    )
    previous = Certificate.objects.filter(
        request__integration=request.integration, superseded_by__isnull=True
    ).exclude(pk=certificate.pk)
    webhook_events.certificate_issued(
        certificate, superseded=list(previous.values_list("pk", flat=True))
    )
    previous.update(superseded_by=certificate)
    if request.update_of_id and request.integration.is_module:
        request.deployment_date = deployment_slot(at.date()).deploy_on
        request.save(update_fields=["deployment_date"])
    listing = Listing.objects.filter(integration=request.integration).first()
    if listing is not None:
        # A later certified version supersedes the earlier one on the listing.
        listing.certificate = certificate
        listing.save(update_fields=["certificate"])
    return certificate


def _publish_listing(request: CertificationRequest, *, at: dt.datetime) -> Listing:
    """Create or refresh the integration's one marketplace listing, pointing at this
    version's seal."""
    certificate = request.certificate
    listing, _ = Listing.objects.update_or_create(
        integration=request.integration,
        defaults={
            "certificate": certificate,
            "title": request.integration.name,
            "summary": request.integration.description or request.integration.name,
            "published_at": at,
        },
    )
    return listing


FINDINGS_UNMET = "Resolve or verify every open finding of this stage first."
DOCS_ONLY_UNMET = (
    "This is a docs-only player-plugin update: start the documentation review instead; it "
    "is not tested or code-reviewed again."
)


def _no_unmet_message(request: CertificationRequest) -> str | None:
    return None


@dataclass(frozen=True)
class TransitionRule:
    """One transition's additions to the shared body, in the order they run:
    `prepare(request, kwargs, comment)` fills or checks the transition's arguments;
    `takes_at` passes the time; `unmet(request)` is the refusal when a condition fails
    (read only then); `guard(request, actor=, reason=, comment=)` may refuse after firing
    and returns the log comment; `effects(request, actor=, comment=, at=)` run after the
    log row, in the same transaction."""

    unmet: Callable[[CertificationRequest], str | None] = _no_unmet_message
    takes_at: bool = False
    prepare: Callable[[CertificationRequest, dict[str, Any], str], None] | None = None
    guard: Callable[..., str] | None = None
    effects: Callable[..., None] | None = None


def _certify_unmet(stage: str) -> Callable[[CertificationRequest], str | None]:
    """Open findings of `stage`, or else the two-person rule (the only other condition)."""

    def unmet(request: CertificationRequest) -> str | None:
        return FINDINGS_UNMET if request.open_findings(stage=stage) else approvals.TWO_PERSON_UNMET

    return unmet


def _resubmit_prepare(request: CertificationRequest, kwargs: dict[str, Any], comment: str) -> None:
    kwargs.setdefault("commit_sha", request.commit_sha)
    kwargs.setdefault("change_summary", comment)
    try:
        kwargs["commit_sha"] = checked_commit_sha(kwargs["commit_sha"])
    except ValidationError as exc:
        raise CertificationError("Enter the new commit SHA (7–40 hexadecimal characters).") from exc


def _withdraw_effects(request: CertificationRequest, *, actor: Any, **_: Any) -> None:
    """A withdrawal before user testing gives the quota unit back."""
    if not request.log.filter(to_state=RequestState.USER_TESTING).exists():
        partner_services.quota_refund(
            request_id=request.pk, actor=actor, reason="Withdrawn before review started"
        )


def _certify_effects(request: CertificationRequest, *, at: dt.datetime, **_: Any) -> None:
    approvals.seal_approval_spend(request, SealAction.CERTIFY, at=at)
    _issue_certificate(request, at=at)


def _publish_effects(request: CertificationRequest, *, at: dt.datetime, **_: Any) -> None:
    _publish_listing(request, at=at)


def _revoke_effects(
    request: CertificationRequest, *, actor: Any, comment: str, at: dt.datetime
) -> None:
    approvals.seal_approval_spend(request, SealAction.REVOKE, at=at)
    approvals.seal_revoked_effects(request, at=at, actor=actor, reason=comment)


NO_RULE = TransitionRule()
TRANSITION_RULES: dict[str, TransitionRule] = {
    "intake_ok": TransitionRule(
        unmet=lambda r: None if r.docs_review_refusal() else DOCS_ONLY_UNMET,
        guard=_intake_guard,
    ),
    "intake_docs_ok": TransitionRule(unmet=lambda r: r.docs_review_refusal() or None),
    "ut_pass": TransitionRule(unmet=lambda r: FINDINGS_UNMET),
    "resubmit": TransitionRule(prepare=_resubmit_prepare),
    "withdraw": TransitionRule(takes_at=True, effects=_withdraw_effects),
    "reject": TransitionRule(takes_at=True),
    "publish": TransitionRule(effects=_publish_effects),
    "revoke": TransitionRule(
        unmet=lambda r: approvals.TWO_PERSON_UNMET_REVOKE, effects=_revoke_effects
    ),
    **{
        name: TransitionRule(
            unmet=_certify_unmet(CERTIFY_STAGE[name]), takes_at=True, effects=_certify_effects
        )
        for name in CERTIFY_TRANSITIONS
    },
}
