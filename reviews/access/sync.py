"""Reconciling GitHub with the access the database says should exist.

``repo_access_sync`` handles one repository under a per-integration lock;
``repo_access_reconcile`` runs it for every integration that may have drifted. Both locks
are ``ExpiringLock``s (``lock``): they lapse ``LOCK_TTL`` seconds after their holder dies, so
a worker killed mid-sync delays the next sync by at most that, not by minutes.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from certifications.enums import OPEN_STATES
from certifications.models import CertificationRequest, Integration
from reviews import github
from reviews.access.desired import (
    _commit_under_review,
    _record_desired,
    _save,
    repo_access_desired,
)
from reviews.access.failures import (
    _fail,
    repo_access_mark_failed,
    repo_access_record_transient,
)
from reviews.access.lock import ExpiringLock, LockLost, expiring_lock
from reviews.models import GrantState, RepoAccessGrant

# The package's name, as before the split, so existing log filters keep matching.
logger = logging.getLogger("reviews.access")

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

RECONCILE_LOCK = "reviews:repo-access:reconcile"


def sync_lock_key(integration_id: int) -> str:
    """The per-repository lock: one sync of an integration at a time across workers."""
    return f"reviews:repo-access:{integration_id}"


class SyncBusy(Exception):
    """Another sync of the same integration is running (or this one lost its lock to
    one); try again shortly."""


@dataclass
class SyncResult:
    """What one sync did, for logs, tests and the benchmark."""

    integration_id: int
    states: dict[str, str] = field(default_factory=dict)  # login -> state
    invited: int = 0
    removed: int = 0
    error: str = ""


def _integration_for(
    integration: Integration | None, request: CertificationRequest | None
) -> Integration:
    """Callers hold either; access belongs to the integration, whose repo all versions share."""
    if integration is not None:
        return integration
    if request is None:
        raise ValueError("repo_access_sync needs an integration or a request")
    return request.integration


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
    ``SyncBusy`` when another sync of the same repository is running, or when this one
    could no longer prove it held the lock before a GitHub write (it stops there; the
    retry reconciles from what GitHub then reports, so nothing is invited twice)."""
    integration = _integration_for(integration, request)
    now = now or timezone.now()
    with expiring_lock(sync_lock_key(integration.pk)) as lock:
        if lock is None:
            raise SyncBusy(f"Access sync of integration {integration.pk} is already running")
        integration = Integration.objects.select_related("partner").get(pk=integration.pk)
        return _sync(integration, now, lock)


def _still_holding(lock: ExpiringLock, integration: Integration) -> None:
    """Before each GitHub write: a sync whose lock lapsed (process frozen, Redis out of
    reach past the TTL) may overlap a newer sync of the same repository; stopping here
    keeps the two from both inviting someone the other has not seen yet."""
    try:
        lock.ensure()
    except LockLost as exc:
        raise SyncBusy(
            f"Access sync of integration {integration.pk} stopped: it lost its lock"
        ) from exc


def _sync(integration: Integration, now: dt.datetime, lock: ExpiringLock) -> SyncResult:
    """The body of ``repo_access_sync``, run under its lock."""
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
            _still_holding(lock, integration)
            _grant(repo, grant, snapshot, collaborators, now, result)
        for grant in to_revoke:
            _still_holding(lock, integration)
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
    """Whether granting means a new invitation (not a collaborator, no live invitation)."""
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
    """Bring one wanted grant in line with GitHub, inviting only when nothing live exists.

    A user GitHub refuses (e.g. unknown login) fails this grant alone, not the others."""
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
    """Withdraw a grant's invitation and collaboratorship, whichever GitHub still has."""
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


def repo_access_integrations_to_reconcile() -> list[int]:
    """Integrations whose access may differ from GitHub: any open request, or grants that
    are not revoked yet (closing, idle expiry, failed ones the partner may have fixed).

    Those with pending grants come first: they are the ones a sync killed mid-grant left
    unfinished, and the reconcile a restarted worker runs should reach them in seconds,
    not after every other repository."""
    ids = set(
        Integration.objects.filter(
            Q(requests__state__in=OPEN_STATES)
            | Q(access_grants__state__in=[s for s in GrantState.values if s != "revoked"])
        ).values_list("pk", flat=True)
    )
    pending = set(
        RepoAccessGrant.objects.filter(state=GrantState.PENDING).values_list(
            "integration_id", flat=True
        )
    )
    return sorted(ids, key=lambda pk: (pk not in pending, pk))


def repo_access_reconcile(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Sync every integration that may need it; one run at a time across workers.

    Transient errors on one repository do not stop the others (the next run retries). A run
    that loses its lock stops (``skipped``): another run has taken over and covers the rest.
    """
    summary = {"integrations": 0, "errors": 0, "skipped": 0}
    with expiring_lock(RECONCILE_LOCK) as lock:
        if lock is None:
            summary["skipped"] = 1
            return summary
        for pk in repo_access_integrations_to_reconcile():
            try:
                lock.ensure()
            except LockLost:
                logger.warning("Access reconcile lost its lock; another run continues")
                summary["skipped"] = 1
                break
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
