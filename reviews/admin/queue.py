"""The review queue: the CertificationRequest changelist with its filters, its capped
paginator and the bulk assignment actions.

`ReviewQueueMixin` holds the changelist half of the CertificationRequest admin (see
reviews.admin.certification_requests). Assignments go through `reviews.services.assignment_set`;
the admin never writes a request itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal

from certifications import page_scopes, sla
from certifications import selectors as cert_selectors
from certifications.enums import VENDOR_STATES
from certifications.models import CertificationRequest
from certportal import dates, pagecache
from certportal.errors import ProgramError
from partners.forms import row_id
from partners.models import Partner
from reviews import services as review_services
from reviews.admin.common import SLA_BADGE, prime_permission_cache, reviewers
from reviews.workspace import KIND_LABELS, ROW_FIELDS, STATE_LABELS


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows by fetching primary keys (LIMIT CAP+1), never an exact
    COUNT(*) over the whole queue: the queue stays fast however long it grows, and the page
    links stop at the cap (narrow the filters to reach older rows)."""

    CAP = 2000

    @cached_property
    def count(self) -> int:
        return len(self.object_list.values_list("pk", flat=True)[: self.CAP + 1])


class QueueChangeList(ChangeList):
    """The queue's changelist. When the page is the layout the row template draws, its
    `result_list` is the page's slice (order and filters kept) as values, named tuples of
    ROW_FIELDS: no model instances, a fifth of what building them costs."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        if self.model_admin.draws_rows(self):
            self.result_list = self.result_list.values_list(*ROW_FIELDS, named=True)


class SlaStatusFilter(admin.SimpleListFilter):
    title = "SLA status"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [(key, sla.STATUS_LABELS[key]) for key in (sla.ON_TRACK, sla.DUE_SOON, sla.OVERDUE)]

    def queryset(self, request, queryset):
        # Mirrors certifications.sla.status() in SQL: only running clocks have a status.
        now = timezone.now()
        soon = now + dt.timedelta(days=settings.SLA_DUE_SOON_DAYS)
        running = queryset.filter(state__in=VENDOR_STATES, sla_due_at__isnull=False)
        if self.value() == sla.OVERDUE:
            return running.filter(sla_due_at__lt=now)
        if self.value() == sla.DUE_SOON:
            return running.filter(sla_due_at__gte=now, sla_due_at__lte=soon)
        if self.value() == sla.ON_TRACK:
            return running.filter(sla_due_at__gt=soon)
        return queryset


class AssignedReviewerFilter(admin.SimpleListFilter):
    title = "assigned reviewer"
    parameter_name = "reviewer"

    def lookups(self, request, model_admin):
        options = [("me", "Me"), ("none", "Unassigned")]
        options += [(str(u.pk), u.get_full_name() or u.username) for u in reviewers()]
        return options

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assigned_reviewer=request.user)
        if value == "none":
            return queryset.filter(assigned_reviewer__isnull=True)
        reviewer_id = row_id(value)
        if reviewer_id is not None:
            return queryset.filter(assigned_reviewer_id=reviewer_id)
        return queryset


class PartnerFilter(admin.SimpleListFilter):
    """Narrows the queue to one partner (``?partner=<id>``, e.g. from a link). It lists no
    choices of its own: with thousands of partners a sidebar of every partner that has a
    request costs a scan of the whole requests table per page view and is unusable anyway;
    the search box finds partners by name."""

    title = "partner"
    parameter_name = "partner"

    def lookups(self, request, model_admin):
        value = self.value()
        partner_id = row_id(value)
        if partner_id is None:
            return []
        name = Partner.objects.filter(pk=partner_id).values_list("name", flat=True).first()
        return [(value, name)] if name else []

    def queryset(self, request, queryset):
        partner_id = row_id(self.value())
        if partner_id is not None:
            return queryset.filter(integration__partner_id=partner_id)
        return queryset


class ReviewerChoiceForm(forms.Form):
    reviewer = forms.ModelChoiceField(queryset=None, label="Reviewer")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers()


class ReviewQueueMixin:
    """The changelist half of the CertificationRequest admin: columns, filters, ordering
    by SLA due date, the page cache, and the assignment actions."""

    list_display = (
        "partner_name",
        "integration",
        "version",
        "kind",
        "state",
        "assigned_reviewer",
        "sla_badge",
        "sla_due_at",
    )
    list_display_links = ("integration", "version")
    list_filter = (
        "state",
        "kind",
        ("integration__product_area", admin.ChoicesFieldListFilter),
        AssignedReviewerFilter,
        SlaStatusFilter,
        PartnerFilter,
    )
    list_select_related = ("integration__partner", "assigned_reviewer")
    search_fields = ("integration__partner__name", "integration__name", "version")
    ordering = (F("sla_due_at").asc(nulls_last=True), "pk")
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50
    # The review page is custom and never reads `_changelist_filters`, so carrying the
    # filters on every row link would only cost a URL resolve per link (a third of the
    # queue's render time at 50 rows).
    preserve_filters = False
    actions = ("assign_to_me", "assign_to_reviewer")
    change_list_template = "admin/reviews/request_changelist.html"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # The queue is served from the page cache while nothing it shows has changed.
        # A stored copy exists only if this person passed the permission check when it
        # was rendered; any change to their groups or permissions starts a new version.
        render = super().changelist_view

        def render_queue():
            prime_permission_cache(request.user)
            return render(request, {"is_nav_sidebar_enabled": False, **(extra_context or {})})

        return pagecache.cached_page(
            request,
            name="review-queue",
            scopes=page_scopes.changelist_scopes(request.GET),
            render=render_queue,
        )

    # The columns `queue_rows` and row_templates/reviews/changelist_rows.html draw, in order.
    ROW_COLUMNS = ("action_checkbox", *list_display)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return QueueChangeList

    def draws_rows(self, cl: Any) -> bool:
        """Whether the changelist is the layout the row template draws (not another column
        set, a popup or inline editing, which get the admin's own cell-by-cell table)."""
        if tuple(cl.list_display) not in (self.ROW_COLUMNS, self.list_display):
            return False
        return not (self.list_editable or cl.is_popup or cl.to_field)

    def queue_rows(self, cl: Any) -> list[dict[str, Any]] | None:
        """The page's rows as plain values for the row template, or None when the
        changelist is not the layout that template draws."""
        if not self.draws_rows(cl):
            return None
        # One reverse for the page: the change URL with a placeholder id.
        url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=["0"]
        ).rsplit("0/change/", 1)[0]
        now = self._now
        checkbox = cl.list_display[0] == "action_checkbox"
        rows = []
        for r in cl.result_list:  # values (QueueChangeList)
            status = sla.status(state=r.state, due_at=r.sla_due_at, now=now)
            rows.append(
                {
                    "pk": str(r.pk),
                    "checkbox": checkbox,
                    "url": f"{url}{r.pk}/change/",
                    "partner": r.integration__partner__name,
                    "integration": r.integration__name,
                    "version": r.version,
                    "kind": KIND_LABELS.get(r.kind, r.kind),
                    "state": STATE_LABELS.get(r.state, r.state),
                    "reviewer": r.assigned_reviewer__username or "",
                    "badge": SLA_BADGE[status],
                    "sla": sla.STATUS_LABELS[status],
                    "due": dates.day_month_year_time(r.sla_due_at),
                }
            )
        return rows

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """The search box over `search_fields`, answered from the trigram indexes
        (certifications.selectors.requests_matching) instead of the admin's scan of
        three joined tables; words split and unquoted as the admin does."""
        words = []
        for bit in smart_split(search_term):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
                bit = unescape_string_literal(bit)
            if bit:
                words.append(bit)
        if not words:
            return queryset, False
        return cert_selectors.requests_matching(queryset, words), False

    @admin.display(description="Partner", ordering="integration__partner__name")
    def partner_name(self, obj: CertificationRequest) -> str:
        return obj.integration.partner.name

    @admin.display(description="SLA")
    def sla_badge(self, obj: CertificationRequest) -> str:
        status = sla.status(state=obj.state, due_at=obj.sla_due_at, now=self._now)
        return format_html(
            '<span class="badge badge-{}">{}</span>', SLA_BADGE[status], sla.STATUS_LABELS[status]
        )

    @property
    def _now(self):
        return timezone.now()

    # -- actions --------------------------------------------------------------------------

    def _assign_many(
        self, request: HttpRequest, queryset: QuerySet, reviewer: Any, reason: str = ""
    ) -> None:
        done, refused = 0, []
        for obj in queryset:
            try:
                # The workspace's service: it also refuses declared conflicts of interest.
                review_services.assignment_set(
                    request=obj, reviewer=reviewer, actor=request.user, reason=reason
                )
                done += 1
            except ProgramError as exc:
                refused.append(f"{obj}: {exc.message}")
        if done:
            who = reviewer.get_full_name() or reviewer.username
            self.message_user(request, f"Assigned {done} request(s) to {who}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description="Assign to me")
    def assign_to_me(self, request, queryset):
        self._assign_many(request, queryset, request.user)

    @admin.action(description="Assign to reviewer…")
    def assign_to_reviewer(self, request, queryset):
        form = ReviewerChoiceForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._assign_many(request, queryset, form.cleaned_data["reviewer"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Assign to a reviewer",
            "opts": self.model._meta,
            "queryset": queryset,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/reviews/assign_reviewer.html", context)
