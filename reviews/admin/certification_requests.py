"""The CertificationRequest admin, registered: the review queue (its changelist) and the
request page (its change page) over one queryset.

Both halves show only what `certifications.selectors.requests_for` lets the user see, so
a request outside a reviewer's scope is missing from the queue and a 404 on the page."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from certifications import selectors as cert_selectors
from certifications.models import CertificationRequest
from certportal.admin import StaffModelAdmin
from reviews.admin.intake_panel import IntakePanelMixin
from reviews.admin.queue import ReviewQueueMixin
from reviews.admin.review_page import RequestPageMixin
from reviews.admin.workspace import WorkspaceMixin
from reviews.admin.workspace_actions import WorkspaceActionsMixin


@admin.register(CertificationRequest)
class CertificationRequestAdmin(
    IntakePanelMixin,
    WorkspaceMixin,
    WorkspaceActionsMixin,
    RequestPageMixin,
    ReviewQueueMixin,
    StaffModelAdmin,
):
    def get_queryset(self, request: HttpRequest) -> QuerySet[CertificationRequest]:
        return cert_selectors.requests_for(user=request.user)
