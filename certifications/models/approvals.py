"""The two-person rule for the seal: certifying a version needs a second reviewer's
recorded approval, and revoking it a different reviewer's or manager's confirmation. The
approval lives here, below reviews, because the transitions into `certified` and `revoked`
read it as a condition; `certifications.services.approvals` writes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models

from certifications.models.validators import NOTE_MAX_LENGTH

# A certification request (not imported: requests.py imports this module for its conditions).
CertificationRequest = Any


class SealAction(models.TextChoices):
    CERTIFY = "certify", "Certify"
    REVOKE = "revoke", "Revoke"


class SealApproval(models.Model):
    """One ask for a second reviewer's approval of a seal action on one commit of one
    request. Answered once (approved or declined); an approval is spent by the transition
    it allowed, and counts only for the commit it was given on."""

    request = models.ForeignKey(
        "certifications.CertificationRequest",
        on_delete=models.CASCADE,
        related_name="seal_approvals",
    )
    action = models.CharField(max_length=12, choices=SealAction.choices)
    commit_sha = models.CharField(max_length=40, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved = models.BooleanField(null=True, blank=True)
    comment = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["request", "action"], name="sealapproval_req_action")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} approval for request {self.request_id}"

    @property
    def pending(self) -> bool:
        return self.approved is None


def two_person_rule_on() -> bool:
    return bool(getattr(settings, "SEAL_TWO_PERSON_RULE", True))


def second_approval_given(request: CertificationRequest, action: str) -> bool:
    """Whether `request` holds an unspent approval of `action`, given by someone else than
    the reviewer who asked, on the commit now under review (or the rule is off)."""
    if not two_person_rule_on():
        return True
    return SealApproval.objects.filter(
        request=request,
        action=action,
        approved=True,
        used_at__isnull=True,
        commit_sha=request.commit_sha,
    ).exists()


def two_person_rule(action: str) -> Callable[[CertificationRequest], bool]:
    """A transition condition: `conditions=[two_person_rule(SealAction.CERTIFY)]` on every
    transition into `certified` (and on revoke). The service that fires the transition
    spends the approval (`reviews.services.approvals.seal_approval_spend`)."""

    def condition(request: CertificationRequest) -> bool:
        return second_approval_given(request, action)

    condition.__name__ = f"second_approval_for_{action}"
    condition.__doc__ = f"A second reviewer approved: {action}."
    return condition
