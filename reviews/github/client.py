"""Building the PyGithub client from settings: credentials, retry policy, throttling, reuse.

This module holds the package's only mutable state: the per-thread client cache and the
process-wide API call counter.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import jwt
from django.conf import settings
from github import Auth, Github, GithubException
from urllib3.util.retry import Retry

from reviews.github.errors import (
    GitHubNotConfigured,
    GitHubPermanentError,
    _is_rate_limited,
    _message,
    _translate,
)

# A few quick retries absorb GitHub's occasional 502/503 without failing a task; longer
# outages are the task's business (it re-queues with backoff), so keep the in-call budget
# to about a second: sleeps of 0 s, 0.4 s and 0.8 s.
_RETRY_TOTAL = 3
_RETRY_BACKOFF_FACTOR = 0.2
_RETRY_BACKOFF_MAX = 2.0
# One retry for a read timeout or a connection dropped mid-response: each one already cost
# a full GITHUB_TIMEOUT, and the worker must not block for several of them.
_RETRY_READ = 1

_USER_AGENT = "certportal"
_PER_PAGE = 100  # GitHub's maximum: fewer pages, fewer calls against the rate limit.


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


class _Counted:
    """Mixin for PyGithub auth classes: PyGithub calls ``authentication`` once per request."""

    def authentication(self, headers: dict) -> None:
        _calls.increment()
        super().authentication(headers)  # type: ignore[misc]


class _CountedToken(_Counted, Auth.Token):
    pass


class _CountedAppAuth(_Counted, Auth.AppAuth):
    pass


class _CountedInstallationAuth(_Counted, Auth.AppInstallationAuth):
    pass


# --- Retry policy ---------------------------------------------------------------------


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
    """The transport retries: a second's worth for blips, the rest left to the task."""
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


# --- Credentials ----------------------------------------------------------------------


def _app_settings() -> tuple[str, str, str]:
    """(app id, private key, installation id), stripped: env values often carry blanks."""
    return (
        str(settings.GITHUB_APP_ID).strip(),
        settings.GITHUB_APP_PRIVATE_KEY,
        str(settings.GITHUB_APP_INSTALLATION_ID).strip(),
    )


def _app_configured() -> bool:
    """App auth is used only with all three settings; a partial set is a mistake."""
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


# --- Client ---------------------------------------------------------------------------


def _throttle_settings() -> tuple[float | None, float | None]:
    """(seconds between requests, seconds between writes) for PyGithub's request spacing.

    PyGithub spaces requests (0.25 s) and writes (1 s) to stay clear of GitHub's secondary
    rate limits; keep that by default, but let tests against the fake server turn it off.
    """
    return (
        getattr(settings, "GITHUB_SECONDS_BETWEEN_REQUESTS", 0.25),
        getattr(settings, "GITHUB_SECONDS_BETWEEN_WRITES", 1.0),
    )


def _config_key() -> tuple[Any, ...]:
    """Every setting the client is built from, so a change (tests, reload) rebuilds it."""
    return (
        settings.GITHUB_API_URL,
        settings.GITHUB_TOKEN,
        *_app_settings(),
        settings.GITHUB_TIMEOUT,
        _throttle_settings(),
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
            if exc.status in (401, 404) or (exc.status == 403 and not _is_rate_limited(exc)):
                raise GitHubPermanentError(
                    "GitHub did not let the portal act as its GitHub App (HTTP "
                    f"{exc.status}: {_message(exc)}). Staff need to check GITHUB_APP_ID, "
                    "GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID.",
                    exc.status,
                ) from exc
            raise


def _session() -> Github:
    """The configured client, authenticated (raises GitHubNotConfigured without settings)."""
    client = _client()
    _authenticate(client)
    return client
