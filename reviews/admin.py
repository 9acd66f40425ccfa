"""The reviewers' back office: the review queue (CertificationRequest changelist) and the
request page (package, test access, transitions, findings, timeline).

Every write here calls a service (certifications.services / reviews.services); the admin
never sets `state` and never saves a stateful model. Buttons are shown from the available
user transitions (presentation only); the service is the guard."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, Prefetch, Q, Value, prefetch_related_objects
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

from certifications import permissions as cert_perms
from certifications import selectors as cert_selectors
from certifications import services as cert_services
from certifications import sla
from certifications.enums import FINAL_STATES, VENDOR_STATES, RequestState
from certifications.models import CertificationRequest, CredentialReveal, Guideline
from certportal import pagecache, roles, security
from certportal.admin import StaffModelAdmin
from certportal.crypto import DecryptionFailed
from certportal.downloads import private_file_response
from certportal.errors import ProgramError
from partners.models import Partner
from reviews import services as review_services
from reviews.access import repo_access_grants_for
from reviews.enums import FindingStage, FindingStatus
from reviews.github import is_configured as github_is_configured
from reviews.models import Finding, FindingReply, RepoAccessGrant

SLA_BADGE = {
    sla.ON_TRACK: "ok",
    sla.DUE_SOON: "warn",
    sla.OVERDUE: "bad",
    sla.PAUSED: "info",
    sla.STOPPED: "",
}


TRANSITION_LABELS = {
    "intake_ok": "Package complete: start user testing",
    "intake_incomplete": "Package incomplete: request changes",
    "ut_pass": "User testing passed: start code review",
    "ut_changes": "Request changes after user testing",
    "cr_pass": "Code review passed: certify",
    "cr_changes": "Request changes after code review",
    "publish": "Publish on the marketplace",
    "reject": "Reject",
    "hold": "Put on hold",
    "resume": "Resume the review",
    "withdraw": "Withdraw",
    "resubmit": "Resubmit",
}


def _reviewers():
    return roles.staff_in(roles.REVIEWER)


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


# --- The queue -------------------------------------------------------------------------------


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows by fetching primary keys (LIMIT CAP+1), never an exact
    COUNT(*) over the whole queue: the queue stays fast however long it grows, and the page
    links stop at the cap (narrow the filters to reach older rows)."""

    CAP = 2000

    @cached_property
    def count(self) -> int:
        return len(self.object_list.values_list("pk", flat=True)[: self.CAP + 1])


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
        options += [(str(u.pk), u.get_full_name() or u.username) for u in _reviewers()]
        return options

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assigned_reviewer=request.user)
        if value == "none":
            return queryset.filter(assigned_reviewer__isnull=True)
        if value and value.isdigit():
            return queryset.filter(assigned_reviewer_id=int(value))
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
        if not (value and value.isdigit()):
            return []
        name = Partner.objects.filter(pk=int(value)).values_list("name", flat=True).first()
        return [(value, name)] if name else []

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(integration__partner_id=int(value))
        return queryset


class ReviewerChoiceForm(forms.Form):
    reviewer = forms.ModelChoiceField(queryset=None, label="Reviewer")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = _reviewers()


class TransitionForm(forms.Form):
    name = forms.CharField(max_length=32, widget=forms.HiddenInput)
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FindingForm(forms.Form):
    stage = forms.ChoiceField(choices=FindingStage.choices)
    guideline = forms.ChoiceField(required=False)
    category = forms.ChoiceField(choices=Finding._meta.get_field("category").choices)
    severity = forms.ChoiceField(choices=Finding._meta.get_field("severity").choices)
    title = forms.CharField(max_length=200)
    reviewer_note = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, guidelines: list[Guideline] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # The request page already loads the (small) catalogue once: reuse it for the choices.
        if guidelines is None:
            guidelines = list(Guideline.objects.all())
        self._guidelines = {str(g.pk): g for g in guidelines if g.active}
        self.fields["guideline"].choices = [("", "---------")] + [
            (key, str(g)) for key, g in self._guidelines.items()
        ]

    def clean_guideline(self) -> Guideline | None:
        value = self.cleaned_data["guideline"]
        return self._guidelines.get(value) if value else None


class FindingStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (FindingStatus.VERIFIED, "Verified"),
            (FindingStatus.WONT_FIX, "Won't fix"),
            (FindingStatus.OPEN, "Reopen"),
        ]
    )
    note = forms.CharField(required=False, max_length=2000)


def _prime_permission_cache(user) -> None:
    """Load the user's group names and Django permissions (own and through groups) in one
    query, into the caches certportal.roles and ModelBackend keep on the user object,
    instead of the three queries the role check and the admin's app list would run. Same
    result: ModelBackend is the only permission backend."""
    if getattr(user, "_perm_cache", None) is not None or not user.is_active:
        return
    groups = Group.objects.filter(user=user).order_by().values_list(Value("g"), "name", Value(""))
    permissions = (
        Permission.objects.filter(Q(user=user) | Q(group__user=user))
        .order_by()
        .values_list(Value("p"), "content_type__app_label", "codename")
        .distinct()
    )
    rows = list(groups.union(permissions, all=True))
    user._certportal_groups = frozenset(name for kind, name, _ in rows if kind == "g")
    if user.is_superuser:
        return  # ModelBackend gives superusers every permission without asking
    user._perm_cache = {f"{app}.{codename}" for kind, app, codename in rows if kind == "p"}


@admin.register(CertificationRequest)
class CertificationRequestAdmin(StaffModelAdmin):
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
    readonly_fields = ("state",)

    def get_queryset(self, request):
        return cert_selectors.requests_for(user=request.user)

    def changelist_view(self, request, extra_context=None):
        # The queue is served from the page cache while nothing it shows has changed.
        # A stored copy exists only if this person passed the permission check when it
        # was rendered; any change to their groups or permissions starts a new version.
        render = super().changelist_view

        def render_queue():
            _prime_permission_cache(request.user)
            return render(request, extra_context)

        return pagecache.cached_page(
            request,
            name="review-queue",
            scopes=pagecache.STAFF_SCOPES,
            render=render_queue,
        )

    @admin.display(description="Partner", ordering="integration__partner__name")
    def partner_name(self, obj):
        return obj.integration.partner.name

    @admin.display(description="SLA")
    def sla_badge(self, obj):
        status = sla.status(state=obj.state, due_at=obj.sla_due_at, now=self._now)
        return format_html(
            '<span class="badge badge-{}">{}</span>', SLA_BADGE[status], sla.STATUS_LABELS[status]
        )

    @property
    def _now(self):
        return timezone.now()

    # -- actions --------------------------------------------------------------------------

    def _assign_many(self, request, queryset, reviewer) -> None:
        done, refused = 0, []
        for obj in queryset:
            try:
                cert_services.request_assign(request=obj, reviewer=reviewer, actor=request.user)
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

    # -- the request page -------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        own = [
            path("<int:pk>/transition/", wrap(self.transition_view), name="review_transition"),
            path("<int:pk>/assign-me/", wrap(self.assign_me_view), name="review_assign_me"),
            path("<int:pk>/reveal/<int:env_pk>/", wrap(self.reveal_view), name="review_reveal"),
            path("<int:pk>/findings/", wrap(self.finding_add_view), name="review_finding_add"),
            path(
                "<int:pk>/findings/<int:finding_pk>/status/",
                wrap(self.finding_status_view),
                name="review_finding_status",
            ),
            path(
                "<int:pk>/documents/<int:doc_pk>/",
                wrap(self.document_download_view),
                name="review_document",
            ),
        ]
        return own + super().get_urls()

    def _get_request(self, request, pk) -> CertificationRequest:
        if not roles.is_vendor_staff(request.user):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def _change_url(self, obj) -> str:
        return reverse("admin:certifications_certificationrequest_change", args=[obj.pk])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not str(object_id).isdigit():
            raise Http404
        pk = int(object_id)

        def draw():
            _prime_permission_cache(request.user)  # before the role check reads the groups
            return self._review_page(request, self._get_request(request, pk))

        # Served from the page cache while nothing it shows has changed: a stored copy of
        # this page exists only for a person who could open the request when it was drawn.
        return pagecache.cached_page(
            request, name="review-request", scopes=pagecache.STAFF_SCOPES, render=draw
        )

    def _review_page(self, request, obj, *, finding_form=None, status=200):
        user = request.user
        now = timezone.now()
        _prime_permission_cache(user)
        # Findings (with replies) once: the page lists them and the transition conditions
        # (open findings per stage) read the same prefetched rows.
        prefetch_related_objects(
            [obj],
            Prefetch(
                "findings",
                queryset=Finding.objects.select_related("guideline").prefetch_related(
                    Prefetch("replies", queryset=FindingReply.objects.select_related("author"))
                ),
            ),
        )
        environments = list(obj.environments.all())
        transitions = [
            {"name": t.name, "label": TRANSITION_LABELS.get(t.name, t.name.replace("_", " "))}
            for t in obj.get_available_user_state_transitions(user)
            if t.name != "submit"
        ]
        guidelines = list(Guideline.objects.all())
        guideline_titles = {g.code: g.title for g in guidelines}
        checklist = [
            (code, guideline_titles.get(code, ""), answer)
            for code, answer in sorted((obj.checklist or {}).items())
            if not code.startswith("_")
        ]
        findings = obj.findings.all()
        sla_status = sla.status(state=obj.state, due_at=obj.sla_due_at, now=now)
        is_assigned = cert_perms.is_assigned_reviewer(obj, user)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{obj.integration.partner.name} · {obj.integration} {obj.version}",
            "opts": self.model._meta,
            "original": obj,
            "obj": obj,
            "documents": obj.documents.all(),
            "required_documents": obj.required_documents(),
            "checklist": checklist,
            "environments": environments,
            "reveals": CredentialReveal.objects.filter(environment__request=obj)
            .select_related("user", "environment")
            .order_by("-at")
            if environments
            else [],
            "can_reveal": cert_perms.can_reveal_credentials(obj, user),
            "transitions": transitions,
            "findings": findings,
            "finding_form": finding_form
            or FindingForm(initial=self._default_stage(obj), guidelines=guidelines),
            "finding_status_choices": FindingStatusForm.base_fields["status"].choices,
            "can_review": is_assigned,
            "can_claim": roles.is_reviewer(user)
            and not is_assigned
            and obj.state not in (RequestState.DRAFT, *FINAL_STATES),
            "timeline": cert_selectors.timeline(obj),
            "grants": list(repo_access_grants_for(request=obj)),
            "github_configured": github_is_configured(),
            "sla_status": sla_status,
            "sla_label": sla.STATUS_LABELS[sla_status],
            "sla_badge": SLA_BADGE[sla_status],
            "sla_days_left": sla.days_left(obj.sla_due_at, now),
        }
        return TemplateResponse(
            request, "admin/reviews/request_review.html", context, status=status
        )

    @staticmethod
    def _default_stage(obj) -> dict:
        stage = review_services.STAGE_FOR_STATE.get(obj.state)
        return {"stage": stage} if stage else {}

    def _fail(self, request, exc: ProgramError) -> None:
        self.message_user(request, exc.message, messages.ERROR)

    def transition_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseRedirect(
                reverse("admin:certifications_certificationrequest_changelist")
            )
        obj = self._get_request(request, pk)
        form = TransitionForm(request.POST)
        if not form.is_valid() or form.cleaned_data["name"] == "submit":
            self.message_user(request, "Choose an action.", messages.ERROR)
            return HttpResponseRedirect(self._change_url(obj))
        name = form.cleaned_data["name"]
        try:
            cert_services.request_transition(
                request=obj, name=name, actor=request.user, comment=form.cleaned_data["comment"]
            )
        except ProgramError as exc:
            self._fail(request, exc)
        else:
            self.message_user(request, f"Done: {name.replace('_', ' ')}.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(obj))

    def assign_me_view(self, request, pk):
        obj = self._get_request(request, pk)
        if request.method == "POST":
            try:
                cert_services.request_assign(request=obj, reviewer=request.user, actor=request.user)
            except ProgramError as exc:
                self._fail(request, exc)
            else:
                self.message_user(request, "The request is assigned to you.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(obj))

    def reveal_view(self, request, pk, env_pk):
        obj = self._get_request(request, pk)
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(obj))
        environment = get_object_or_404(
            cert_selectors.environments_for(user=request.user).select_related(
                "request__integration"
            ),
            pk=env_pk,
            request_id=obj.pk,
        )
        if not cert_perms.can_reveal_credentials(obj, request.user):
            raise PermissionDenied("Only the assigned reviewer can reveal test credentials.")
        if not security.recent_login(request):
            # Step-up (ASVS 3.7.1): a password is shown only to a session that signed in
            # within the last CREDENTIAL_REVEAL_REAUTH_MINUTES.
            self.message_user(
                request,
                f"For your security, sign in again to reveal test credentials: your last "
                f"sign-in was more than {security.reauth_minutes()} minutes ago.",
                messages.WARNING,
            )
            return redirect_to_login(self._change_url(obj), login_url=reverse("login"))
        try:
            password = cert_services.credential_reveal(
                environment=environment, actor=request.user, ip_address=_client_ip(request)
            )
        except ProgramError as exc:
            if exc.code == "not_allowed":
                raise PermissionDenied(exc.message) from exc
            self._fail(request, exc)
            return HttpResponseRedirect(self._change_url(obj))
        except DecryptionFailed as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(self._change_url(obj))
        context = {
            **self.admin_site.each_context(request),
            "title": "Test credentials",
            "opts": self.model._meta,
            "obj": obj,
            "environment": environment,
            "password": password,
        }
        response = TemplateResponse(request, "admin/reviews/credentials.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def finding_add_view(self, request, pk):
        obj = self._get_request(request, pk)
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(obj))
        form = FindingForm(request.POST)
        if not form.is_valid():
            self.message_user(
                request, "The finding was not recorded: check the form.", messages.ERROR
            )
            return self._review_page(request, obj, finding_form=form, status=400)
        try:
            review_services.finding_add(request=obj, actor=request.user, **form.cleaned_data)
        except ProgramError as exc:
            self._fail(request, exc)
            return self._review_page(request, obj, finding_form=form, status=exc.status_code)
        self.message_user(request, "Finding recorded.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(obj) + "#findings")

    def finding_status_view(self, request, pk, finding_pk):
        obj = self._get_request(request, pk)
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(obj))
        finding = get_object_or_404(obj.findings.all(), pk=finding_pk)
        form = FindingStatusForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "Choose a status.", messages.ERROR)
        else:
            try:
                review_services.finding_set_status(
                    finding=finding,
                    actor=request.user,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["note"],
                )
            except ProgramError as exc:
                self._fail(request, exc)
            else:
                self.message_user(request, "Finding updated.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(obj) + "#findings")

    def document_download_view(self, request, pk, doc_pk):
        obj = self._get_request(request, pk)
        document = get_object_or_404(
            cert_selectors.documents_for(user=request.user), pk=doc_pk, request_id=obj.pk
        )
        # Staff get every document as opaque bytes: never rendered inline in the back office.
        return private_file_response(document.file, filename=document.original_name)


@admin.register(Finding)
class FindingAdmin(StaffModelAdmin):
    list_display = ("title", "request", "stage", "category", "severity", "status", "created_at")
    list_filter = ("stage", "category", "severity", "status")
    list_select_related = ("request__integration",)
    search_fields = ("title", "request__integration__name")


@admin.register(FindingReply)
class FindingReplyAdmin(StaffModelAdmin):
    list_display = ("finding", "author", "at")
    list_select_related = ("finding", "author")


@admin.register(RepoAccessGrant)
class RepoAccessGrantAdmin(StaffModelAdmin):
    list_display = ("integration", "github_login", "state", "permission", "last_checked_at")
    list_filter = ("state", "source")
    list_select_related = ("integration",)
    search_fields = ("integration__name", "github_login")
    # Written only by reviews.access (the GitHub sync).
    readonly_fields = ("state",)
