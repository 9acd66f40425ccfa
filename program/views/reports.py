"""Partner managers' reports: metrics, CSV exports and the audit of credential reveals."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from certifications import selectors as cert_selectors
from certportal.pagecache import cached_view
from program import exports, forms
from program.views.partners import PER_PAGE, manager_required
from reviews import metrics

# --- Metrics and exports ---------------------------------------------------------------------


@require_GET
@cached_view(
    "manage-metrics", "staff"
)  # a stored copy exists only for someone who passed the check
@manager_required
def metrics_view(request):
    return render(request, "manage/metrics.html", {**metrics.summary(), "nav_section": "manage"})


@require_GET
@manager_required
def export_partners(request):
    return exports.export_partners()


@require_GET
@manager_required
def export_agreements(request):
    return exports.export_agreements()


@require_GET
@manager_required
def export_certifications(request):
    form = forms.CertificationExportForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "manage/export_error.html",
            {"form": form, "nav_section": "manage"},
            status=400,
        )
    return exports.export_certifications(
        start=form.cleaned_data["start"], end=form.cleaned_data["end"]
    )


# --- Credential reveals (audit) --------------------------------------------------------------


@require_GET
@manager_required
def credential_reveals(request):
    """Every reveal of a test-account password: who, when, which environment, from where."""
    qs = cert_selectors.credential_reveals()
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "manage/reveals.html",
        {"page": page, "rows": page.object_list, "nav_section": "manage"},
    )
