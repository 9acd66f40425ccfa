"""What every certifications service shares: the app's one error type, the row lock the
package edits take, and the link to a request's page."""

from __future__ import annotations

from typing import Any

from certifications import permissions as perms
from certifications.enums import PACKAGE_EDITABLE_STATES
from certifications.models import CertificationRequest
from certportal.errors import ProgramError
from certportal.links import link

# full_clean must not touch relations or the protected state field.
CLEAN_EXCLUDE = ["integration", "update_of", "created_by", "assigned_reviewer", "state"]


class CertificationError(ProgramError):
    """A certification rule refused the action."""


def request_link(request: CertificationRequest) -> str:
    return link("portal:request_detail", request.pk)


def lock_request_for_edit(request_id: int) -> CertificationRequest:
    """Re-read a request with its row locked (call inside `transaction.atomic`), so a
    package edit and a concurrent submit or transition cannot interleave: the state is
    checked under the same lock the transition takes."""
    return (
        CertificationRequest.objects.select_for_update()
        .select_related("integration")
        .get(pk=request_id)
    )


def require_package_editor(
    request: CertificationRequest, actor: Any, *, not_allowed: str, wrong_state: str
) -> None:
    """Refuse a package edit (documents, test access) by a role that cannot edit, or in a
    state the partner does not hold (`PACKAGE_EDITABLE_STATES`). The role is checked first
    so a viewer learns nothing about the request's state."""
    if not perms.is_request_partner_editor(request, actor):
        raise CertificationError(not_allowed, code="not_allowed")
    if request.state not in PACKAGE_EDITABLE_STATES:
        raise CertificationError(wrong_state, code="wrong_state")
