"""Read-only back-office views of support records. Tickets and meetings change only through
the support desk pages (support.services); the admin never writes a state."""

from django.contrib import admin

from support.models import DeploymentCycle, SupportMeeting, Ticket, TicketEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor", "kind", "from_state", "to_state", "internal", "body")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("pk", "subject", "partner", "integration", "severity", "state", "created_at")
    list_filter = ("state", "severity")
    search_fields = ("subject", "partner__name", "integration__name", "customer_name")
    list_select_related = ("partner", "integration")
    inlines = [TicketEventInline]


@admin.register(SupportMeeting)
class SupportMeetingAdmin(ReadOnlyAdmin):
    list_display = ("request", "state", "scheduled_for", "held_at")
    list_filter = ("state",)
    list_select_related = ("request__integration",)


@admin.register(DeploymentCycle)
class DeploymentCycleAdmin(ReadOnlyAdmin):
    list_display = ("deploy_on", "deployed_at", "deployed_by")
