"""Sign-in hardening: the login view and the staff second-factor middleware.

Vendor staff (reviewers, partner managers, support agents, superusers) must verify a TOTP
code (django-otp) in the current session before any page under /admin/ or /manage/.
Partner users may opt in; once they have a confirmed authenticator the login asks for a
code before any signed-in page. `settings.STAFF_REQUIRE_2FA` is always on with DEBUG off;
the local demo may switch it off.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.plugins.otp_totp.models import TOTPDevice

from certportal import roles

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
    if target and url_has_allowed_host_and_scheme(
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

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        if staff_must_verify(user) or has_confirmed_device(user):
            self.request.session[OTP_REQUIRED_SESSION_KEY] = True
            return otp_redirect(user, self.get_success_url())
        return response


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


def lockout_response(request, original_response=None, credentials=None):
    """django-axes lockout page: says the account is locked and for how long."""
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = int(cooloff.total_seconds() // 60) if cooloff else None
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    return render(
        request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )
