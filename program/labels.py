"""Audit-trail entries in the partner managers' words (issue 14: raw codes such as
`business_review.approve` never reach a page)."""

from __future__ import annotations

from certportal.models import AuditEvent
from certportal.templatetags.display import code_label
from partners.enums import (
    AgreementState,
    ApplicationState,
    BusinessReviewState,
    MemberRole,
    Standing,
)

ACTION_LABELS = {
    "partner.create": "Organisation created",
    "partner.standing": "Standing changed",
    "membership.add": "Member added",
    "membership.role": "Member's role changed",
    "membership.remove": "Member removed",
    "business_review.submit": "Business review submitted",
    "business_review.approve": "Business review approved",
    "business_review.return_for_changes": "Business review returned with comments",
    "support_plan.save": "Support plan saved",
    "agreement.request": "Agreement requested",
    "agreement.send": "Agreement sent",
    "agreement.mark_signed": "Agreement signed",
    "agreement.payment": "Payment recorded",
    "agreement.activate": "Agreement activated",
    "agreement.renew": "Renewal created",
    "agreement.expire": "Agreement expired",
    "agreement.cancel": "Agreement cancelled",
    "quota.grant": "Extra quota granted",
    "quota.request": "Extra quota requested",
    "marketing.record": "Marketing activity recorded",
    "application.submit": "Application received",
    "application.request_info": "More information requested",
    "application.answer": "Applicant answered",
    "application.accept": "Application accepted",
    "application.decline": "Application declined",
}

STATE_LABELS: dict[str, str] = {}
for choices in (MemberRole, Standing, BusinessReviewState, ApplicationState, AgreementState):
    STATE_LABELS.update(dict(choices.choices))


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action) or code_label(action)


def state_label(state: str) -> str:
    return STATE_LABELS.get(state) or code_label(state)


def labelled(events: list[AuditEvent]) -> list[AuditEvent]:
    """The events with `action_label` and `to_label` set for the page."""
    for event in events:
        event.action_label = action_label(event.action)
        event.to_label = state_label(event.to_state) if event.to_state else ""
    return events
