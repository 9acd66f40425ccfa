"""The reviewers' workspace in the back office: the queue (their landing page), claiming,
bulk (re)assignment with a reason, and the reviewer settings page (out of office, declared
conflicts; capacity for partner managers).

The queue is drawn from one template per row, not the changelist's per-cell machinery
(issue 19 measured that as most of the old queue's cost), inside the admin site: its
chrome (`each_context`), its login and staff check (`admin_view`), its URL names. Every
write calls `reviews.services`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from certifications import page_scopes
from certifications.enums import ProductArea, RequestKind
from certifications.models import NOTE_MAX_LENGTH
from certportal import pagecache, roles
from certportal.errors import ProgramError
from certportal.rows import render_rows
from partners.forms import row_id
from partners.models import Partner
from reviews import services as review_services
from reviews import workspace
from reviews.admin.common import SLA_BADGE, prime_permission_cache, reviewers
from reviews.models import ReviewerProfile
from reviews.services.assignment import assignment_candidates, reviewer_loads


def can_use_queue(user: Any) -> bool:
    return roles.is_reviewer(user) or roles.is_partner_manager(user)


class BulkAssignForm(forms.Form):
    reviewer = forms.ModelChoiceField(queryset=None, label="Assign the selected to")
    reason = forms.CharField(
        label="Reason", max_length=NOTE_MAX_LENGTH, widget=forms.TextInput(attrs={"size": 40})
    )

    def __init__(self, *args, reviewer_list=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers()
        if reviewer_list is not None:  # the page already loaded them: no second query
            self.fields["reviewer"].choices = [("", "---------")] + [
                (u.pk, u.get_full_name() or u.username) for u in reviewer_list
            ]


class ReviewerSettingsForm(forms.Form):
    away_from = forms.DateField(
        label="Out of office from",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    away_until = forms.DateField(
        label="Out of office until (inclusive)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    conflicts = forms.ModelMultipleChoiceField(
        queryset=Partner.objects.order_by("name"),
        required=False,
        label="Partners I have a conflict of interest with",
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="You are never assigned their requests; declaring one unassigns you from "
        "their open requests.",
    )
    capacity = forms.IntegerField(
        label="Capacity (open requests at once; 0: no automatic assignment)",
        min_value=0,
        max_value=100,
        required=False,
    )


def _pages(total: int, current: int) -> list[int]:
    last = max((total + workspace.PER_PAGE - 1) // workspace.PER_PAGE, 1)
    return list(range(1, last + 1))


class WorkspaceMixin:
    """The queue, claim, bulk assignment and reviewer settings views of the
    CertificationRequest admin."""

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        own = [
            path("queue/", wrap(self.queue_view), name="review_queue"),
            path("queue/claim/<int:pk>/", wrap(self.queue_claim_view), name="review_queue_claim"),
            path("queue/assign/", wrap(self.queue_assign_view), name="review_queue_assign"),
            path("reviewers/", wrap(self.reviewer_settings_view), name="reviewer_settings"),
            path(
                "reviewers/<int:user_pk>/",
                wrap(self.reviewer_settings_view),
                name="reviewer_settings_of",
            ),
        ]
        return own + super().get_urls()

    # -- the queue ------------------------------------------------------------------------

    def queue_view(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET"])

        # Served from the page cache while nothing it shows has changed (a stored copy
        # exists only for someone who passed the role check; it is keyed by person and
        # full path, so "Mine" is never someone else's).
        def draw() -> HttpResponse:
            prime_permission_cache(request.user)
            if not can_use_queue(request.user):
                raise PermissionDenied
            return self._draw_queue(request)

        return pagecache.cached_page(
            request,
            name="reviewer-queue",
            scopes=page_scopes.workspace_scopes(request.GET.get("tab"), request.user),
            render=draw,
        )

    def _draw_queue(
        self, request: HttpRequest, *, form: BulkAssignForm | None = None, status: int = 200
    ) -> TemplateResponse:
        user = request.user
        reviewer_list = list(reviewers())
        filters = workspace.QueueFilters.from_query(request.GET, {u.pk for u in reviewer_list})
        default_tab = "mine" if roles.is_reviewer(user) else "unassigned"
        tab = request.GET.get("tab", default_tab)
        if tab not in workspace.TAB_KEYS:
            tab = default_tab
        page = row_id(request.GET.get("page", "1")) or 1
        counts = workspace.tab_counts(user, filters)
        shown = min(counts[tab], workspace.COUNT_CAP)  # pages stop at the cap
        last_page = max((shown + workspace.PER_PAGE - 1) // workspace.PER_PAGE, 1)
        page = min(page, last_page)
        rows = workspace.queue_rows(
            user, tab, filters, page=page, can_claim=roles.is_reviewer(user)
        )
        # Two reverses for the page, not two per row.
        change = reverse("admin:certifications_certificationrequest_change", args=[0])
        claim = reverse("admin:review_queue_claim", args=[0])
        for row in rows:
            pk = row.pk
            row.sla_badge = SLA_BADGE[row.sla_status]
            row.change_url = change.replace("/0/", f"/{pk}/", 1)
            row.claim_url = claim.replace("/0/", f"/{pk}/", 1)
        base_query = filters.as_query()
        can_bulk_assign = roles.is_partner_manager(user) or roles.is_reviewer(user)
        tabs = [
            {
                "key": key,
                "label": label,
                "count": counts[key],
                "count_label": (
                    f"{workspace.COUNT_CAP}+"
                    if counts[key] > workspace.COUNT_CAP
                    else str(counts[key])
                ),
                "url": "?" + urlencode({**base_query, "tab": key}),
                "current": key == tab,
            }
            for key, label in workspace.TABS
        ]
        ignored = [
            name
            for name, value in (("area", filters.product_area), ("kind", filters.kind))
            if request.GET.get(name) and not value
        ]
        if request.GET.get("reviewer") and filters.reviewer is None:
            ignored.append("reviewer")
        context = {
            **self.admin_site.each_context(request),
            "title": "Review queue",
            # A work list: no sidebar of every model (a fifth of the page's CPU afresh).
            "is_nav_sidebar_enabled": False,
            "opts": self.model._meta,
            "tabs": tabs,
            "tab": tab,
            "rows": rows,
            "rows_html": render_rows(
                "reviews/queue_rows.html", {"rows": rows, "can_bulk_assign": can_bulk_assign}
            ),
            "sla_badge": SLA_BADGE,
            "filters": filters,
            "area_choices": ProductArea.choices,
            "kind_choices": RequestKind.choices,
            "reviewer_list": reviewer_list,
            "ignored_filters": ignored,
            "page": page,
            "pages": list(range(1, last_page + 1)) if last_page > 1 else [],
            "page_query": urlencode({**base_query, "tab": tab}),
            "return_query": request.GET.urlencode(),
            "bulk_form": form or BulkAssignForm(reviewer_list=reviewer_list),
            "can_bulk_assign": can_bulk_assign,
        }
        return TemplateResponse(request, "admin/reviews/queue.html", context, status=status)

    def _back_to_queue(self, request: HttpRequest) -> HttpResponseRedirect:
        query = request.POST.get("return_query", "")
        url = reverse("admin:review_queue")
        # Only our own query string comes back: rebuild it from the known keys.
        from django.http import QueryDict

        kept = {
            k: v
            for k, v in QueryDict(query).items()
            if k in ("tab", "area", "kind", "reviewer", "page")
        }
        return HttpResponseRedirect(url + ("?" + urlencode(kept) if kept else ""))

    def queue_claim_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        prime_permission_cache(request.user)
        if not roles.is_reviewer(request.user):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            review_services.assignment_set(
                request=obj,
                reviewer=request.user,
                actor=request.user,
                reason=request.POST.get(f"reason_{pk}", "")[:NOTE_MAX_LENGTH],
            )
        except ProgramError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, f"You claimed {obj}.", messages.SUCCESS)
        return self._back_to_queue(request)

    def queue_assign_view(self, request: HttpRequest) -> HttpResponse:
        prime_permission_cache(request.user)
        if not can_use_queue(request.user):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        form = BulkAssignForm(request.POST)
        ids = [i for i in (row_id(v) for v in request.POST.getlist("ids")) if i is not None]
        if not ids:
            self.message_user(request, "Select the requests to assign first.", messages.ERROR)
            return self._back_to_queue(request)
        if not form.is_valid():
            self.message_user(
                request,
                "Nothing was assigned: choose a reviewer and give a reason.",
                messages.ERROR,
            )
            return self._back_to_queue(request)
        chosen = self.get_queryset(request).filter(pk__in=ids[:500]).order_by("pk")
        try:
            done, refused = review_services.assignment_bulk(
                requests=chosen,
                reviewer=form.cleaned_data["reviewer"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ProgramError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return self._back_to_queue(request)
        if done:
            who = form.cleaned_data["reviewer"]
            self.message_user(
                request,
                f"Assigned {done} request{'s' if done != 1 else ''} to "
                f"{who.get_full_name() or who.username}.",
                messages.SUCCESS,
            )
        for line in refused:
            self.message_user(request, line, messages.ERROR)
        return self._back_to_queue(request)

    # -- reviewer settings ------------------------------------------------------------------

    def reviewer_settings_view(self, request: HttpRequest, user_pk: int | None = None):
        prime_permission_cache(request.user)
        actor = request.user
        is_manager = roles.is_partner_manager(actor)
        if not (roles.is_reviewer(actor) or is_manager):
            raise PermissionDenied
        if user_pk is None:
            if not roles.is_reviewer(actor):
                return self._reviewer_overview(request)
            subject = actor
        else:
            if not is_manager and user_pk != actor.pk:
                raise PermissionDenied
            subject = get_object_or_404(reviewers(), pk=user_pk)
        profile = ReviewerProfile.objects.filter(user=subject).first()
        initial = {
            "away_from": profile.away_from if profile else None,
            "away_until": profile.away_until if profile else None,
            "conflicts": list(profile.conflicts.all()) if profile else [],
            "capacity": profile.capacity if profile else 0,
        }
        form = ReviewerSettingsForm(request.POST or None, initial=initial)
        if not is_manager:
            del form.fields["capacity"]
        status = 200
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data
                try:
                    review_services.reviewer_settings_save(
                        reviewer=subject,
                        actor=actor,
                        away_from=data["away_from"],
                        away_until=data["away_until"],
                        conflicts=data["conflicts"],
                        capacity=data.get("capacity") if is_manager else None,
                    )
                except ProgramError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
                    status = exc.status_code
                else:
                    self.message_user(request, "Reviewer settings saved.", messages.SUCCESS)
                    return HttpResponseRedirect(request.path)
            else:
                status = 400
        context = {
            **self.admin_site.each_context(request),
            "title": "Reviewer settings"
            + ("" if subject.pk == actor.pk else f": {subject.get_full_name() or subject}"),
            "opts": self.model._meta,
            "form": form,
            "subject": subject,
            "is_manager": is_manager,
            "overview": self._overview_rows() if is_manager else [],
        }
        return TemplateResponse(
            request, "admin/reviews/reviewer_settings.html", context, status=status
        )

    def _overview_rows(self) -> list[Any]:
        return assignment_candidates(partner_id=0, on=timezone.localdate())

    def _reviewer_overview(self, request: HttpRequest) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Reviewers",
            "opts": self.model._meta,
            "form": None,
            "subject": None,
            "is_manager": True,
            "overview": self._overview_rows(),
        }
        return TemplateResponse(request, "admin/reviews/reviewer_settings.html", context)


def backoffice_landing(request: HttpRequest) -> HttpResponse:
    """`/admin/`: reviewers land on their queue; everyone else (and `?models=1`) gets the
    admin's index of models."""
    prime_permission_cache(request.user)
    if roles.is_reviewer(request.user) and "models" not in request.GET:
        return HttpResponseRedirect(reverse("admin:review_queue"))
    return admin.site.index(request)


landing = admin.site.admin_view(backoffice_landing)
__all__ = ["BulkAssignForm", "ReviewerSettingsForm", "WorkspaceMixin", "landing", "reviewer_loads"]
