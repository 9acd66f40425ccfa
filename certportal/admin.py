"""The back office's base admin class and the shared records (audit trail, outbox, profiles).

Staff roles are groups without Django model permissions, so access is decided here by role:
vendor staff may view; records with a state or an audit meaning are never added, edited or
deleted through the admin (state changes go through services and their buttons)."""

from __future__ import annotations

from django.contrib import admin

from certportal import admin_fixes, roles  # noqa: F401  (admin_fixes: see its docstring)
from certportal.models import AuditEvent, Notification, UserProfile
from certportal.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class StaffModelAdmin(admin.ModelAdmin):
    """View-only for vendor staff; `superuser_editable` models may be edited by superusers
    (never their state fields: those stay in readonly_fields)."""

    superuser_editable = False
    superuser_addable = False

    def has_module_permission(self, request) -> bool:
        return roles.is_vendor_staff(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return roles.is_vendor_staff(request.user)

    def has_add_permission(self, request) -> bool:
        return self.superuser_addable and request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return self.superuser_editable and request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(StaffModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_id", "from_state", "to_state")
    list_filter = ("action", "object_type")
    list_select_related = ("actor",)
    search_fields = ("action", "object_type", "comment")
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(StaffModelAdmin):
    list_display = ("created_at", "recipient", "event", "subject", "state", "attempts")
    list_filter = ("state", "event", "critical")
    list_select_related = ("recipient",)
    search_fields = ("subject", "recipient__username", "recipient__email")
    readonly_fields = ("state",)
    show_full_result_count = False


@admin.register(UserProfile)
class UserProfileAdmin(StaffModelAdmin):
    superuser_editable = True
    list_display = ("user", "github_login", "email_noncritical")
    list_select_related = ("user",)
    search_fields = ("user__username", "github_login")
    fields = ("user", "github_login", "email_noncritical")
    readonly_fields = ("user",)


# --- Partners' outgoing webhooks (issue 17): what failed and why; never the secret ---------


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
