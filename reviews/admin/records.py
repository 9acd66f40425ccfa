"""Plain changelists of the review records: findings, their replies, and GitHub access
grants. Findings are worked on the request page; these lists are for looking across
requests."""

from __future__ import annotations

from django.contrib import admin
from django.utils.text import Truncator

from certportal.admin import StaffModelAdmin
from reviews.models import Finding, FindingReply, RepoAccessGrant


@admin.register(Finding)
class FindingAdmin(StaffModelAdmin):
    list_display = ("title", "request", "stage", "category", "severity", "status", "created_at")
    list_filter = ("stage", "category", "severity", "status")
    list_select_related = ("request__integration",)
    search_fields = ("title", "request__integration__name")


@admin.register(FindingReply)
class FindingReplyAdmin(StaffModelAdmin):
    """Every reply, newest first; the request page links here (`?finding=<id>`) for a
    thread longer than it shows."""

    list_display = ("finding", "author", "at", "kind", "internal", "excerpt")
    list_filter = ("kind", "internal")
    list_select_related = ("finding", "author")
    ordering = ("-at", "-id")

    @admin.display(description="Reply")
    def excerpt(self, reply: FindingReply) -> str:
        return Truncator(reply.body).chars(200)


@admin.register(RepoAccessGrant)
class RepoAccessGrantAdmin(StaffModelAdmin):
    list_display = ("integration", "github_login", "state", "permission", "last_checked_at")
    list_filter = ("state", "source")
    list_select_related = ("integration",)
    search_fields = ("integration__name", "github_login")
    # Written only by reviews.access (the GitHub sync).
    readonly_fields = ("state",)
