from django.db import models


class Standing(models.TextChoices):
    GOOD = "good", "Good standing"
    SUSPENDED = "suspended", "Suspended"
    LAPSED = "lapsed", "Lapsed"


class MemberRole(models.TextChoices):
    ADMIN = "admin", "Admin"
    DEVELOPER = "developer", "Developer"
    VIEWER = "viewer", "Viewer"


class BusinessReviewState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned with comments"


# The partner may still edit (and submit) its business review in these states.
REVIEW_EDITABLE_STATES = (BusinessReviewState.DRAFT, BusinessReviewState.RETURNED)


class AgreementState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    SENT = "sent", "Sent to partner"
    SIGNED = "signed", "Signed"
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


OPEN_AGREEMENT_STATES = (
    AgreementState.REQUESTED,
    AgreementState.SENT,
    AgreementState.SIGNED,
    AgreementState.ACTIVE,
)


class QuotaKind(models.TextChoices):
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"


class QuotaEntryKind(models.TextChoices):
    CONSUME = "consume", "Used by a submission"
    REFUND = "refund", "Given back (withdrawn before review)"
    GRANT = "grant", "Extra units granted"


class ApplicationState(models.TextChoices):
    """A public application to join the certified partner program."""

    RECEIVED = "received", "Received"
    MORE_INFO_REQUESTED = "more_info_requested", "More information requested"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


# A partner manager still has to decide these.
OPEN_APPLICATION_STATES = (ApplicationState.RECEIVED, ApplicationState.MORE_INFO_REQUESTED)
