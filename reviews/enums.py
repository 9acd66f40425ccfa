"""Choices of the reviews app. The finding stage and status are defined in
certifications.enums (a request's transitions read them; certifications cannot import
reviews) and re-exported here, where the reviews code looks for them."""

from django.db import models

from certifications.enums import BLOCKING_FINDING_STATUSES as BLOCKING_STATUSES
from certifications.enums import FindingStage, FindingStatus

__all__ = [
    "BLOCKING_STATUSES",
    "DisputeState",
    "FindingCategory",
    "FindingSeverity",
    "FindingStage",
    "FindingStatus",
    "ReplyKind",
]


class FindingCategory(models.TextChoices):
    SECURITY = "security", "Security"
    FUNCTIONAL = "functional", "Functional"
    FUTURE_PROOF = "future_proof", "Future-proof"
    NAMING = "naming", "Naming"
    CODING_PRACTICE = "coding_practice", "Coding practice"
    DOCUMENTATION = "documentation", "Documentation"
    UX = "ux", "UX"


class FindingSeverity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    SUGGESTION = "suggestion", "Suggestion"


class ReplyKind(models.TextChoices):
    REPLY = "reply", "Reply"
    QUESTION = "question", "Question"
    INTERNAL = "internal", "Internal note"
    DISPUTE = "dispute", "Dispute"
    DISPUTE_ACCEPTED = "dispute_accepted", "Dispute accepted"
    DISPUTE_REJECTED = "dispute_rejected", "Dispute rejected"


class DisputeState(models.TextChoices):
    NONE = "", "No dispute"
    OPEN = "open", "Disputed, waiting for the reviewer"
    ACCEPTED = "accepted", "Dispute accepted"
    REJECTED = "rejected", "Dispute rejected"
