"""Two library parts of the back office that answered hostile input with a 500 (issue 20),
made to answer 4xx, for every admin of the project. Imported by `certportal.admin`, which
Django's autodiscovery loads after django-otp's admin (INSTALLED_APPS order), so the device
admin can be replaced here.

- django-otp's TOTP device admin: its `config/` and `qrcode/` views fetch the device with
  `objects.get()` before checking anything, so a missing id was a 500. The replacement
  checks the permission first and answers 404 for a missing id. (Staff set up their own
  devices through /accounts/otp/setup/; these views stay for superusers.)
- Django's changelist date hierarchy: `?<field>__year=99999999999999999999` (OverflowError)
  and `?<field>__year=9999` (year 10000 is out of range, raised outside Django's `try`)
  were 500s on every admin with a `date_hierarchy` (the audit trail, agreements, django-axes'
  logs). Django ticket #37357, fixed upstream by django/django#21995 and not in 5.2.x: the
  same fix is applied here (both errors become IncorrectLookupParameters, which the
  changelist answers with its "?e=1" page). Remove that part once the project runs a Django
  that has the fix.
- The changelist's search and filters with a NUL character (PostgreSQL only) are refused
  the same way; that part stays."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin as LibraryTOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

_library_get_filters = ChangeList.get_filters


def _get_filters(self, request):
    # Not Django's fix: PostgreSQL refuses NUL in a query ("A string literal cannot contain
    # NUL"), and the changelist builds its search and filters from the query string as it
    # comes, so `?q=%00` was a 500 on every changelist. Refused the same way as the year.
    if any("\x00" in value for _, values in request.GET.lists() for value in values):
        raise IncorrectLookupParameters("A NUL character in the query string.")
    try:
        return _library_get_filters(self, request)
    except (OverflowError, ValueError) as exc:  # Django #37357: an out-of-range year
        raise IncorrectLookupParameters(exc) from exc


ChangeList.get_filters = _get_filters


class TOTPDeviceAdmin(LibraryTOTPDeviceAdmin):
    """django-otp's device admin; its two extra views refuse before they fetch."""

    def _device_view(self, view, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            return view(request, pk)
        except TOTPDevice.DoesNotExist as exc:
            raise Http404("No such device.") from exc

    def config_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._device_view(super().config_view, request, pk)

    def qrcode_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._device_view(super().qrcode_view, request, pk)


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, TOTPDeviceAdmin)
