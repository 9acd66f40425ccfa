"""Partner managers' reports: metrics, CSV exports and the audit of credential reveals."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from certifications import selectors as cert_selectors
from certportal.pagecache import cached_view
from program import exports, forms, metrics_page
from program.views.partners import PER_PAGE, manager_required
from reviews import metrics

# --- Metrics and exports ---------------------------------------------------------------------


def _metrics_scope(request) -> tuple[forms.MetricsFilterForm, metrics.Scope]:
    form = forms.MetricsFilterForm(request.GET or None)
    if not form.is_valid():
        return form, metrics.ALL
    d = form.cleaned_data
    return form, metrics.Scope(start=d["start"], end=d["end"], area=d["area"] or "")


@require_GET
# A stored copy exists only for someone who passed the check; it shows the stored summary.
@cached_view("manage-metrics", scopes=lambda request: metrics.page_scopes())
@manager_required
def metrics_view(request):
    form, scope = _metrics_scope(request)
    data = metrics.summary(scope)
    query = request.GET.urlencode() if form.is_bound and form.is_valid() else ""
    return render(
        request,
        "manage/metrics.html",
        {
            "computed_at": data["computed_at"],
            "panels_html": _panels_html(data, query),
            "form": form,
            "query": query,
            "nav_section": "manage",
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _panels_html(data: dict, query: str) -> str:
    """The panels' charts and tables, drawn once per stored summary and filter: they are
    the same for every manager until the next refresh (the figures carry no per-user
    data), and drawing them is most of the page's cost."""
    computed_at = data["computed_at"]
    key = None
    if computed_at is not None:
        digest = hashlib.sha256(f"{computed_at.isoformat()}|{query}".encode()).hexdigest()
        key = f"certportal:metrics-panels:v1:{digest}"
        html = cache.get(key)
        if html is not None:
            return mark_safe(html)  # noqa: S308 - our own template's output, stored as is
    html = render_to_string(
        "manage/_metrics_panels.html", {"panels": metrics_page.panels(data), "query": query}
    )
    if key is not None:
        cache.set(key, str(html), timeout=max(settings.METRICS_SUMMARY_SECONDS, 1))
    return mark_safe(html)  # noqa: S308 - rendered by the template engine (autoescaped)


@require_GET
@manager_required
def metrics_csv(request, slug):
    _form, scope = _metrics_scope(request)
    panel = metrics_page.panel(metrics.summary(scope), slug)
    if panel is None:
        raise Http404("No such figure")
    return exports.stream_csv(f"metrics-{slug}.csv", panel.columns, panel.rows)


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
