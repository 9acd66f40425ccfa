"""Back-office lists of the automated intake: reports (with their items), overrides, and
the GitHub webhook deliveries as received (view only: written by reviews.intake and
reviews.webhooks)."""

from __future__ import annotations

from django.contrib import admin

from certportal.admin import StaffModelAdmin
from reviews.models import IntakeOverride, IntakeReport, IntakeReportItem, WebhookDelivery


class IntakeReportItemInline(admin.TabularInline):
    model = IntakeReportItem
    fields = ("rule_id", "guideline_code", "severity", "outcome", "path", "line", "excerpt")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IntakeReport)
class IntakeReportAdmin(StaffModelAdmin):
    list_display = (
        "integration",
        "short_commit",
        "version",
        "status",
        "repo_private",
        "files_total",
        "files_read",
        "github_calls",
        "finished_at",
    )
    list_filter = ("status", "limited", "repo_private")
    list_select_related = ("integration",)
    search_fields = ("integration__name", "commit_sha")
    inlines = [IntakeReportItemInline]
    show_full_result_count = False

    @admin.display(description="Commit")
    def short_commit(self, report: IntakeReport) -> str:
        return report.commit_sha[:12]


@admin.register(IntakeOverride)
class IntakeOverrideAdmin(StaffModelAdmin):
    list_display = ("at", "request", "actor", "reason")
    list_select_related = ("request__integration", "actor")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(StaffModelAdmin):
    """Every GitHub webhook delivery received, newest first, and what was done with it."""

    list_display = ("received_at", "event", "repository_full_name", "status", "outcome")
    list_filter = ("event", "status")
    list_select_related = ("integration",)
    search_fields = ("delivery_id", "repository_full_name", "head_sha")
    show_full_result_count = False


@admin.register(IntakeReportItem)
class IntakeReportItemAdmin(StaffModelAdmin):
    """Every item of every report, to find (say) each repository a rule fired on."""

    list_display = ("rule_id", "guideline_code", "severity", "outcome", "path", "line", "report")
    list_filter = ("severity", "outcome", "guideline_code")
    list_select_related = ("report__integration",)
    search_fields = ("rule_id", "path", "report__integration__name")
    show_full_result_count = False
