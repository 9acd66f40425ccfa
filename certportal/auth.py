"""Sign-in hardening: the login view, the per-address sign-in throttle and the staff
second-factor middleware.

Vendor staff (reviewers, partner managers, support agents, superusers) must verify a TOTP
code (django-otp) in the current session before any page under /admin/ or /manage/.
Partner users may opt in; once they have a confirmed authenticator the login asks for a
code before any signed-in page. `settings.STAFF_REQUIRE_2FA` is always on with DEBUG off;
the local demo may switch it off.

Failed sign-ins are limited twice. django-axes locks a *username* after AXES_FAILURE_LIMIT
failures (ASVS 2.2.1), from every address, never an address as such: behind the TLS proxy
or an office's NAT one address is many people, and an address lock let anyone lock them all
out. Under that, a slower per-address throttle (LOGIN_THROTTLE_FAILURES failures within
LOGIN_THROTTLE_WINDOW_MINUTES) answers further *failed* sign-ins from the address with 429
and Retry-After. It never refuses a correct password: a throttle that did would hand the
lock-out-everybody attack back to whoever shares the address, so a real user is kept out only
by a lock on their own username. The throttle is a signal that well-behaved clients obey and
monitoring sees (one WARNING record on "certportal.security" when it engages); the hard
per-address rate limit belongs in the proxy (docs/operations.md, "Sign-in lockout and
proxies").
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from certportal import roles
from certportal.client_address import client_ip, throttle_bucket

logger = logging.getLogger("certportal.security")

STAFF_PREFIXES = ("/admin/", "/manage/")
# Pages a signed-in user can always reach, verified or not.
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz/", "/admin/logout/")
# Session flag set at login: this session must pass the second factor before any page.
OTP_REQUIRED_SESSION_KEY = "certportal_otp_required"


def staff_must_verify(user) -> bool:
    """Whether this user needs a verified second factor for the staff areas."""
    if not settings.STAFF_REQUIRE_2FA or not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "is_staff", False)) or roles.is_vendor_staff(user)


def is_verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def has_confirmed_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def safe_next(request: HttpRequest, default: str = "") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site: "javascript:…", "other.example/x" or "../x" fall back.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or reverse(settings.LOGIN_REDIRECT_URL)


def otp_redirect(user, next_url: str):
    """Send the user to enter a code, or to set up an authenticator first."""
    name = "otp_verify" if has_confirmed_device(user) else "otp_setup"
    return redirect(f"{reverse(name)}?{urlencode({'next': next_url})}")


class LoginView(auth_views.LoginView):
    """Django's login (the session key is rotated by auth.login) followed by the second
    factor for staff, and for partner users who set up an authenticator."""

    redirect_authenticated_user = False

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["staff_2fa_relaxed"] = not settings.STAFF_REQUIRE_2FA
        return context

    def form_invalid(self, form: Any) -> HttpResponse:
        """A failed sign-in from a throttled address is answered 429 with Retry-After and
        the form again (a mistyped password may be corrected at once: the throttle never
        refuses a correct one). A username lock is left to AxesMiddleware's page."""
        locked = getattr(self.request, "axes_locked_out", False)
        retry_after = None if locked else login_throttle_retry_after(self.request)
        if retry_after is None:
            return super().form_invalid(form)
        context = self.get_context_data(
            form=form, throttled=True, throttle_retry_minutes=math.ceil(retry_after / 60)
        )
        throttled = self.render_to_response(context, status=429)
        throttled["Retry-After"] = str(retry_after)
        return throttled

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        if staff_must_verify(user) or has_confirmed_device(user):
            self.request.session[OTP_REQUIRED_SESSION_KEY] = True
            return otp_redirect(user, self.get_success_url())
        return response


OTP_DEVICE_CACHE_PREFIX = "otp-device:"
# What a request needs of its verified device; the rest (the secret key, the throttle) is
# left deferred, read from the database only if something uses it. The secret never goes
# to the cache.
OTP_DEVICE_FIELDS = ("id", "user_id", "name", "confirmed")


class CachedOTPMiddleware(OTPMiddleware):
    """django-otp's middleware with the session's verified device remembered in the
    cache, so a page served from the page cache costs no device query. The entry is dropped
    whenever the device is saved (a verification saves it, so the entry is written then)
    or deleted, and lasts at most OTP_DEVICE_CACHE_SECONDS."""

    def _device_from_persistent_id(self, persistent_id: str):
        seconds = getattr(settings, "OTP_DEVICE_CACHE_SECONDS", 0)
        key = f"{OTP_DEVICE_CACHE_PREFIX}{self._normalize_persistent_id(persistent_id)}"
        if seconds > 0:
            try:
                hit = cache.get(key)
            except Exception:  # a cache outage only costs the query
                hit = None
            if hit is not None:
                label, values = hit
                model = apps.get_model(label)
                return model.from_db(DEFAULT_DB_ALIAS, list(OTP_DEVICE_FIELDS), list(values))
        device = super()._device_from_persistent_id(persistent_id)
        if device is not None:
            _remember_device(device)
        return device


def _remember_device(device: Device, *, forget: bool = False) -> None:
    seconds = getattr(settings, "OTP_DEVICE_CACHE_SECONDS", 0)
    key = f"{OTP_DEVICE_CACHE_PREFIX}{device.persistent_id}"
    try:
        if forget or not device.confirmed or seconds <= 0:
            cache.delete(key)
        else:
            values = [device.__dict__.get(f) for f in OTP_DEVICE_FIELDS]
            cache.set(key, (device._meta.label, values), timeout=seconds)
    except Exception as exc:
        logger.warning("OTP device cache entry not updated (%s)", exc)


def _device_saved(sender, instance, raw=False, **kwargs) -> None:
    if isinstance(instance, Device) and not raw:
        # A deferred copy (from this cache) may lack fields: drop rather than guess.
        loaded = all(f in instance.__dict__ for f in OTP_DEVICE_FIELDS)
        _remember_device(instance, forget=not loaded)


def _device_deleted(sender, instance, **kwargs) -> None:
    if isinstance(instance, Device):
        _remember_device(instance, forget=True)


post_save.connect(_device_saved, dispatch_uid="otp-device-cache-save")
post_delete.connect(_device_deleted, dispatch_uid="otp-device-cache-delete")


class StaffOTPMiddleware:
    """Redirects unverified staff away from /admin/ and /manage/ (and any page, for a
    session whose login asked for a second factor) to the code or setup page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if not path.startswith(EXEMPT_PREFIXES):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and not is_verified(user):
                staff_area = path.startswith(STAFF_PREFIXES) and staff_must_verify(user)
                if staff_area or request.session.get(OTP_REQUIRED_SESSION_KEY):
                    return otp_redirect(user, request.get_full_path())
        return self.get_response(request)


# Longer than any username (User.username holds 150) and within axes' 255-character column.
AXES_USERNAME_MAX = 150


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The username django-axes counts failures for: as typed, cut to AXES_USERNAME_MAX.

    axes stores it in a 255-character column without truncating, so a longer made-up name
    failed the login with a database error on PostgreSQL (jazzband/django-axes#1381). No
    real account is longer than 150 characters, so the cut never merges two real users."""
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    if credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    return username[:AXES_USERNAME_MAX] if isinstance(username, str) else username


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """django-axes lockout page: says the account is locked and for how long. Retry-After
    is the whole cool-off, the latest the lock can end (failures during the lock do not
    extend it: AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is off)."""
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = int(cooloff.total_seconds() // 60) if cooloff else None
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    response = render(
        request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )
    if cooloff:
        response["Retry-After"] = str(int(cooloff.total_seconds()))
    return response


# --- Per-address sign-in throttle ---------------------------------------------------------

THROTTLE_KEY_PREFIX = "certportal:login-throttle:"


def throttle_limits() -> tuple[int, int]:
    """(failures, window in seconds); failures 0 switches the throttle off."""
    failures = int(getattr(settings, "LOGIN_THROTTLE_FAILURES", 0) or 0)
    window = int(getattr(settings, "LOGIN_THROTTLE_WINDOW_MINUTES", 0) or 0) * 60
    return (failures, window) if failures > 0 and window > 0 else (0, 0)


def _throttle_window(
    request: Any, window: int, prefix: str | None = None
) -> tuple[str, float] | None:
    """The cache key counting the request's address in the current window, and when that
    window ends. Windows are aligned to the clock (key = address and window number), so every
    web process agrees on them and a count never has to be reset. The address is hashed: it
    is personal data and the cache is shared."""
    address = client_ip(request)
    if address is None:
        return None
    number = int(time.time() // window)
    digest = hashlib.sha256(throttle_bucket(address).encode()).hexdigest()[:32]
    return f"{prefix or THROTTLE_KEY_PREFIX}{digest}:{number}", float((number + 1) * window)


def record_login_failure(request: Any) -> None:
    """Count one failed sign-in against the request's address. A success never resets the
    count: anyone with an account of their own could clear it."""
    limit, window = throttle_limits()
    current = _throttle_window(request, window) if limit and request is not None else None
    if current is None:
        return
    key, _ends = current
    try:
        cache.add(key, 0, timeout=2 * window)  # outlives its window, then goes by itself
        failures = cache.incr(key)
    except ValueError:  # evicted between add and incr: this one failure goes uncounted
        return
    except Exception:  # the cache is down: the username lock (database) still holds
        logger.warning("login throttle unavailable: the cache did not answer", exc_info=True)
        return
    if failures == limit:
        logger.warning(
            "login throttle engaged ip=%s failures=%s window_minutes=%s",
            client_ip(request),
            failures,
            window // 60,
        )


def login_throttle_retry_after(request: Any) -> int | None:
    """Seconds until the request's address may fail again unthrottled (the end of the
    current window), or None when it is under the limit (or the throttle is off, or the
    cache is down: fail open, see above)."""
    limit, window = throttle_limits()
    current = _throttle_window(request, window) if limit else None
    if current is None:
        return None
    key, ends = current
    try:
        failures = int(cache.get(key) or 0)
    except Exception:
        logger.warning("login throttle unavailable: the cache did not answer", exc_info=True)
        return None
    if failures < limit:
        return None
    return max(1, math.ceil(ends - time.time()))


@receiver(user_login_failed, dispatch_uid="certportal.auth.count_login_failure")
def count_login_failure(
    sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Every failed authenticate() with a request counts, whichever page made it (this login
    page, the admin's); an attempt at a locked username counts too."""
    record_login_failure(request)


# --- Per-address limit of a public form (the program application) -------------------------


def address_limit_retry_after(
    request: Any, *, prefix: str, limit: int, window_minutes: int, count: bool
) -> int | None:
    """The per-address limit of a public form, in the same clock-aligned windows as the
    sign-in throttle: seconds until the address may post again when it has used up `limit`
    posts in this window, else None (with `count`, this post is counted). Fails open when
    the cache is down, like the sign-in throttle; `limit` 0 switches it off."""
    window = window_minutes * 60
    current = _throttle_window(request, window, prefix) if limit > 0 and window > 0 else None
    if current is None:
        return None
    key, ends = current
    try:
        used = int(cache.get(key) or 0)
        if used >= limit:
            return max(1, math.ceil(ends - time.time()))
        if count:
            cache.add(key, 0, timeout=2 * window)
            cache.incr(key)
    except Exception:  # evicted between add and incr, or the cache is down
        logger.warning("form rate limit unavailable: the cache did not answer", exc_info=True)
    return None
