"""Back-office lists of the partners' outgoing webhooks (issue 17): endpoints, deliveries and
each attempt, view only, so staff see what failed and why. The signing secret is never a
field or a column."""

from __future__ import annotations

from django.contrib import admin

from certportal.admin import StaffModelAdmin
from certportal.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(StaffModelAdmin):
    list_display = ("url", "partner_id", "active", "paused_at", "failure_streak", "created_at")
    list_filter = ("active",)
    search_fields = ("url", "description")
    exclude = ("secret",)
    show_full_result_count = False


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("at", "status", "latency_ms", "error", "response_excerpt")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(StaffModelAdmin):
    list_display = ("created_at", "event", "endpoint", "state", "attempts", "last_status")
    list_filter = ("state", "event")
    list_select_related = ("endpoint",)
    readonly_fields = ("state",)
    inlines = [WebhookAttemptInline]
    show_full_result_count = False


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(StaffModelAdmin):
    list_display = ("at", "delivery", "status", "latency_ms", "error")
    list_select_related = ("delivery",)
    show_full_result_count = False
