"""The certifications models, one module per seam; Django discovers them through this
package, and every name callers (and the migrations) import from `certifications.models`
stays importable here.

- `catalog`: Integration, Guideline
- `requests`: CertificationRequest (with its fsm transitions), TransitionLog
- `package`: Document, TestEnvironment, CredentialReveal
- `certificates`: Certificate, Listing
- `approvals`: SealApproval and the two-person-rule condition
- `overview`: PartnerOverviewKeys, the managers' overview's stored sort keys
- `validators`: the repository and commit-SHA checks
"""

from certifications.models.approvals import (
    SealAction,
    SealApproval,
    second_approval_given,
    two_person_rule,
)
from certifications.models.catalog import Guideline, Integration
from certifications.models.certificates import Certificate, Listing, _verification_code
from certifications.models.overview import PartnerOverviewKeys
from certifications.models.package import (
    CredentialReveal,
    Document,
    TestEnvironment,
    document_upload_to,
)
from certifications.models.requests import CertificationRequest, TransitionLog
from certifications.models.validators import (
    NOTE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    checked_commit_sha,
    normalize_commit_sha,
    repo_validator,
    sha_validator,
)

__all__ = [
    "NOTE_MAX_LENGTH",
    "TEXT_MAX_LENGTH",
    "Certificate",
    "CertificationRequest",
    "CredentialReveal",
    "Document",
    "Guideline",
    "Integration",
    "Listing",
    "PartnerOverviewKeys",
    "SealAction",
    "SealApproval",
    "TestEnvironment",
    "TransitionLog",
    "_verification_code",
    "checked_commit_sha",
    "document_upload_to",
    "normalize_commit_sha",
    "repo_validator",
    "second_approval_given",
    "sha_validator",
    "two_person_rule",
]
