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

Modules: ``desired`` (the desired access and the grant rows, database only), ``sync``
(the reconciliation against GitHub), ``failures`` (recording GitHub problems on the
grants and notifying) and ``lock`` (the per-repository lock that lapses with a dead
holder). Callers import this package (``from reviews import access``).
"""

from reviews.access.desired import repo_access_desired, repo_access_grants_for
from reviews.access.failures import repo_access_mark_failed, repo_access_record_transient
from reviews.access.lock import LOCK_TTL, ExpiringLock, LockLost, expiring_lock
from reviews.access.panel import AccessPanel, repo_access_panel
from reviews.access.sync import (
    NO_COMMIT,
    NO_README,
    NOT_CONFIGURED,
    PUBLIC_REPO,
    RECONCILE_LOCK,
    SyncBusy,
    SyncResult,
    repo_access_integrations_to_reconcile,
    repo_access_reconcile,
    repo_access_sync,
    sync_lock_key,
)

__all__ = [
    "LOCK_TTL",
    "NOT_CONFIGURED",
    "NO_COMMIT",
    "NO_README",
    "PUBLIC_REPO",
    "RECONCILE_LOCK",
    "AccessPanel",
    "ExpiringLock",
    "LockLost",
    "SyncBusy",
    "SyncResult",
    "expiring_lock",
    "repo_access_desired",
    "repo_access_grants_for",
    "repo_access_integrations_to_reconcile",
    "repo_access_mark_failed",
    "repo_access_panel",
    "repo_access_reconcile",
    "repo_access_record_transient",
    "repo_access_sync",
    "sync_lock_key",
]
