"""The back office's admin site: Django's, except that the model index every page's
context carries (``available_apps``, only drawn by the navigation sidebar and the index)
is built when a template reads it. Building it walks every registered model's
permissions, about as much CPU as a whole 50-row page, and the reviewers' queue,
workspace and request pages switch the sidebar off."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


class BackOfficeSite(AdminSite):
    site_header = "Certification back office"
    site_title = "Certification back office"
    index_title = "Review and program administration"

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> Any:
        if app_label is not None:  # one app's index: drawn at once, as Django does
            return super().get_app_list(request, app_label)
        return SimpleLazyObject(partial(super().get_app_list, request))


class BackOfficeAdminConfig(AdminConfig):
    """Installed in place of ``django.contrib.admin`` so ``admin.site`` is BackOfficeSite."""

    default_site = "certportal.admin_site.BackOfficeSite"
