"""Writes of the certifications app: integrations, the request package, and every request
transition (lock → role/state/condition check → save → log → SLA → notify after commit).

One module per seam; callers import from `certifications.services`:

- `common`: `CertificationError` (the app's one error type) and the edit lock
- `package`: integrations, drafts, documents, test access, credential reveal
- `transitions`: submit, assign, every other transition, certificate and listing, SLA,
  and the one revocation rule (`seal_revoke`, `seal_revoke_confirm`)
- `recertification`: updates of a certified integration
- `approvals`: the two-person rule's records: certify asks and approvals, their spending,
  pending revocations (asked, confirmed, withdrawn) and the revoke's side effects
- `seal`: the doors onto the rule: a certificate's revocation, the back office's
  ask and decide forms (both seal actions)
"""

from certifications.services.approvals import seal_approval_spend, seal_revoke_withdraw
from certifications.services.common import CLEAN_EXCLUDE, CertificationError
from certifications.services.package import (
    credential_reveal,
    document_add,
    environment_delete,
    environment_save,
    integration_save,
    request_create,
    request_update_draft,
)
from certifications.services.recertification import request_start_update
from certifications.services.seal import (
    certificate_revoke,
    seal_approval_decide,
    seal_approval_request,
)
from certifications.services.transitions import (
    COMMENT_REQUIRED,
    EVENT_SUBJECTS,
    request_assign,
    request_submit,
    request_transition,
    seal_revoke,
    seal_revoke_confirm,
    sla_refresh,
)

__all__ = [
    "CLEAN_EXCLUDE",
    "COMMENT_REQUIRED",
    "EVENT_SUBJECTS",
    "CertificationError",
    "certificate_revoke",
    "credential_reveal",
    "document_add",
    "environment_delete",
    "environment_save",
    "integration_save",
    "request_assign",
    "request_create",
    "request_start_update",
    "request_submit",
    "request_transition",
    "request_update_draft",
    "seal_approval_decide",
    "seal_approval_request",
    "seal_approval_spend",
    "seal_revoke",
    "seal_revoke_confirm",
    "seal_revoke_withdraw",
    "sla_refresh",
]
