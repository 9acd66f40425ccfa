"""GitHub repository access for the vendor's reviewers (issue 6).

Access is reconciliation, never a one-off action: ``repo_access_sync`` computes which
logins the database says should read an integration's repository, compares that with what
GitHub reports (collaborators and pending invitations) and applies the difference. Running
it twice, or concurrently with a retry of itself, changes nothing the second time, so the
Celery tasks, the signal receivers and the hourly reconcile all call the same function.

Who should have access (``repo_access_desired``):

* while the integration has an open request: every login in
  ``settings.GITHUB_REVIEWER_LOGINS`` plus the GitHub login of each open request's assigned
  reviewer (``UserProfile.github_login``);
* once nothing is open (certified, withdrawn, rejected): nobody when
  ``GITHUB_REVOKE_ON_CLOSE``; otherwise the grants already given stay until the
  integration has been idle for ``GITHUB_REVOKE_IDLE_DAYS``.

Only logins with a grant row are ever removed from a repository: the partner's own
collaborators are not ours to touch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from certifications.enums import OPEN_STATES, RequestState
from certifications.models import CertificationRequest, Integration
from certportal import pagecache
from certportal.links import link
from certportal.models import UserProfile
from certportal.outbox import notify
from partners import services as partner_services
from reviews import github
from reviews.models import GrantSource, GrantState, RepoAccessGrant

logger = logging.getLogger(__name__)

NOT_CONFIGURED = "GitHub access is not configured"
PUBLIC_REPO = (
    "The repository {repo} is public. The certification program requires a private "
    "repository: make it private on GitHub and the reviewers' access will be granted "
    "automatically."
)
NO_README = (
    "The repository {repo} has no README. Add a README covering what the integration "
    "does, its features, configuration and deployment."
)
NO_COMMIT = (
    "The commit {sha} under review was not found in {repo}. Push it, or correct the "
    "commit SHA of the request."
)

# Requests whose closing makes access revocable.
_CLOSED_STATES = (
    RequestState.CERTIFIED,
    RequestState.PUBLISHED,
    RequestState.WITHDRAWN,
    RequestState.REJECTED,
)
_LOCK_TIMEOUT = 300  # longer than a sync can take (task soft time limit is 240 s)


class SyncBusy(Exception):
    """Another sync of the same integration is running; try again shortly."""


@dataclass
class SyncResult:
    """What one sync did, for logs, tests and the benchmark."""

    integration_id: int
    states: dict[str, str] = field(default_factory=dict)  # login -> state
    invited: int = 0
    removed: int = 0
    error: str = ""


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


# --- Desired state ---------------------------------------------------------------------


def _configured_logins() -> list[str]:
    return [login.strip().lower() for login in settings.GITHUB_REVIEWER_LOGINS if login.strip()]


def repo_access_desired(
    *, integration: Integration, now: dt.datetime | None = None
) -> dict[str, tuple[str, int | None]]:
    """login -> (source, request id) that should read the repository right now."""
    now = now or timezone.now()
    open_requests = list(
        integration.requests.filter(state__in=OPEN_STATES).order_by("-submitted_at", "-pk")
    )
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
    for name, value in fields.items():
        setattr(grant, name, value)
    grant.last_checked_at = now
    grant.save(update_fields=[*fields, "last_checked_at", "updated_at"])


# --- Locking ---------------------------------------------------------------------------


@contextmanager
def _lock(key: str, *, timeout: int = _LOCK_TIMEOUT) -> Iterator[bool]:
    """A best-effort mutex in the shared cache (Redis in production): ``cache.add`` is
    atomic, and the timeout frees the lock if a worker dies holding it."""
    token = f"{timezone.now().timestamp()}"
    acquired = cache.add(key, token, timeout)
    try:
        yield acquired
    finally:
        if acquired and cache.get(key) == token:
            cache.delete(key)


# --- Services ---------------------------------------------------------------------------


def _integration_for(
    integration: Integration | None, request: CertificationRequest | None
) -> Integration:
    if integration is not None:
        return integration
    if request is None:
        raise ValueError("repo_access_sync needs an integration or a request")
    return request.integration


def _commit_under_review(integration: Integration) -> str:
    latest = (
        integration.requests.filter(state__in=OPEN_STATES)
        .exclude(commit_sha="")
        .order_by("-submitted_at", "-pk")
        .values_list("commit_sha", flat=True)
        .first()
    )
    return latest or ""


def repo_access_sync(
    *,
    integration: Integration | None = None,
    request: CertificationRequest | None = None,
    now: dt.datetime | None = None,
) -> SyncResult:
    """Make GitHub match the access the database says should exist for one repository.

    Side effects: creates/updates RepoAccessGrant rows; on GitHub invites, re-invites
    (expired invitations) and removes collaborators the portal manages; stores the numeric
    repository id on the integration. Permanent problems (public repo, missing README or
    commit, 403/404/422) mark the grants failed and notify partner admins and the
    assigned reviewer. Raises ``github.GitHubTransientError`` for the task to retry and
    ``SyncBusy`` when another sync of the same repository is running."""
    integration = _integration_for(integration, request)
    now = now or timezone.now()
    with _lock(f"reviews:repo-access:{integration.pk}") as acquired:
        if not acquired:
            raise SyncBusy(f"Access sync of integration {integration.pk} is already running")
        integration = Integration.objects.select_related("partner").get(pk=integration.pk)
        return _sync(integration, now)


def _sync(integration: Integration, now: dt.datetime) -> SyncResult:
    result = SyncResult(integration_id=integration.pk)
    desired = repo_access_desired(integration=integration, now=now)
    wanted, to_revoke = _record_desired(integration, desired)
    if not wanted and not to_revoke:
        return result

    if not github.is_configured():
        _not_configured(wanted, to_revoke, NOT_CONFIGURED, now, result)
        return result

    try:
        repo = github.get_repository(
            full_name=integration.github_repo, repo_id=integration.github_repo_id
        )
        if integration.github_repo_id != repo.id:
            Integration.objects.filter(pk=integration.pk).update(github_repo_id=repo.id)
            integration.github_repo_id = repo.id
        if wanted and not repo.private:
            reason = PUBLIC_REPO.format(repo=repo.full_name)
            wanted = _fail_all(integration, reason, now, result, notify_staff=True)
        snapshot = github.list_access(repo)
        collaborators = snapshot.collaborator_logins
        # README and commit are checked only before inviting someone new, so a steady-state
        # reconcile costs three requests per repository (repo, collaborators, invitations).
        if any(_needs_invite(g, snapshot, collaborators) for g in wanted):
            problem = _repo_problem(integration, repo)
            if problem:
                wanted = _fail_all(integration, problem, now, result)
        for grant in wanted:
            _grant(repo, grant, snapshot, collaborators, now, result)
        for grant in to_revoke:
            _revoke(repo, grant, snapshot, collaborators, now, result)
    except github.GitHubNotConfigured as exc:
        _not_configured(wanted, to_revoke, f"{NOT_CONFIGURED}: {exc}", now, result)
    except github.GitHubPermanentError as exc:
        repo_access_mark_failed(integration=integration, reason=exc.reason, now=now)
        result.error = exc.reason
    return result


def _not_configured(
    wanted: list[RepoAccessGrant],
    to_revoke: list[RepoAccessGrant],
    error: str,
    now: dt.datetime,
    result: SyncResult,
) -> None:
    """Without credentials nothing can change on GitHub: keep grants visibly pending.

    Grants that never reached GitHub (pending/failed) and are no longer wanted are simply
    revoked; ones that did keep their state and show the error until GitHub is back."""
    for grant in wanted:
        if grant.state in (GrantState.PENDING, GrantState.FAILED) and (
            grant.state != GrantState.PENDING or grant.last_error != error
        ):
            _save(grant, now=now, state=GrantState.PENDING, last_error=error)
        elif grant.last_error != error and grant.state != GrantState.PENDING:
            _save(grant, now=now, last_error=error)
        result.states[grant.github_login] = grant.state
    for grant in to_revoke:
        if grant.state in (GrantState.PENDING, GrantState.FAILED):
            _save(grant, now=now, state=GrantState.REVOKED, revoked_at=now, last_error="")
        elif grant.last_error != error:
            _save(grant, now=now, last_error=error)
        result.states[grant.github_login] = grant.state
    result.error = error


def _fail_all(
    integration: Integration,
    reason: str,
    now: dt.datetime,
    result: SyncResult,
    *,
    notify_staff: bool = False,
) -> list[RepoAccessGrant]:
    """Record a repository-level problem; revocations still apply, grants do not."""
    repo_access_mark_failed(
        integration=integration, reason=reason, notify_staff=notify_staff, now=now
    )
    result.error = reason
    return []


def _needs_invite(
    grant: RepoAccessGrant, snapshot: github.AccessSnapshot, collaborators: frozenset[str]
) -> bool:
    if grant.github_login in collaborators:
        return False
    invitation = snapshot.invitation_for(grant.github_login)
    return invitation is None or invitation.expired


def _repo_problem(integration: Integration, repo: github.RepoInfo) -> str:
    """Why access must not be granted, in words a partner can act on ("" if none)."""
    if not github.has_readme(repo):
        return NO_README.format(repo=repo.full_name)
    sha = _commit_under_review(integration)
    if sha and not github.commit_exists(repo, sha):
        return NO_COMMIT.format(sha=sha, repo=repo.full_name)
    return ""


def _grant(
    repo: github.RepoInfo,
    grant: RepoAccessGrant,
    snapshot: github.AccessSnapshot,
    collaborators: frozenset[str],
    now: dt.datetime,
    result: SyncResult,
) -> None:
    login = grant.github_login
    if login in collaborators:
        _save(grant, now=now, state=GrantState.ACTIVE, invitation_id=None, last_error="")
    else:
        invitation = snapshot.invitation_for(login)
        if invitation is not None and not invitation.expired:
            _save(
                grant, now=now, state=GrantState.INVITED, invitation_id=invitation.id, last_error=""
            )
        else:
            if invitation is not None:
                # GitHub keeps expired invitations; withdraw it so the new one is fresh.
                github.cancel_invitation(repo, invitation.id)
            try:
                outcome = github.invite_collaborator(repo, login, grant.permission)
            except github.GitHubPermanentError as exc:
                _fail(grant, exc.reason, now)
                result.states[login] = grant.state
                result.error = exc.reason
                return
            result.invited += 1
            _save(
                grant,
                now=now,
                state=GrantState.ACTIVE if outcome.state == "active" else GrantState.INVITED,
                invitation_id=outcome.invitation_id,
                last_error="",
            )
    result.states[login] = grant.state


def _revoke(
    repo: github.RepoInfo,
    grant: RepoAccessGrant,
    snapshot: github.AccessSnapshot,
    collaborators: frozenset[str],
    now: dt.datetime,
    result: SyncResult,
) -> None:
    login = grant.github_login
    invitation = snapshot.invitation_for(login)
    if invitation is not None:
        github.cancel_invitation(repo, invitation.id)
    if login in collaborators:
        github.remove_collaborator(repo, login)
        result.removed += 1
    _save(
        grant,
        now=now,
        state=GrantState.REVOKED,
        revoked_at=now,
        invitation_id=None,
        last_error="",
    )
    result.states[login] = grant.state


def _fail(grant: RepoAccessGrant, reason: str, now: dt.datetime) -> bool:
    """Mark one grant failed; True when this is news (state or reason changed)."""
    changed = grant.state != GrantState.FAILED or grant.last_error != reason
    _save(grant, now=now, state=GrantState.FAILED, last_error=reason)
    return changed


def repo_access_mark_failed(
    *,
    integration: Integration,
    reason: str,
    notify_staff: bool = False,
    now: dt.datetime | None = None,
) -> int:
    """Record a permanent GitHub problem on the integration's live grants.

    Side effects: grants (not revoked) become failed with ``reason`` as last_error; when
    that is news, partner admins and the assigned reviewers get a ``github_access_failed``
    notification (partner managers too with ``notify_staff``, e.g. a public repository
    breaks a program rule).
    Returns the number of grants newly failed."""
    now = now or timezone.now()
    with transaction.atomic():
        grants = list(
            RepoAccessGrant.objects.select_for_update()
            .filter(integration=integration)
            .exclude(state=GrantState.REVOKED)
        )
        changed = sum(1 for grant in grants if _fail(grant, reason, now))
        if not changed:
            return 0
        request = (
            integration.requests.filter(state__in=OPEN_STATES)
            .select_related("assigned_reviewer")
            .order_by("-submitted_at", "-pk")
            .first()
        )
        recipients = list(partner_services.partner_admins(integration.partner_id))
        recipients += [
            r.assigned_reviewer
            for r in integration.requests.filter(
                state__in=OPEN_STATES, assigned_reviewer__isnull=False
            ).select_related("assigned_reviewer")
        ]
        if notify_staff:
            recipients += partner_services.partner_managers()
        digest = hashlib.sha256(reason.encode()).hexdigest()[:16]
        notify(
            recipients=recipients,
            event="github_access_failed",
            subject=f"{integration}: reviewers could not get access to the GitHub repository",
            context={"integration": integration, "request": request, "message": reason},
            link=link("portal:request_detail", request.pk) if request else "",
            dedupe_key=f"github-access-failed:{integration.pk}:{digest}:{now:%Y%m%d}",
        )
    return changed


def repo_access_record_transient(*, integration_id: int, error: str) -> None:
    """Keep the latest temporary GitHub problem visible on grants still waiting."""
    changed = RepoAccessGrant.objects.filter(
        integration_id=integration_id, state__in=[GrantState.PENDING, GrantState.INVITED]
    ).update(last_error=error[:2000], last_checked_at=timezone.now())
    if changed:  # update() sends no signal: the pages showing grants must be redrawn
        partner_id = (
            Integration.objects.filter(pk=integration_id)
            .values_list("partner_id", flat=True)
            .first()
        )
        pagecache.bump("program", f"partner:{partner_id}" if partner_id else "global")


def repo_access_integrations_to_reconcile() -> list[int]:
    """Integrations whose access may differ from GitHub: any open request, or grants that
    are not revoked yet (closing, idle expiry, failed ones the partner may have fixed)."""
    return sorted(
        set(
            Integration.objects.filter(
                Q(requests__state__in=OPEN_STATES)
                | Q(access_grants__state__in=[s for s in GrantState.values if s != "revoked"])
            ).values_list("pk", flat=True)
        )
    )


def repo_access_reconcile(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Sync every integration that may need it; one run at a time across workers.

    Transient errors on one repository do not stop the others (the next run retries)."""
    summary = {"integrations": 0, "errors": 0, "skipped": 0}
    with _lock("reviews:repo-access:reconcile", timeout=3600) as acquired:
        if not acquired:
            summary["skipped"] = 1
            return summary
        for pk in repo_access_integrations_to_reconcile():
            integration = Integration.objects.filter(pk=pk).first()
            if integration is None:
                continue
            summary["integrations"] += 1
            try:
                repo_access_sync(integration=integration, now=now)
            except (github.GitHubTransientError, SyncBusy) as exc:
                summary["errors"] += 1
                repo_access_record_transient(integration_id=pk, error=str(exc))
                logger.warning("Access reconcile of integration %s postponed: %s", pk, exc)
    return summary
