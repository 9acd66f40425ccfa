"""The seal's doors onto the two-person rule: revoking a certificate from the manager's
partner page (by certificate), and the back office's ask and decide forms, which serve
both seal actions. The certificate says "revoked" on its verification page, JSON and
badge once a second person confirms, and its listing leaves the marketplace (the
marketplace query excludes revoked certificates)."""

from __future__ import annotations

from typing import Any

from certifications.models import Certificate, SealAction, SealApproval
from certifications.services import approvals, transitions
from certifications.services.common import CertificationError


def certificate_revoke(*, certificate: Certificate, actor: Any, reason: str) -> SealApproval | None:
    """Ask to revoke `certificate`'s seal (its request's `transitions.seal_revoke`), with
    the reason the verification page will show. Returns the pending revocation that a
    different reviewer or manager confirms (None once revoked: the rule is off, or this
    confirmed another person's pending one). Revoking twice is refused so the first reason
    and time stand."""
    if certificate.revoked_at is not None:
        raise CertificationError(
            f"This certificate was already revoked on {certificate.revoked_at:%d %b %Y}.",
            code="conflict",
        )
    return transitions.seal_revoke(request=certificate.request, actor=actor, reason=reason)


def seal_approval_request(
    *, request: Any, actor: Any, action: str = SealAction.CERTIFY, comment: str = ""
) -> SealApproval | None:
    """Ask for the second person's part in `action`: to certify, the assigned reviewer asks
    a second reviewer's approval; to revoke, the first person records a pending revocation
    with `comment` as its reason."""
    if action == SealAction.REVOKE:
        if not approvals.two_person_rule_on():
            raise CertificationError("The two-person rule is off: no approval is needed.")
        return transitions.seal_revoke(request=request, actor=actor, reason=comment)
    return approvals.certify_approval_request(request=request, actor=actor, comment=comment)


def seal_approval_decide(
    *, approval: SealApproval, actor: Any, approve: bool, comment: str = ""
) -> SealApproval:
    """Answer an ask: approve or decline a certification; confirm a pending revocation (the
    seal is revoked at once) or withdraw it."""
    if approval.action == SealAction.REVOKE:
        if approve:
            transitions.seal_revoke_confirm(approval=approval, actor=actor)
        else:
            approvals.seal_revoke_withdraw(approval=approval, actor=actor, comment=comment)
        approval.refresh_from_db()
        return approval
    return approvals.certify_approval_decide(
        approval=approval, actor=actor, approve=approve, comment=comment
    )
