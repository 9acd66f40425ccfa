"""Back-office lists of the reviewers' workspace records (issue 15). Canned responses are
the reviewers' own reference text: reviewers and partner managers add and edit them here.
The rest is read-only (written by reviews.services)."""

from __future__ import annotations

from django.contrib import admin

from certportal import roles
from certportal.admin import StaffModelAdmin
from reviews.models import CannedResponse, CompareCache, ReviewerProfile, ReviewRound


@admin.register(CannedResponse)
class CannedResponseAdmin(StaffModelAdmin):
    list_display = ("title", "guideline", "active")
    list_filter = ("active",)
    list_select_related = ("guideline",)
    search_fields = ("title", "body")
    fields = ("guideline", "title", "body", "active")

    def _editor(self, request) -> bool:
        return roles.is_reviewer(request.user) or roles.is_partner_manager(request.user)

    def has_add_permission(self, request) -> bool:
        return self._editor(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._editor(request)


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(StaffModelAdmin):
    """Edited on the reviewer settings page (capacity by partner managers)."""

    list_display = ("user", "capacity", "away_from", "away_until")
    list_select_related = ("user",)


@admin.register(ReviewRound)
class ReviewRoundAdmin(StaffModelAdmin):
    list_display = ("request", "number", "commit_sha", "transition", "started_at")
    list_select_related = ("request__integration",)


@admin.register(CompareCache)
class CompareCacheAdmin(StaffModelAdmin):
    list_display = ("repo", "base", "head", "ok", "fetched_at")
    search_fields = ("repo",)
