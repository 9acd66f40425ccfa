from django.db import models


class ProductArea(models.TextChoices):
    API_WORKFLOW = "api_workflow", "API workflow"
    MEDIASPACE_MODULE = "mediaspace_module", "MediaSpace module"
    KAF_MODULE = "kaf_module", "KAF module"
    PLAYER_PLUGIN = "player_plugin", "Player plugin"
    OTHER = "other", "Other"


# Modules need a clean test site with admin and user access.
MODULE_AREAS = (ProductArea.MEDIASPACE_MODULE, ProductArea.KAF_MODULE)


class RequestKind(models.TextChoices):
    INITIAL = "initial", "Initial certification"
    MAJOR = "major", "Major update"
    MINOR = "minor", "Minor update"
    DOCS = "docs", "Docs-only update"


class RequestState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    USER_TESTING = "user_testing", "User testing"
    CODE_REVIEW = "code_review", "Code review"
    DOCUMENTATION_REVIEW = "documentation_review", "Documentation review"
    ON_HOLD = "on_hold", "On hold"
    CERTIFIED = "certified", "Certified"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REJECTED = "rejected", "Rejected"
    REVOKED = "revoked", "Seal revoked"


# The vendor is working (the SLA clock runs).
VENDOR_STATES = (
    RequestState.SUBMITTED,
    RequestState.USER_TESTING,
    RequestState.CODE_REVIEW,
    RequestState.DOCUMENTATION_REVIEW,
)
REVIEW_STATES = (
    RequestState.USER_TESTING,
    RequestState.CODE_REVIEW,
    RequestState.DOCUMENTATION_REVIEW,
)
HOLDABLE_STATES = VENDOR_STATES
OPEN_STATES = (
    RequestState.SUBMITTED,
    RequestState.CHANGES_REQUESTED,
    RequestState.USER_TESTING,
    RequestState.CODE_REVIEW,
    RequestState.DOCUMENTATION_REVIEW,
    RequestState.ON_HOLD,
)
FINAL_STATES = (RequestState.WITHDRAWN, RequestState.REJECTED)
CERTIFIED_STATES = (RequestState.CERTIFIED, RequestState.PUBLISHED)
WAITING_ON_PARTNER = (RequestState.DRAFT, RequestState.CHANGES_REQUESTED)
# The package (documents, test access) may change while the partner holds the request: a
# draft, or after the reviewers asked for changes. Services enforce it; the wizard shows it.
PACKAGE_EDITABLE_STATES = (RequestState.DRAFT, RequestState.CHANGES_REQUESTED)

# What happens next, in a partner's words.
NEXT_STEP = {
    RequestState.DRAFT: "Complete the package and submit it. Nothing is sent to the reviewers until you submit.",
    RequestState.SUBMITTED: "A reviewer checks that the package is complete, then starts user testing.",
    RequestState.CHANGES_REQUESTED: "The reviewers need changes. Answer the findings, fix the code or documents, and resubmit with the new commit.",
    RequestState.USER_TESTING: "A reviewer is testing the integration in the product's flows.",
    RequestState.CODE_REVIEW: "A reviewer is reviewing the code for security, function, future-proofing, naming and coding practices.",
    RequestState.DOCUMENTATION_REVIEW: "A reviewer is checking the release notes and the updated documents. A docs-only update is not tested or code-reviewed again.",
    RequestState.ON_HOLD: "The review is paused; the reviewer's comment says why. The SLA clock is stopped.",
    RequestState.CERTIFIED: "Certified. Your seal is issued; the partner team will publish the marketplace listing.",
    RequestState.PUBLISHED: "Certified and listed on the marketplace.",
    RequestState.WITHDRAWN: "Withdrawn. Start a new request for this version when you are ready.",
    RequestState.REJECTED: "Rejected. The timeline explains why; contact your partner manager before resubmitting.",
    RequestState.REVOKED: "The seal of this version was revoked; the timeline explains why. Contact your partner manager.",
}


class QuotaUse(models.TextChoices):
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    NONE = "none", "None"


KIND_QUOTA = {
    RequestKind.INITIAL: QuotaUse.MAJOR,
    RequestKind.MAJOR: QuotaUse.MAJOR,
    RequestKind.MINOR: QuotaUse.MINOR,
    RequestKind.DOCS: QuotaUse.NONE,
}


class DocumentType(models.TextChoices):
    USER_GUIDE = "user_guide", "User guide"
    SUPPORT_PROCESS = "support_process", "Support process"
    INSTALLATION_GUIDE = "installation_guide", "Installation & DevOps guide"
    QA_GUIDE = "qa_guide", "QA guide"
    RELEASE_NOTES = "release_notes", "Release notes / CHANGELOG"
    MARKETING = "marketing", "Marketing material"
    OTHER = "other", "Other"


CORE_DOCUMENTS = (
    DocumentType.USER_GUIDE,
    DocumentType.SUPPORT_PROCESS,
    DocumentType.INSTALLATION_GUIDE,
    DocumentType.QA_GUIDE,
)


# The documents an update touches besides its release notes: per document the partner
# says "updated" (uploaded anew) or "unchanged, because …" (carried over).
UPDATE_DOCUMENTS = (
    DocumentType.USER_GUIDE,
    DocumentType.INSTALLATION_GUIDE,
    DocumentType.QA_GUIDE,
    DocumentType.MARKETING,
)


class EnvironmentKind(models.TextChoices):
    MS_ADMIN = "ms_admin", "MediaSpace test site (admin)"
    MS_USER = "ms_user", "MediaSpace test site (user)"
    KMC = "kmc", "KMC account"
    OTHER = "other", "Other"


class GuidelineSeverity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"


class ChecklistAnswer(models.TextChoices):
    YES = "yes", "Complies"
    NA = "na", "Not applicable"


# A finding's status is defined here, below reviews, because a request's stage gate
# (`CertificationRequest.open_findings`, the ut_pass / cr_pass conditions) reads it and
# certifications must not import reviews. reviews.enums takes these from here (stage,
# status, BLOCKING_STATUSES) instead of repeating the values.
class FindingStage(models.TextChoices):
    INTAKE = "intake", "Intake"
    USER_TESTING = "user_testing", "User testing"
    CODE_REVIEW = "code_review", "Code review"
    DOCUMENTATION = "documentation", "Documentation review"


class FindingStatus(models.TextChoices):
    OPEN = "open", "Open"
    ADDRESSED = "addressed", "Addressed by partner"
    VERIFIED = "verified", "Verified"
    WONT_FIX = "wont_fix", "Won't fix"
    # The partner disputed the finding and the reviewer accepted: not a defect (the
    # program's false-positive path). It no longer blocks its stage.
    DISMISSED = "dismissed", "Not a defect (dispute accepted)"


# A finding blocks its stage until a reviewer verifies it (or accepts it as won't fix);
# "addressed" means the partner says it is fixed and the reviewer must check.
BLOCKING_FINDING_STATUSES = (FindingStatus.OPEN, FindingStatus.ADDRESSED)


# The stages a request goes through, as the partner's timeline shows them: a docs-only
# update (the player-plugin rule: no vendor-side change) has its own short path.
FULL_REVIEW_PATH = (
    RequestState.SUBMITTED,
    RequestState.USER_TESTING,
    RequestState.CODE_REVIEW,
    RequestState.CERTIFIED,
)
DOCS_REVIEW_PATH = (
    RequestState.SUBMITTED,
    RequestState.DOCUMENTATION_REVIEW,
    RequestState.CERTIFIED,
)
