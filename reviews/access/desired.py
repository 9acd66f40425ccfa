"""Which logins should read an integration's repository, and the grant rows recording it.

Everything here reads or writes the database only; GitHub is the business of ``sync``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Max, QuerySet
from django.utils import timezone

from certifications.enums import OPEN_STATES, RequestState
from certifications.models import CertificationRequest, Integration
from certportal.models import UserProfile
from reviews.models import GrantSource, GrantState, RepoAccessGrant

# --- Selectors -------------------------------------------------------------------------


def repo_access_grants_for(
    *, integration: Integration | None = None, request: CertificationRequest | None = None
) -> QuerySet[RepoAccessGrant]:
    """Grants of an integration (or of a request's integration), for the portal and admin.

    A request's view shows its integration's grants: access is to the repository, which
    every version of the integration shares."""
    if integration is None and request is None:
        raise ValueError("repo_access_grants_for needs an integration or a request")
    integration_id = integration.pk if integration is not None else request.integration_id  # type: ignore[union-attr]
    return RepoAccessGrant.objects.filter(integration_id=integration_id).order_by("github_login")


def _open_requests(integration: Integration) -> QuerySet[CertificationRequest]:
    """The integration's open requests, latest submission first.

    "Latest" decides which request a configured grant is filed under, which commit is
    checked and which request a failure notice links to, so it is defined once here."""
    return integration.requests.filter(state__in=OPEN_STATES).order_by("-submitted_at", "-pk")


def _commit_under_review(integration: Integration) -> str:
    """The pinned commit of the latest open request that has one ("" if none)."""
    latest = (
        _open_requests(integration)
        .exclude(commit_sha="")
        .values_list("commit_sha", flat=True)
        .first()
    )
    return latest or ""


# --- Desired state ---------------------------------------------------------------------


def _configured_logins() -> list[str]:
    """``GITHUB_REVIEWER_LOGINS`` normalised: logins are case-insensitive, blanks dropped."""
    return [login.strip().lower() for login in settings.GITHUB_REVIEWER_LOGINS if login.strip()]


def repo_access_desired(
    *, integration: Integration, now: dt.datetime | None = None
) -> dict[str, tuple[str, int | None]]:
    """login -> (source, request id) that should read the repository right now."""
    now = now or timezone.now()
    open_requests = list(_open_requests(integration))
    desired: dict[str, tuple[str, int | None]] = {}
    if open_requests:
        latest = open_requests[0].pk
        for login in _configured_logins():
            desired[login] = (GrantSource.CONFIGURED, latest)
        reviewer_ids = {
            r.assigned_reviewer_id: r.pk for r in open_requests if r.assigned_reviewer_id
        }
        for user_id, login in UserProfile.objects.filter(
            user_id__in=reviewer_ids, user__is_active=True
        ).values_list("user_id", "github_login"):
            login = (login or "").strip().lower()
            if login and login not in desired:
                desired[login] = (GrantSource.ASSIGNED, reviewer_ids[user_id])
        return desired
    if settings.GITHUB_REVOKE_ON_CLOSE:
        return {}
    last_activity = integration.requests.exclude(state=RequestState.DRAFT).aggregate(
        at=Max("updated_at")
    )["at"]
    if last_activity is None or now - last_activity > dt.timedelta(
        days=settings.GITHUB_REVOKE_IDLE_DAYS
    ):
        return {}
    return {
        g.github_login: (g.source, g.request_id)
        for g in integration.access_grants.exclude(state=GrantState.REVOKED)
    }


# --- Grant rows ------------------------------------------------------------------------


def _record_desired(
    integration: Integration, desired: dict[str, tuple[str, int | None]]
) -> tuple[list[RepoAccessGrant], list[RepoAccessGrant]]:
    """Create/refresh grant rows for desired logins; return (wanted, to_revoke) rows."""
    existing = {g.github_login: g for g in integration.access_grants.all()}
    wanted: list[RepoAccessGrant] = []
    for login, (source, request_id) in desired.items():
        grant = existing.get(login)
        if grant is None:
            grant, _ = RepoAccessGrant.objects.get_or_create(
                integration=integration,
                github_login=login,
                defaults={"source": source, "request_id": request_id},
            )
        elif grant.state == GrantState.REVOKED or (grant.source, grant.request_id) != (
            source,
            request_id,
        ):
            if grant.state == GrantState.REVOKED:
                grant.state = GrantState.PENDING
                grant.revoked_at = None
                grant.invitation_id = None
            grant.source, grant.request_id = source, request_id
            grant.save(
                update_fields=[
                    "state",
                    "revoked_at",
                    "invitation_id",
                    "source",
                    "request_id",
                    "updated_at",
                ]
            )
        wanted.append(grant)
    to_revoke = [
        g for login, g in existing.items() if login not in desired and g.state != GrantState.REVOKED
    ]
    return wanted, to_revoke


def _save(grant: RepoAccessGrant, *, now: dt.datetime, **fields: Any) -> None:
    """Set ``fields`` and stamp ``last_checked_at`` (every outcome is a check of GitHub),
    saving only those columns so a sync never clobbers what another writer changed."""
    for name, value in fields.items():
        setattr(grant, name, value)
    grant.last_checked_at = now
    grant.save(update_fields=[*fields, "last_checked_at", "updated_at"])
