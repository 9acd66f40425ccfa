"""The errors callers see, and the translation of PyGithub / requests failures into them.

Failure policy, chosen for Celery workers:

* Transient failures (5xx, timeouts, dropped connections, primary and secondary rate limits)
  raise :class:`GitHubTransientError` carrying ``retry_after`` seconds. Short 5xx blips are
  retried inside the call (see ``client``); anything that asks us to wait (``Retry-After``,
  ``X-RateLimit-Reset``) is *not* slept here: a worker sleeping for an hour inside an HTTP
  call holds a slot and a broker ack, so the task re-queues itself with
  ``countdown=exc.retry_after`` instead.
* Permanent failures (404, 403 that is not a rate limit, 422, 401) raise
  :class:`GitHubPermanentError` whose ``reason`` a partner or staff member can act on; tasks
  record it on the row instead of retrying.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests
from github import GithubException
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

# Waits suggested to the caller when GitHub gives no hint. GitHub documents "wait at least
# one minute" for secondary rate limits without Retry-After.
_DEFAULT_TRANSIENT_WAIT = 30.0
_SECONDARY_RATE_LIMIT_WAIT = 60.0


class GitHubError(Exception):
    """Base of every error this package raises; callers never see PyGithub's exceptions."""


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


def _lower_headers(headers: Mapping[str, Any] | None) -> dict[str, str]:
    """Header names lower-cased: HTTP names are case-insensitive, dict lookups are not."""
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
    """``Retry-After`` may be delta-seconds or an HTTP date (RFC 9110); None if neither."""
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


def _is_rate_limited(exc: GithubException) -> bool:
    """Whether GitHub answered with a rate limit (a 403 that retrying later will fix)."""
    return _rate_limit_wait(exc.status, _lower_headers(exc.headers), _message(exc)) is not None


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
    """Turn PyGithub / requests failures into this package's exceptions.

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
    """Whether the request timed out, which requests does not always say directly.

    A timeout that used up urllib3's retries arrives as ConnectionError(MaxRetryError) whose
    reason is the timeout. (urllib3 files "connection refused" under ConnectTimeoutError
    too; that is no timeout.)
    """
    if isinstance(exc, requests.Timeout):
        return True
    reasons = [getattr(arg, "reason", None) for arg in exc.args]
    return any(
        isinstance(r, Urllib3Timeout) and not isinstance(r, NewConnectionError) for r in reasons
    )


def _unreachable(exc: Exception, action: str, label: str) -> GitHubTransientError:
    """Connection refused/reset, retries exhausted, or a truncated body from a proxy."""
    return GitHubTransientError(
        f"Could not reach GitHub while trying to {action} {label} ({type(exc).__name__}).",
        retry_after=_DEFAULT_TRANSIENT_WAIT,
    )
