from django.db import models


class FindingStage(models.TextChoices):
    INTAKE = "intake", "Intake"
    USER_TESTING = "user_testing", "User testing"
    CODE_REVIEW = "code_review", "Code review"


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


class FindingStatus(models.TextChoices):
    OPEN = "open", "Open"
    ADDRESSED = "addressed", "Addressed by partner"
    VERIFIED = "verified", "Verified"
    WONT_FIX = "wont_fix", "Won't fix"


# A finding blocks its stage until a reviewer verifies it (or accepts it as won't fix);
# "addressed" means the partner says it is fixed and the reviewer must check.
BLOCKING_STATUSES = (FindingStatus.OPEN, FindingStatus.ADDRESSED)
