"""Writes of the partners app: members and invitations, program qualification,
agreements, the quota and marketing ledgers, and eligibility.

Every state change locks its row, goes through certportal.fsm.fire (role + state +
conditions), writes an audit row, and notifies after commit. One module per concern;
callers import from here (`from partners import services`), which re-exports every
public name. `partner_admins`, `partner_members` and `partner_managers` are reads and
live in partners.selectors; they are re-exported here for the callers in other apps."""

from __future__ import annotations

from partners.selectors import partner_admins, partner_managers, partner_members
from partners.services.agreements import (
    agreement_activate,
    agreement_cancel,
    agreement_expiry_reminders,
    agreement_mark_signed,
    agreement_renew,
    agreement_request,
    agreement_send,
    agreements_expire_due,
    payment_record,
)
from partners.services.applications import (
    application_accept,
    application_answer,
    application_answer_token,
    application_decline,
    application_from_token,
    application_request_info,
    application_submit,
    partner_create_with_admin,
)
from partners.services.eligibility import (
    ELIGIBILITY_QUOTAS,
    Unmet,
    eligibility_check,
    eligibility_per_quota,
)
from partners.services.errors import PartnerError
from partners.services.invitations import (
    INVITE_MAX_AGE,
    INVITE_SALT,
    Invitation,
    invitation_accept,
    invitation_create,
    invitation_is_spent,
    invitation_read,
    invitation_send,
    invitation_send_first_admin,
)
from partners.services.ledger import (
    marketing_activity_record,
    quota_consume,
    quota_grant,
    quota_refund,
)
from partners.services.members import (
    membership_add,
    membership_change_role,
    membership_remove,
    partner_create,
    partner_set_standing,
)
from partners.services.qualification import (
    business_review_decide,
    business_review_save,
    business_review_submit,
    support_plan_save,
)
from partners.services.quota_requests import quota_request_extra

__all__ = [
    "ELIGIBILITY_QUOTAS",
    "INVITE_MAX_AGE",
    "INVITE_SALT",
    "Invitation",
    "PartnerError",
    "Unmet",
    "agreement_activate",
    "agreement_cancel",
    "agreement_expiry_reminders",
    "agreement_mark_signed",
    "agreement_renew",
    "agreement_request",
    "agreement_send",
    "agreements_expire_due",
    "application_accept",
    "application_answer",
    "application_answer_token",
    "application_decline",
    "application_from_token",
    "application_request_info",
    "application_submit",
    "business_review_decide",
    "business_review_save",
    "business_review_submit",
    "eligibility_check",
    "eligibility_per_quota",
    "invitation_accept",
    "invitation_create",
    "invitation_is_spent",
    "invitation_read",
    "invitation_send",
    "invitation_send_first_admin",
    "marketing_activity_record",
    "membership_add",
    "membership_change_role",
    "membership_remove",
    "partner_admins",
    "partner_create",
    "partner_create_with_admin",
    "partner_managers",
    "partner_members",
    "partner_set_standing",
    "payment_record",
    "quota_consume",
    "quota_grant",
    "quota_refund",
    "quota_request_extra",
    "support_plan_save",
]
