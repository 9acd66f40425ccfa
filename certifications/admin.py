"""Certification records in the back office. The review queue and the request page
(CertificationRequest) live in the reviews/admin package, where the review work happens."""

from __future__ import annotations

from django.contrib import admin

from certifications.models import (
    Certificate,
    CredentialReveal,
    Document,
    Guideline,
    Integration,
    Listing,
    PartnerOverviewKeys,
    SealApproval,
    TestEnvironment,
    TransitionLog,
)
from certportal.admin import StaffModelAdmin


@admin.register(Integration)
class IntegrationAdmin(StaffModelAdmin):
    list_display = ("name", "partner", "product_area", "github_repo", "created_at")
    list_filter = ("product_area",)
    list_select_related = ("partner",)
    search_fields = ("name", "partner__name", "github_repo")


@admin.register(Guideline)
class GuidelineAdmin(StaffModelAdmin):
    superuser_editable = True
    superuser_addable = True
    list_display = ("code", "title", "severity", "order", "active")
    list_filter = ("severity", "active")
    search_fields = ("code", "title")
    fields = ("code", "title", "description", "severity", "order", "active")


@admin.register(TransitionLog)
class TransitionLogAdmin(StaffModelAdmin):
    list_display = ("at", "request", "transition", "from_state", "to_state", "actor")
    list_filter = ("transition", "to_state")
    list_select_related = ("request__integration", "actor")
    search_fields = ("request__integration__name", "request__version", "comment")
    show_full_result_count = False


@admin.register(Document)
class DocumentAdmin(StaffModelAdmin):
    list_display = ("original_name", "request", "doc_type", "version", "size", "uploaded_at")
    list_filter = ("doc_type",)
    list_select_related = ("request__integration",)
    search_fields = ("original_name", "request__integration__name")
    # The file is downloaded through the review page's checked download view.
    fields = (
        "request",
        "doc_type",
        "version",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "carried_over",
        "uploaded_by",
        "uploaded_at",
    )
    readonly_fields = ("uploaded_at",)


@admin.register(TestEnvironment)
class TestEnvironmentAdmin(StaffModelAdmin):
    list_display = ("request", "kind", "url", "username", "created_at")
    list_filter = ("kind",)
    list_select_related = ("request__integration",)
    search_fields = ("request__integration__name", "url")
    # Never the password: reviewers reveal it on the request page, which logs the reveal.
    fields = ("request", "kind", "url", "username", "notes", "created_at")
    readonly_fields = ("created_at",)
    exclude = ("password",)


@admin.register(CredentialReveal)
class CredentialRevealAdmin(StaffModelAdmin):
    list_display = ("at", "user", "environment", "ip_address")
    list_select_related = ("user", "environment__request__integration")
    search_fields = ("user__username",)
    fields = ("environment", "user", "at", "ip_address")
    readonly_fields = ("at",)


@admin.register(Certificate)
class CertificateAdmin(StaffModelAdmin):
    list_display = ("verification_code", "request", "version", "issued_at", "valid_until")
    list_select_related = ("request__integration",)
    search_fields = ("verification_code", "request__integration__name", "version")


@admin.register(Listing)
class ListingAdmin(StaffModelAdmin):
    list_display = ("title", "integration", "certificate", "published_at")
    list_select_related = ("integration", "certificate")
    search_fields = ("title", "integration__name")


@admin.register(SealApproval)
class SealApprovalAdmin(StaffModelAdmin):
    """The two-person rule's record (read-only: written by certifications.services.approvals)."""

    list_display = ("request", "action", "requested_by", "decided_by", "approved", "used_at")
    list_filter = ("action", "approved")
    list_select_related = ("request__integration", "requested_by", "decided_by")


@admin.register(PartnerOverviewKeys)
class PartnerOverviewKeysAdmin(StaffModelAdmin):
    """Read-only: derived rows, refreshed by certifications.overview.overview_keys_refresh."""

    list_display = ("partner", "agreement_state", "renewal_on", "outstanding", "open_requests")
    list_display += ("certs_this_term", "refreshed_at")
    list_select_related = ("partner",)
    readonly_fields = ("partner", "agreement_id", "agreement_state", "renewal_on", "outstanding")
    readonly_fields += ("open_requests", "certs_this_term", "refreshed_at")
    show_full_result_count = False
