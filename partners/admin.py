"""Partners in the back office: read views. Agreement, business-review and standing changes
are made on the partner managers' pages (/manage/), which call partners.services."""

from __future__ import annotations

from django.contrib import admin

from certportal.admin import StaffModelAdmin
from partners import services
from partners.models import (
    Agreement,
    BusinessReview,
    MarketingActivity,
    Membership,
    Partner,
    Payment,
    ProgramApplication,
    QuotaEntry,
    SupportPlan,
)
from partners.tokens import ApiToken


@admin.register(Partner)
class PartnerAdmin(StaffModelAdmin):
    superuser_editable = True
    superuser_addable = True
    list_display = ("name", "slug", "standing", "standing_since", "created_at")
    list_filter = ("standing",)
    search_fields = ("name", "slug")
    fields = ("name", "slug", "website", "standing", "standing_since", "standing_note")
    # Standing is changed with partners.services.partner_set_standing (audited).
    readonly_fields = ("slug", "standing", "standing_since", "standing_note")

    def get_fields(self, request, obj=None):
        # Adding: the name, website and first standing; the slug is derived by the service.
        return ("name", "website", "standing") if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new organisation goes through the service (unique slug, audit row); the admin
        # then logs the addition against the row the service created.
        created = services.partner_create(
            name=form.cleaned_data["name"],
            website=form.cleaned_data.get("website", ""),
            standing=form.cleaned_data["standing"],
            actor=request.user,
        )
        obj.pk, obj.slug, obj.created_at = created.pk, created.slug, created.created_at
        obj._state.adding = False
        obj._state.db = created._state.db


@admin.register(Membership)
class MembershipAdmin(StaffModelAdmin):
    list_display = ("user", "partner", "role", "created_at")
    list_filter = ("role",)
    list_select_related = ("user", "partner")
    search_fields = ("user__username", "user__email", "partner__name")


@admin.register(BusinessReview)
class BusinessReviewAdmin(StaffModelAdmin):
    list_display = ("partner", "state", "submitted_at", "decided_at", "decided_by")
    list_filter = ("state",)
    list_select_related = ("partner", "decided_by")
    search_fields = ("partner__name",)
    readonly_fields = ("state",)


@admin.register(SupportPlan)
class SupportPlanAdmin(StaffModelAdmin):
    list_display = ("partner", "partner_contact_name", "partner_contact_email", "updated_at")
    list_select_related = ("partner",)
    search_fields = ("partner__name", "partner_contact_name")


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ("amount", "paid_on", "reference", "recorded_by", "recorded_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Agreement)
class AgreementAdmin(StaffModelAdmin):
    list_display = ("partner", "term_start", "term_end", "state", "fee", "currency")
    list_filter = ("state",)
    list_select_related = ("partner",)
    search_fields = ("partner__name", "legal_name", "purchase_order")
    date_hierarchy = "term_end"
    readonly_fields = ("state",)
    inlines = [PaymentInline]


@admin.register(Payment)
class PaymentAdmin(StaffModelAdmin):
    list_display = ("agreement", "amount", "paid_on", "reference", "recorded_by")
    list_select_related = ("agreement__partner", "recorded_by")
    search_fields = ("reference", "agreement__partner__name")


@admin.register(MarketingActivity)
class MarketingActivityAdmin(StaffModelAdmin):
    list_display = ("title", "agreement", "amount", "happened_on", "recorded_by")
    list_select_related = ("agreement__partner", "recorded_by")
    search_fields = ("title", "agreement__partner__name")


@admin.register(QuotaEntry)
class QuotaEntryAdmin(StaffModelAdmin):
    list_display = ("at", "agreement", "quota_kind", "entry_kind", "units", "request_id", "actor")
    list_filter = ("quota_kind", "entry_kind")
    list_select_related = ("agreement__partner", "actor")
    search_fields = ("agreement__partner__name", "reason")


@admin.register(ProgramApplication)
class ProgramApplicationAdmin(StaffModelAdmin):
    """Read-only: applications are decided on /manage/applications/ (partners.services)."""

    list_display = ("created_at", "company", "contact_name", "state", "partner", "decided_by")
    list_filter = ("state",)
    list_select_related = ("partner", "decided_by")
    search_fields = ("company", "contact_name", "contact_email")
    readonly_fields = ("state",)


@admin.register(ApiToken)
class ApiTokenAdmin(StaffModelAdmin):
    """Who holds API access, with which scope, and when it was last used (the token itself
    is never stored; its digest is not shown either)."""

    list_display = (
        "name",
        "partner",
        "user",
        "scope",
        "prefix",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("scope",)
    list_select_related = ("partner", "user")
    search_fields = ("name", "prefix", "partner__name")
    exclude = ("digest",)
    show_full_result_count = False
