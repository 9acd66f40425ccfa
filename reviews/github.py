"""The portal's only door to GitHub (the one module that imports PyGithub).

Everything else in the project calls the plain functions below and gets plain dataclasses
back, so PyGithub's lazy objects, pagination and exception types never leak into services,
tasks or templates, and the fake server in ``tests/fakegithub.py`` is the only test double
needed.

Failure policy, chosen for Celery workers:

* Transient failures (5xx, timeouts, dropped connections, primary and secondary rate limits)
  raise :class:`GitHubTransientError` carrying ``retry_after`` seconds. Short 5xx blips are
  retried inside the call a few times with a small backoff; anything that asks us to wait
  (``Retry-After``, ``X-RateLimit-Reset``) is *not* slept here: a worker sleeping for an hour
  inside an HTTP call holds a slot and a broker ack, so the task re-queues itself with
  ``countdown=exc.retry_after`` instead.
* Permanent failures (404, 403 that is not a rate limit, 422, 401) raise
  :class:`GitHubPermanentError` whose ``reason`` a partner or staff member can act on; tasks
  record it on the row instead of retrying.

Repositories can be passed as a :class:`RepoInfo`, a numeric id or an ``owner/name`` string.
Ids (and ``RepoInfo``, which carries one) are addressed as ``/repositories/{id}/...`` —
the same path GitHub itself redirects renamed repositories to — so a partner renaming or
transferring the repo does not break access, and no extra request is spent on a lookup.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import jwt
import requests
from django.conf import settings
from github import Auth, Github, GithubException
from github.Repository import Repository
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util.retry import Retry

__all__ = [
    "PERMISSIONS",
    "AccessSnapshot",
    "Collaborator",
    "GitHubError",
    "GitHubNotConfigured",
    "GitHubPermanentError",
    "GitHubTransientError",
    "InviteResult",
    "PendingInvitation",
    "RepoInfo",
    "api_call_count",
    "cancel_invitation",
    "commit_exists",
    "get_repository",
    "has_readme",
    "invite_collaborator",
    "is_configured",
    "list_access",
    "remove_collaborator",
    "reset_api_call_count",
]

#: Permission names GitHub's "add a repository collaborator" endpoint accepts.
PERMISSIONS = ("pull", "triage", "push", "maintain", "admin")

# Invitations and the permission endpoint speak "read"/"write"; collaborators are invited
# with "pull"/"push". Reports use the invite vocabulary so a sync can compare like with like.
_INVITATION_PERMISSION = {"read": "pull", "write": "push"}

# A few quick retries absorb GitHub's occasional 502/503 without failing a task; longer
# outages are the task's business (it re-queues with backoff), so keep the in-call budget
# to about a second: sleeps of 0 s, 0.4 s and 0.8 s.
_RETRY_TOTAL = 3
_RETRY_BACKOFF_FACTOR = 0.2
_RETRY_BACKOFF_MAX = 2.0
# One retry for a read timeout or a connection dropped mid-response: each one already cost
# a full GITHUB_TIMEOUT, and the worker must not block for several of them.
_RETRY_READ = 1

# Waits suggested to the caller when GitHub gives no hint. GitHub documents "wait at least
# one minute" for secondary rate limits without Retry-After.
_DEFAULT_TRANSIENT_WAIT = 30.0
_SECONDARY_RATE_LIMIT_WAIT = 60.0

# Commit ids are hex SHA-1 (40) or SHA-256 (64); GitHub also resolves unique prefixes.
_SHA_RE = re.compile(r"^[0-9a-fA-F]{7,64}$")

_USER_AGENT = "certportal"
_PER_PAGE = 100  # GitHub's maximum: fewer pages, fewer calls against the rate limit.


# --- Exceptions -----------------------------------------------------------------------


class GitHubError(Exception):
    """Base of every error this module raises; callers never see PyGithub's exceptions."""


class GitHubNotConfigured(GitHubError):
    """No usable credentials in settings: access grants are recorded as pending instead."""


class GitHubTransientError(GitHubError):
    """GitHub is unavailable or rate-limiting us; the same call should work later.

    ``retry_after`` is how many seconds to wait before trying again (from ``Retry-After`` or
    ``X-RateLimit-Reset`` when GitHub sent one); ``rate_limited`` tells rate limits from
    outages for logging and metrics; ``status`` is the HTTP status, or None for network errors.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float,
        status: int | None = None,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status
        self.rate_limited = rate_limited


class GitHubPermanentError(GitHubError):
    """GitHub refused in a way retrying will not fix; ``reason`` says what a person can do."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


# --- Plain data returned to callers --------------------------------------------------


@dataclass(frozen=True)
class RepoInfo:
    """What the portal stores about a submission repository; ``id`` survives renames."""

    id: int
    full_name: str
    private: bool
    default_branch: str
    html_url: str


@dataclass(frozen=True)
class InviteResult:
    """Outcome of granting access: a pending invitation, or access that is already active.

    GitHub answers 204 (no invitation) when the user already has access, e.g. as an existing
    collaborator or an organisation member.
    """

    state: Literal["invited", "active"]
    invitation_id: int | None = None


@dataclass(frozen=True)
class Collaborator:
    """A direct collaborator and their highest permission (``pull`` … ``admin``)."""

    login: str
    permission: str


@dataclass(frozen=True)
class PendingInvitation:
    """An invitation not yet accepted; GitHub marks it ``expired`` after seven days."""

    id: int
    login: str
    permission: str
    created_at: datetime | None
    expired: bool


@dataclass(frozen=True)
class AccessSnapshot:
    """Who can reach a repository right now, as input to access reconciliation."""

    collaborators: tuple[Collaborator, ...]
    invitations: tuple[PendingInvitation, ...]

    @property
    def collaborator_logins(self) -> frozenset[str]:
        """Lower-cased logins: GitHub logins are case-insensitive, so compare them this way."""
        return frozenset(c.login.casefold() for c in self.collaborators)

    def invitation_for(self, login: str) -> PendingInvitation | None:
        """The invitation addressed to ``login`` (expired or not), if any."""
        wanted = login.casefold()
        return next((i for i in self.invitations if i.login.casefold() == wanted), None)


# --- API call counter (for benchmarks and tests) -------------------------------------


class _CallCounter:
    """Counts HTTP requests PyGithub issues, across threads.

    Counted where PyGithub attaches credentials, which happens once per request (pages of a
    list, installation-token requests included); transport-level retries of 5xx and timeouts
    inside one request are not counted separately.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    def increment(self) -> None:
        with self._lock:
            self._count += 1

    def value(self) -> int:
        with self._lock:
            return self._count

    def reset(self) -> None:
        with self._lock:
            self._count = 0


_calls = _CallCounter()


def api_call_count() -> int:
    """Number of GitHub API requests made by this process since the last reset."""
    return _calls.value()


def reset_api_call_count() -> None:
    """Start counting API requests from zero (e.g. at the start of a benchmark run)."""
    _calls.reset()


class _CountedToken(Auth.Token):
    def authentication(self, headers: dict) -> None:
        _calls.increment()
        super().authentication(headers)


class _CountedAppAuth(Auth.AppAuth):
    def authentication(self, headers: dict) -> None:
        _calls.increment()
        super().authentication(headers)


class _CountedInstallationAuth(Auth.AppInstallationAuth):
    def authentication(self, headers: dict) -> None:
        _calls.increment()
        super().authentication(headers)


# --- Client ---------------------------------------------------------------------------


class _WorkerRetry(Retry):
    """Retry 5xx and network errors briefly; never sleep on a server-requested wait.

    PyGithub's ``GithubRetry`` retries 403 rate limits by sleeping until the reset (up to an
    hour) and honours ``Retry-After`` on 403 by sleeping too. Here 403/429 are not in the
    retry list at all, ``Retry-After`` is not honoured, and a 5xx that carries
    ``Retry-After`` is surfaced at once so the caller can schedule the wait.
    """

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if has_retry_after:
            return False
        return super().is_retry(method, status_code, has_retry_after)


def _retry_policy() -> Retry:
    return _WorkerRetry(
        total=_RETRY_TOTAL,
        read=_RETRY_READ,
        backoff_factor=_RETRY_BACKOFF_FACTOR,
        backoff_max=_RETRY_BACKOFF_MAX,
        status_forcelist=tuple(range(500, 600)),
        # Every call we make is idempotent (GET, PUT, DELETE); POST only mints an
        # installation token, and a spare token is harmless.
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"POST"},
        respect_retry_after_header=False,
        # After the last retry, hand back the 5xx so PyGithub raises it with its status and
        # headers, rather than urllib3's MaxRetryError that hides both.
        raise_on_status=False,
    )


def _app_settings() -> tuple[str, str, str]:
    return (
        str(settings.GITHUB_APP_ID).strip(),
        settings.GITHUB_APP_PRIVATE_KEY,
        str(settings.GITHUB_APP_INSTALLATION_ID).strip(),
    )


def _app_configured() -> bool:
    return all(_app_settings())


def is_configured() -> bool:
    """True when a token or the full set of GitHub App credentials is present."""
    return bool(settings.GITHUB_TOKEN) or _app_configured()


def _build_auth() -> Auth.Auth:
    """The App installation when fully configured (short-lived tokens, per-installation rate
    limit), else the personal/service token."""
    if _app_configured():
        app_id, private_key, installation_id = _app_settings()
        if not installation_id.isdigit():
            raise GitHubNotConfigured("GITHUB_APP_INSTALLATION_ID must be a number.")
        return _CountedInstallationAuth(_CountedAppAuth(app_id, private_key), int(installation_id))
    if settings.GITHUB_TOKEN:
        return _CountedToken(settings.GITHUB_TOKEN)
    app_id, private_key, installation_id = _app_settings()
    if any((app_id, private_key, installation_id)):
        missing = [
            name
            for name, value in (
                ("GITHUB_APP_ID", app_id),
                ("GITHUB_APP_PRIVATE_KEY", private_key),
                ("GITHUB_APP_INSTALLATION_ID", installation_id),
            )
            if not value
        ]
        raise GitHubNotConfigured(
            f"GitHub App credentials are incomplete: set {', '.join(missing)} (or GITHUB_TOKEN)."
        )
    raise GitHubNotConfigured(
        "GitHub is not configured: set GITHUB_TOKEN, or GITHUB_APP_ID, "
        "GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID."
    )


def _config_key() -> tuple[Any, ...]:
    return (
        settings.GITHUB_API_URL,
        settings.GITHUB_TOKEN,
        *_app_settings(),
        settings.GITHUB_TIMEOUT,
        _throttle_settings(),
    )


def _throttle_settings() -> tuple[float | None, float | None]:
    # PyGithub spaces requests (0.25 s) and writes (1 s) to stay clear of GitHub's secondary
    # rate limits; keep that by default, but let tests against the fake server turn it off.
    return (
        getattr(settings, "GITHUB_SECONDS_BETWEEN_REQUESTS", 0.25),
        getattr(settings, "GITHUB_SECONDS_BETWEEN_WRITES", 1.0),
    )


_local = threading.local()


def _client() -> Github:
    """A client per thread, rebuilt when settings change.

    Reuse matters: it keeps the HTTP connection alive, lets PyGithub's request spacing see
    earlier requests, and with App auth reuses the installation token instead of minting a
    new one (one extra API call) per operation. Per thread because requests' Session is not
    documented as thread-safe.
    """
    key = _config_key()
    if getattr(_local, "key", None) == key:
        return _local.client
    previous = getattr(_local, "client", None)
    if previous is not None:
        previous.close()
        _local.client = _local.key = None
    between_requests, between_writes = _throttle_settings()
    client = Github(
        base_url=settings.GITHUB_API_URL,
        auth=_build_auth(),
        # PyGithub insists on whole seconds.
        timeout=max(1, math.ceil(settings.GITHUB_TIMEOUT)),
        user_agent=_USER_AGENT,
        per_page=_PER_PAGE,
        retry=_retry_policy(),
        seconds_between_requests=between_requests,
        seconds_between_writes=between_writes,
        # Lazy objects: get_repo() costs nothing until a field is read, so sub-resource
        # calls (readme, collaborators, ...) are one request each.
        lazy=True,
    )
    _local.client, _local.key = client, key
    return client


def _authenticate(client: Github) -> None:
    """Mint (or reuse) the App installation token up front, so a broken App setup is
    reported as such rather than as "repository not found"."""
    auth = client.requester.auth
    if not isinstance(auth, Auth.AppInstallationAuth):
        return
    with _translate("authenticate as", "the GitHub App installation"):
        try:
            auth.token  # noqa: B018 - property access fetches or refreshes the token
        except (jwt.PyJWTError, ValueError) as exc:
            raise GitHubNotConfigured(
                f"GITHUB_APP_PRIVATE_KEY cannot sign a GitHub App token ({exc})."
            ) from exc
        except GithubException as exc:
            rate_limited = (
                _rate_limit_wait(exc.status, _lower_headers(exc.headers), _message(exc)) is not None
            )
            if exc.status in (401, 404) or (exc.status == 403 and not rate_limited):
                raise GitHubPermanentError(
                    "GitHub did not let the portal act as its GitHub App (HTTP "
                    f"{exc.status}: {_message(exc)}). Staff need to check GITHUB_APP_ID, "
                    "GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID.",
                    exc.status,
                ) from exc
            raise


# --- Error translation ----------------------------------------------------------------


def _lower_headers(headers: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers or {}).items()}


def _message(exc: GithubException) -> str:
    """GitHub's own words, including per-field validation errors on 422."""
    data = exc.data if isinstance(exc.data, dict) else {}
    parts = [str(data.get("message") or exc.message or "").strip()]
    for error in data.get("errors") or []:
        if isinstance(error, dict) and error.get("message"):
            parts.append(str(error["message"]).strip())
        elif isinstance(error, str):
            parts.append(error.strip())
    return "; ".join(p for p in parts if p) or "no details given"


def _seconds_from_retry_after(value: str) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - time.time()


def _rate_limit_wait(status: int, headers: dict[str, str], message: str) -> float | None:
    """Seconds to wait when the response is a rate limit, else None.

    Primary limit: 403/429 with ``X-RateLimit-Remaining: 0``, reset at ``X-RateLimit-Reset``.
    Secondary limit: 403/429 with ``Retry-After``, or only the message, then wait a minute.
    """
    if status not in (403, 429):
        return None
    if "retry-after" in headers:
        seconds = _seconds_from_retry_after(headers["retry-after"])
        return max(seconds if seconds is not None else _SECONDARY_RATE_LIMIT_WAIT, 1.0)
    if headers.get("x-ratelimit-remaining") == "0":
        reset = headers.get("x-ratelimit-reset", "")
        if reset.isdigit():
            # +1: the reset second is not precise, and clocks drift a little.
            return max(int(reset) - time.time() + 1.0, 1.0)
        return _SECONDARY_RATE_LIMIT_WAIT
    lowered = message.lower()
    if status == 429 or "rate limit" in lowered or "try again" in lowered:
        return _SECONDARY_RATE_LIMIT_WAIT
    return None


def _error_for(exc: GithubException, action: str, label: str) -> GitHubError:
    """Map a GitHub response error to transient or permanent, with a usable message."""
    status = exc.status
    headers = _lower_headers(exc.headers)
    message = _message(exc)
    wait = _rate_limit_wait(status, headers, message)
    if wait is not None:
        return GitHubTransientError(
            f"GitHub rate limit reached while trying to {action} {label}; retry in {wait:.0f} s.",
            retry_after=wait,
            status=status,
            rate_limited=True,
        )
    if status >= 500:
        hinted = _seconds_from_retry_after(headers.get("retry-after", ""))
        wait = max(hinted, 1.0) if hinted is not None else _DEFAULT_TRANSIENT_WAIT
        return GitHubTransientError(
            f"GitHub is unavailable (HTTP {status}) while trying to {action} {label}.",
            retry_after=wait,
            status=status,
        )
    if status == 404:
        return GitHubPermanentError(
            f"The repository {label} was not found. It may have been renamed or deleted, "
            "or the vendor's GitHub account has no access to it.",
            404,
        )
    if status == 401:
        return GitHubPermanentError(
            "GitHub rejected the portal's credentials. Staff need to check GITHUB_TOKEN or "
            "the GitHub App settings.",
            401,
        )
    if status == 403:
        return GitHubPermanentError(
            f"The vendor's GitHub account is not allowed to {action} {label} "
            f"(GitHub said: {message}). Ask the repository owner to give the vendor's GitHub "
            "account admin access to the repository.",
            403,
        )
    if status == 422:
        return GitHubPermanentError(
            f"GitHub refused to {action} {label}: {message}.",
            422,
        )
    return GitHubPermanentError(
        f"GitHub refused to {action} {label} (HTTP {status}): {message}.",
        status,
    )


@contextmanager
def _translate(action: str, label: str) -> Iterator[None]:
    """Turn PyGithub / requests failures into this module's exceptions.

    ``action`` and ``label`` complete the sentence "trying to <action> <label>".
    """
    try:
        yield
    except GitHubError:
        raise
    except GithubException as exc:
        raise _error_for(exc, action, label) from exc
    except requests.RequestException as exc:
        if not _is_timeout(exc):
            raise _unreachable(exc, action, label) from exc
        raise GitHubTransientError(
            f"GitHub did not answer in time while trying to {action} {label}.",
            retry_after=_DEFAULT_TRANSIENT_WAIT,
        ) from exc
    except json.JSONDecodeError as exc:
        raise _unreachable(exc, action, label) from exc


def _is_timeout(exc: requests.RequestException) -> bool:
    # A timeout that used up urllib3's retries arrives as ConnectionError(MaxRetryError)
    # whose reason is the timeout.
    if isinstance(exc, requests.Timeout):
        return True
    # (urllib3 files "connection refused" under ConnectTimeoutError too; that is no timeout.)
    reasons = [getattr(arg, "reason", None) for arg in exc.args]
    return any(
        isinstance(r, Urllib3Timeout) and not isinstance(r, NewConnectionError) for r in reasons
    )


def _unreachable(exc: Exception, action: str, label: str) -> GitHubTransientError:
    # Connection refused/reset, retries exhausted, or a truncated body from a proxy.
    return GitHubTransientError(
        f"Could not reach GitHub while trying to {action} {label} ({type(exc).__name__}).",
        retry_after=_DEFAULT_TRANSIENT_WAIT,
    )


# --- Repository references ------------------------------------------------------------


@dataclass(frozen=True)
class _Ref:
    key: int | str
    label: str


def _ref(repo: RepoInfo | int | str) -> _Ref:
    if isinstance(repo, RepoInfo):
        return _Ref(repo.id, repo.full_name)
    if isinstance(repo, bool):  # bool is an int; a True id is a bug, not repo #1
        raise TypeError("repo must be a RepoInfo, a repository id or 'owner/name'")
    if isinstance(repo, int):
        return _Ref(repo, f"with id {repo}")
    if isinstance(repo, str) and repo.count("/") == 1 and all(repo.split("/")):
        return _Ref(repo, repo)
    raise TypeError(f"repo must be a RepoInfo, a repository id or 'owner/name', not {repo!r}")


def _open_repo(client: Github, ref: _Ref) -> Repository:
    """A PyGithub repository addressed by id.

    Ids cost no request (lazy object on ``/repositories/{id}``). A name is looked up once:
    GitHub redirects GETs for renamed repos (301, which PyGithub follows) but answers writes
    with 307, which PyGithub does not follow, so writes must go to the canonical URL.
    """
    repo = client.get_repo(ref.key)
    if isinstance(ref.key, str):
        repo.complete()
    return repo


def _require_repo(client: Github, ref: _Ref) -> None:
    """Fetch the repository itself, to tell "repo missing" from "sub-resource missing".

    GitHub answers 404 with the same "Not Found" for both; this extra request is only made
    on that ambiguous 404, and a missing repo propagates as the repo-not-found error.
    """
    client.get_repo(ref.key).complete()


def _to_info(repo: Repository) -> RepoInfo:
    return RepoInfo(
        id=repo.id,
        full_name=repo.full_name,
        private=bool(repo.private),
        default_branch=repo.default_branch or "",
        html_url=repo.html_url or "",
    )


def _session() -> Github:
    """The configured client, authenticated (raises GitHubNotConfigured without settings)."""
    client = _client()
    _authenticate(client)
    return client


# --- Public operations ----------------------------------------------------------------


def get_repository(full_name: str | None = None, repo_id: int | None = None) -> RepoInfo:
    """Fetch a repository's identity and visibility (one request).

    ``repo_id`` wins when given, so a repo renamed since it was registered is still found;
    store the returned ``id`` and pass the ``RepoInfo`` (or id) to the other functions.
    """
    if repo_id is None and not full_name:
        raise ValueError("get_repository needs full_name or repo_id")
    if repo_id is not None:
        ref = _Ref(repo_id, full_name or f"with id {repo_id}")
    else:
        ref = _ref(full_name)  # type: ignore[arg-type]
    client = _session()
    with _translate("read the repository", ref.label):
        repo = client.get_repo(ref.key)
        repo.complete()
        return _to_info(repo)


def has_readme(repo: RepoInfo | int | str) -> bool:
    """Whether the repository has a README GitHub recognises (on the default branch).

    The submission package requires one; a missing README is an answer (False), not an
    error, while a missing repository raises :class:`GitHubPermanentError`.
    """
    ref = _ref(repo)
    client = _session()
    with _translate("check the README of", ref.label):
        gh_repo = _open_repo(client, ref)
        try:
            gh_repo.get_readme()
        except GithubException as exc:
            if exc.status != 404:
                raise
            _require_repo(client, ref)
            return False
        return True


def commit_exists(repo: RepoInfo | int | str, sha: str) -> bool:
    """Whether ``sha`` names a commit in the repository.

    Only hex commit ids are accepted (anything else is False), so a branch or tag name
    typed into a form cannot pass as a pinned commit. GitHub answers 422 for an unknown SHA
    and 409 for an empty repository; both mean False.
    """
    if not _SHA_RE.match(sha or ""):
        return False
    ref = _ref(repo)
    action = f"look up commit {sha} in"
    client = _session()
    with _translate(action, ref.label):
        gh_repo = _open_repo(client, ref)
        try:
            gh_repo.get_commit(sha).complete()
        except GithubException as exc:
            if exc.status in (409, 422):
                return False
            if exc.status != 404:
                raise
            _require_repo(client, ref)
            return False
        return True


def invite_collaborator(
    repo: RepoInfo | int | str, login: str, permission: str = "pull"
) -> InviteResult:
    """Give ``login`` access to the repository (idempotent).

    GitHub answers 201 with an invitation the user must accept, or 204 when the user
    already has access (then the permission is updated). Re-inviting a user with a pending
    invitation returns that invitation.
    """
    if permission not in PERMISSIONS:
        raise ValueError(f"permission must be one of {', '.join(PERMISSIONS)}")
    ref = _ref(repo)
    action = f"invite {login} to"
    client = _session()
    with _translate(action, ref.label):
        gh_repo = _open_repo(client, ref)
        try:
            invitation = gh_repo.add_to_collaborators(login, permission)
        except GithubException as exc:
            if exc.status != 404:
                raise
            # 404 means the repo or the user is missing; say which.
            _require_repo(client, ref)
            raise GitHubPermanentError(
                f"The GitHub user '{login}' does not exist. Check the spelling of the "
                "GitHub login.",
                404,
            ) from exc
    if invitation is None:
        return InviteResult(state="active")
    return InviteResult(state="invited", invitation_id=invitation.id)


def _highest_permission(user: Any) -> str:
    perms = user.permissions
    if perms is None:
        return _INVITATION_PERMISSION.get(user.role_name or "", user.role_name or "")
    for name in reversed(PERMISSIONS):
        if getattr(perms, name, False):
            return name
    return ""


def list_access(repo: RepoInfo | int | str) -> AccessSnapshot:
    """Direct collaborators and pending invitations (two requests, more for >100 entries).

    Only *direct* collaborators are listed: those are the ones this portal grants and can
    revoke; organisation members' access is not ours to reconcile.
    """
    ref = _ref(repo)
    client = _session()
    with _translate("list who has access to", ref.label):
        gh_repo = _open_repo(client, ref)
        collaborators = tuple(
            Collaborator(login=user.login, permission=_highest_permission(user))
            for user in gh_repo.get_collaborators(affiliation="direct")
        )
        invitations = tuple(
            PendingInvitation(
                id=inv.id,
                login=inv.invitee.login if inv.invitee is not None else "",
                permission=_INVITATION_PERMISSION.get(inv.permissions, inv.permissions),
                created_at=inv.created_at,
                expired=bool(inv.expired),
            )
            for inv in gh_repo.get_pending_invitations()
        )
    return AccessSnapshot(collaborators=collaborators, invitations=invitations)


def remove_collaborator(repo: RepoInfo | int | str, login: str) -> None:
    """Revoke a collaborator's access (idempotent: a non-collaborator is a no-op)."""
    ref = _ref(repo)
    action = f"remove {login} from"
    client = _session()
    with _translate(action, ref.label):
        gh_repo = _open_repo(client, ref)
        try:
            gh_repo.remove_from_collaborators(login)
        except GithubException as exc:
            if exc.status != 404:
                raise
            # The user does not exist (nothing to revoke) unless the repo itself is gone.
            _require_repo(client, ref)


def cancel_invitation(repo: RepoInfo | int | str, invitation_id: int) -> None:
    """Withdraw a pending invitation (idempotent: an already gone invitation is a no-op)."""
    ref = _ref(repo)
    action = f"cancel invitation {invitation_id} to"
    client = _session()
    with _translate(action, ref.label):
        gh_repo = _open_repo(client, ref)
        try:
            gh_repo.remove_invitation(invitation_id)
        except GithubException as exc:
            if exc.status != 404:
                raise
            _require_repo(client, ref)
