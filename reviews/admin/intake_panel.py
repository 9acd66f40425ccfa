"""The intake report on the reviewers' request page: the panel's actions (run the check,
turn an item into a finding in one click, pass intake over blockers with a reason).

A mixin of the CertificationRequest admin beside `RequestPageMixin`; the panel itself is
the include `admin/reviews/intake/_panel.html`, drawn from
`reviews.intake.selectors.intake_panel` while the request is at intake. Every write calls a
service: `reviews.intake.services` or `certifications.services.request_transition`."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse

from certifications import services as cert_services
from certifications.models import NOTE_MAX_LENGTH, CertificationRequest
from certportal.errors import ProgramError
from reviews.intake import selectors as intake_selectors
from reviews.intake import services as intake
from reviews.models import IntakeReportItem


class OverrideForm(forms.Form):
    reason = forms.CharField(max_length=NOTE_MAX_LENGTH, strip=True)


def intake_context(obj: CertificationRequest) -> dict:
    """The request page's context for the panel: the report only while at intake (its
    queries are spent only there), plus the override form."""
    if obj.state not in intake_selectors.REPORT_STATES:
        return {"intake": None}
    return {"intake": intake_selectors.intake_panel(request=obj), "override_form": OverrideForm()}


class IntakePanelMixin:
    """URLs the intake panel posts to; `_get_request` and `_change_url` come from
    RequestPageMixin (same admin class)."""

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        own = [
            path("<int:pk>/intake/run/", wrap(self.intake_run_view), name="review_intake_run"),
            path(
                "<int:pk>/intake/items/<int:item_pk>/finding/",
                wrap(self.intake_finding_view),
                name="review_intake_finding",
            ),
            path(
                "<int:pk>/intake/override/",
                wrap(self.intake_override_view),
                name="review_intake_override",
            ),
        ]
        return own + super().get_urls()

    def _panel_url(self, obj: CertificationRequest) -> str:
        return (
            reverse("admin:certifications_certificationrequest_change", args=[obj.pk]) + "#intake"
        )

    def intake_run_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self._get_request(request, pk)
        if request.method == "POST":
            try:
                intake.intake_report_rerun(request=obj, actor=request.user)
            except ProgramError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, "The intake check is queued.", messages.SUCCESS)
        return HttpResponseRedirect(self._panel_url(obj))

    def intake_finding_view(self, request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
        obj = self._get_request(request, pk)
        if request.method != "POST":
            return HttpResponseRedirect(self._panel_url(obj))
        report = intake_selectors.intake_report_for(request=obj)
        item = get_object_or_404(
            IntakeReportItem.objects.select_related("report").filter(report=report), pk=item_pk
        )
        try:
            finding = intake.intake_item_to_finding(item=item, request=obj, actor=request.user)
        except ProgramError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(self._panel_url(obj))
        self.message_user(request, f"Finding recorded: {finding.title}", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(obj) + "#findings")

    def intake_override_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self._get_request(request, pk)
        if request.method != "POST":
            return HttpResponseRedirect(self._panel_url(obj))
        form = OverrideForm(request.POST)
        if not form.is_valid():
            self.message_user(
                request, "Give the reason for passing intake over the blockers.", messages.ERROR
            )
            return HttpResponseRedirect(self._panel_url(obj))
        try:
            cert_services.request_transition(
                request=obj,
                name="intake_ok",
                actor=request.user,
                override_reason=form.cleaned_data["reason"],
            )
        except ProgramError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(self._panel_url(obj))
        self.message_user(
            request, "Intake passed over the blockers; the reason is logged.", messages.SUCCESS
        )
        return HttpResponseRedirect(self._change_url(obj))
