"""Security logging and step-up authentication helpers.

* `log_denial` writes one WARNING record to the "certportal.security" logger for every
  authorization denial (403, and the 404 a foreign tenant's object gives): who, which path,
  when (the record's own timestamp plus an ISO time in the message), from which address and
  why. Values a user controls (username, path, reason) are written with `%r`, so a `\\r\\n`
  in a username cannot forge a second log line. The address is
  `certportal.client_address.client_ip`, the one the credential-reveal audit and the
  sign-in lockout record, so the three can be joined; it is a validated IP address or `-`.
* `recent_login` tells whether this session signed in recently enough for a sensitive
  action (step-up, ASVS 3.7.1). The login time is stored in the session by a
  `user_logged_in` receiver; a session without it counts as too old.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.utils import timezone

from certportal.client_address import client_ip

logger = logging.getLogger("certportal.security")

LOGIN_AT_SESSION_KEY = "certportal_login_at"
DEFAULT_REAUTH_MINUTES = 15


def _username(request: Any) -> str:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return "<anonymous>"
    return user.get_username()


def log_denial(request: Any, status: int, reason: str = "") -> None:
    """One record per denied request (later calls for the same request are ignored)."""
    if request is None or getattr(request, "_certportal_denial_logged", False):
        return
    with contextlib.suppress(AttributeError):  # exotic request objects
        request._certportal_denial_logged = True
    address = client_ip(request)
    logger.warning(
        "authorization denied status=%s user=%r path=%r method=%s ip=%s at=%s reason=%r",
        status,
        _username(request),
        getattr(request, "path", ""),
        getattr(request, "method", ""),
        address or "-",
        timezone.now().isoformat(),
        reason,
        extra={
            "security_status": status,
            "security_user": _username(request),
            "security_ip": address,
        },
    )


def role_required(allowed: Callable[[Any], bool], *, reason: str) -> Callable:
    """View decorator for staff pages: anonymous people go to the login page; a signed-in
    person for whom `allowed(user)` is false gets 403, logged as a denial with `reason`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request.user):
                log_denial(request, 403, reason)
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# --- Step-up: recent login ---------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="certportal.security.remember_login_time")
def remember_login_time(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        session[LOGIN_AT_SESSION_KEY] = timezone.now().timestamp()


def reauth_minutes() -> int:
    return int(getattr(settings, "CREDENTIAL_REVEAL_REAUTH_MINUTES", DEFAULT_REAUTH_MINUTES))


def recent_login(request: Any, minutes: int | None = None) -> bool:
    """True if this session's login happened within the last `minutes` (default
    settings.CREDENTIAL_REVEAL_REAUTH_MINUTES, 15)."""
    minutes = reauth_minutes() if minutes is None else minutes
    session = getattr(request, "session", None)
    login_at = session.get(LOGIN_AT_SESSION_KEY) if session is not None else None
    if not isinstance(login_at, int | float):
        return False
    age = timezone.now().timestamp() - float(login_at)
    return 0 <= age <= minutes * 60
