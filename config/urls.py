"""Root URLs: the one place that mounts every interface app (and devtools, when installed)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from certportal import auth, health
from portal.views import accounts, otp
from reviews import views as review_views
from reviews.admin import workspace as reviewer_workspace
from reviews.admin.profile import staff_profile_view

urlpatterns = [
    path("", accounts.home, name="home"),
    path("healthz/", health.healthz, name="healthz"),
    path("accounts/login/", auth.LoginView.as_view(), name="login"),
    path("accounts/otp/verify/", otp.otp_verify, name="otp_verify"),
    path("accounts/otp/setup/", otp.otp_setup, name="otp_setup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/profile/", staff_profile_view, name="staff_profile"),
    path("admin/", reviewer_workspace.landing, name="backoffice_landing"),  # reviewers: the queue
    path("admin/", admin.site.urls),
    # portal-urls (partner portal: /portal/ and /verify/)
    path("", include("portal.urls")),
    # manage-urls (partner managers: /manage/)
    path("manage/", include("program.urls")),
    path("portal/", include("portal.support_urls")),
    path("manage/", include("program.desk_urls")),
    path("notifications/", include("portal.notification_urls")),
    path("github/webhook/", review_views.github_webhook, name="github_webhook"),
    # api-urls (the partner and staff HTTP API, its schema and docs: /api/v1/)
    path("api/v1/", include("api.urls")),
]

# Benchmark yardsticks: devtools is installed only with DEBUG or BENCH_REFERENCE_VIEWS, and
# the URLs are mounted only with BENCH_REFERENCE_VIEWS (never on by default).
if settings.BENCH_REFERENCE_VIEWS and "devtools" in settings.INSTALLED_APPS:
    urlpatterns.append(path("", include("devtools.urls")))

handler404 = "portal.views.accounts.page_not_found"
handler500 = "portal.views.accounts.server_error"
handler403 = "portal.views.accounts.permission_denied"
