from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from certportal import auth, health, otp_views, views

admin.site.site_header = "Certification back office"
admin.site.site_title = "Certification back office"
admin.site.index_title = "Review and program administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", health.healthz, name="healthz"),
    path("accounts/login/", auth.LoginView.as_view(), name="login"),
    path("accounts/otp/verify/", otp_views.otp_verify, name="otp_verify"),
    path("accounts/otp/setup/", otp_views.otp_setup, name="otp_setup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    # portal-urls (partner portal: /portal/ and /verify/)
    path("", include("certportal.portal_urls")),
    # manage-urls (partner managers: /manage/)
    path("manage/", include("certportal.manage_urls")),
    path("portal/", include("support.urls")),
    path("manage/", include("support.staff_urls")),
    path("notifications/", include("certportal.notification_urls")),
]

if settings.BENCH_REFERENCE_VIEWS:  # benchmark yardsticks; never on by default
    urlpatterns.append(path("", include("certportal.bench_urls")))

handler404 = "certportal.views.page_not_found"
handler500 = "certportal.views.server_error"
handler403 = "certportal.views.permission_denied"
