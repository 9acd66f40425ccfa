"""A reviewer's own GitHub login (`UserProfile.github_login`): the account the portal gives
read access to the repositories of the requests they review. Checked against GitHub when
GitHub is configured, so a typo surfaces here instead of as a failed grant later."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from certifications.enums import OPEN_STATES
from certifications.models import CertificationRequest
from certifications.signals import request_reviewer_changed
from certportal import roles
from certportal.models import UserProfile
from reviews import github
from reviews.services import ReviewError

# GitHub's rule: 1–39 letters, digits or single hyphens, not starting or ending with one.
GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")


def reviewer_github_login_set(*, user: Any, login: str) -> UserProfile:
    """Set (or clear, with "") the vendor staff member's own GitHub login. With GitHub
    configured the login must exist there (stored as GitHub spells it). After commit the
    access of every open request they review is brought in line (the same sync as a
    reviewer change)."""
    if not roles.is_vendor_staff(user):
        raise ReviewError("Only vendor staff have a reviewer GitHub login.", code="not_allowed")
    login = (login or "").strip().removeprefix("@")
    if login and not GITHUB_LOGIN.match(login):
        raise ReviewError(
            "That is not a GitHub login: use letters, digits and single hyphens (at most 39)."
        )
    if login and github.is_configured():
        try:
            found = github.user_login(login)
        except github.GitHubError as exc:
            raise ReviewError(
                f"GitHub could not be asked about '{login}' right now ({exc}). Try again later."
            ) from exc
        if found is None:
            raise ReviewError(f"GitHub has no user '{login}'. Check the spelling.")
        login = found
    with transaction.atomic():
        profile, _ = UserProfile.objects.select_for_update().get_or_create(user=user)
        if profile.github_login == login:
            return profile
        profile.github_login = login
        profile.save(update_fields=["github_login"])
        request_ids = list(
            CertificationRequest.objects.filter(
                assigned_reviewer=user, state__in=OPEN_STATES
            ).values_list("pk", flat=True)
        )
        for request_id in request_ids:
            transaction.on_commit(
                lambda rid=request_id: request_reviewer_changed.send(
                    sender=CertificationRequest, request_id=rid
                )
            )
    return profile
