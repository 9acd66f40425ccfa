"""The metrics summary's tables in the back office: read-only, for looking (the summary is
kept by reviews.metrics.store and rebuilt with ``manage.py metrics_rebuild``)."""

from django.contrib import admin

from certportal.admin import StaffModelAdmin
from reviews.models import MetricsCell, MetricsChange, MetricsFacts, MetricsState


@admin.register(MetricsCell)
class MetricsCellAdmin(StaffModelAdmin):
    list_display = ("metric", "area", "month", "kind", "key", "n", "total_ms")
    list_filter = ("metric",)
    show_full_result_count = False


@admin.register(MetricsFacts)
class MetricsFactsAdmin(StaffModelAdmin):
    list_display = ("request_id", "area")
    show_full_result_count = False


@admin.register(MetricsChange)
class MetricsChangeAdmin(StaffModelAdmin):
    list_display = ("id", "request_id")
    show_full_result_count = False


@admin.register(MetricsState)
class MetricsStateAdmin(StaffModelAdmin):
    list_display = ("id", "built_at", "refreshed_at")
