"""Reference pages for ``manage.py bench`` (mounted only when BENCH_REFERENCE_VIEWS is on).

They give the benchmark its yardsticks, measured in the same run as the real pages: a
constant response through the whole middleware stack, a template rendering 50 rows of a
trivial two-column model, and the stock Django admin changelist of the requests table on
its own AdminSite (no tuning, so the real review queue's work does not help it)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpResponse
from django.shortcuts import render

from certifications.models import CertificationRequest
from devtools.models import BenchRow


def _enabled() -> None:
    if not settings.BENCH_REFERENCE_VIEWS:
        raise Http404("Benchmark reference views are off.")


def constant(request):
    _enabled()
    return HttpResponse("ok\n", content_type="text/plain")


def template50(request):
    _enabled()
    return render(request, "bench/rows.html", {"rows": BenchRow.objects.all()[:50]})


class StockAdminSite(admin.AdminSite):
    site_header = "Stock admin (benchmark peer)"

    def has_permission(self, request):
        return settings.BENCH_REFERENCE_VIEWS and super().has_permission(request)


stock_admin_site = StockAdminSite(name="bench_stock_admin")
# Deliberately untuned: the default ModelAdmin, as a team would get it out of the box.
stock_admin_site.register(CertificationRequest)
