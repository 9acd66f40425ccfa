"""The request page: one certification request as a reviewer works it (package, test
access, transitions, findings, timeline), and the actions posted from it.

`RequestPageMixin` holds the change-page half of the CertificationRequest admin (see
reviews.admin.certification_requests). Its reads go through `reviews.request_page`; every write calls a
service (certifications.services / reviews.services). Buttons are shown from the available
user transitions (presentation only); the service is the guard."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from certifications import page_scopes, sla
from certifications import permissions as cert_perms
from certifications import services as cert_services
from certifications.enums import FINAL_STATES, RequestState
from certifications.models import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH, CertificationRequest, Guideline
from certifications.updates import document_answers
from certportal import pagecache, roles, security
from certportal.crypto import DecryptionFailed
from certportal.downloads import private_file_response
from certportal.errors import ProgramError
from partners.forms import row_id
from reviews import request_page as page_reads
from reviews import services as review_services
from reviews.admin.common import SLA_BADGE, client_ip, prime_permission_cache
from reviews.admin.intake_panel import intake_context
from reviews.enums import FindingStage, FindingStatus
from reviews.github import is_configured as github_is_configured
from reviews.models import Finding

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
    "intake_docs_ok": "Package complete: start documentation review",
    "docs_pass": "Documentation review passed: certify",
    "docs_changes": "Request changes after documentation review",
    "revoke": "Revoke the seal",
}


class TransitionForm(forms.Form):
    name = forms.CharField(max_length=32, widget=forms.HiddenInput)
    comment = forms.CharField(
        max_length=NOTE_MAX_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class FindingForm(forms.Form):
    stage = forms.ChoiceField(choices=FindingStage.choices)
    guideline = forms.ChoiceField(required=False)
    category = forms.ChoiceField(choices=Finding._meta.get_field("category").choices)
    severity = forms.ChoiceField(choices=Finding._meta.get_field("severity").choices)
    title = forms.CharField(max_length=200)
    reviewer_note = forms.CharField(
        label="Note", max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, guidelines: list[Guideline] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # The request page already loads the (small) catalogue once: reuse it for the choices.
        if guidelines is None:
            guidelines = page_reads.guideline_catalogue()
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
    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH)


class RequestPageMixin:
    """The change-page half of the CertificationRequest admin: the request page and the
    URLs its forms post to."""

    readonly_fields = ("state",)

    def get_urls(self) -> list[URLPattern]:
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

    def _get_request(self, request: HttpRequest, pk: int) -> CertificationRequest:
        if not roles.is_vendor_staff(request.user):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def _change_url(self, obj: CertificationRequest) -> str:
        return reverse("admin:certifications_certificationrequest_change", args=[obj.pk])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        pk = row_id(object_id)
        if pk is None:
            raise Http404

        def draw():
            prime_permission_cache(request.user)  # before the role check reads the groups
            return self._review_page(request, self._get_request(request, pk))

        # Served from the page cache while nothing it shows has changed: a stored copy of
        # this page exists only for a person who could open the request when it was drawn.
        return pagecache.cached_page(
            request,
            name="review-request",
            scopes=[f"request:{pk}"],
            more_scopes=lambda: page_scopes.request_page_scopes(pk),
            render=draw,
        )

    def _review_page(
        self,
        request: HttpRequest,
        obj: CertificationRequest,
        *,
        finding_form: FindingForm | None = None,
        status: int = 200,
    ) -> TemplateResponse:
        user = request.user
        now = timezone.now()
        prime_permission_cache(user)
        # Before the transitions: their conditions read the findings loaded here.
        reads = page_reads.request_page_reads(request=obj)
        transitions = [
            {"name": t.name, "label": TRANSITION_LABELS.get(t.name, t.name.replace("_", " "))}
            for t in obj.get_available_user_state_transitions(user)
            if t.name != "submit"
        ]
        guideline_titles = {g.code: g.title for g in reads.guidelines}
        checklist = [
            (code, guideline_titles.get(code, ""), answer)
            for code, answer in sorted((obj.checklist or {}).items())
            if not code.startswith("_")
        ]
        sla_status = sla.status(state=obj.state, due_at=obj.sla_due_at, now=now)
        is_assigned = cert_perms.is_assigned_reviewer(obj, user)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{obj.integration.partner.name} · {obj.integration} {obj.version}",
            # A work page: no sidebar of every model (issue 19: its cost on every draw).
            "is_nav_sidebar_enabled": False,
            "opts": self.model._meta,
            "original": obj,
            "obj": obj,
            "documents": reads.documents,
            "required_documents": obj.required_documents(),
            "update_answers": document_answers(obj),
            "checklist": checklist,
            "environments": reads.environments,
            "reveals": reads.reveals,
            "can_reveal": cert_perms.can_reveal_credentials(obj, user),
            "transitions": transitions,
            "findings": reads.findings,
            "finding_form": finding_form
            or FindingForm(initial=self._default_stage(obj), guidelines=reads.guidelines),
            "finding_status_choices": FindingStatusForm.base_fields["status"].choices,
            "can_review": is_assigned,
            "can_claim": roles.is_reviewer(user)
            and not is_assigned
            and obj.state not in (RequestState.DRAFT, *FINAL_STATES),
            "timeline": reads.timeline,
            "grants": reads.grants,
            "github_configured": github_is_configured(),
            "sla_status": sla_status,
            "sla_label": sla.STATUS_LABELS[sla_status],
            "sla_badge": SLA_BADGE[sla_status],
            "sla_days_left": sla.days_left(obj.sla_due_at, now),
            **intake_context(obj),
            # Issue 15's panels (reviews.admin.workspace_actions): seal approval, what changed.
            **self.workspace_context(request, obj, reads),
        }
        return TemplateResponse(
            request, "admin/reviews/request_review.html", context, status=status
        )

    @staticmethod
    def _default_stage(obj: CertificationRequest) -> dict[str, str]:
        stage = review_services.STAGE_FOR_STATE.get(obj.state)
        return {"stage": stage} if stage else {}

    def _fail(self, request: HttpRequest, exc: ProgramError) -> None:
        self.message_user(request, exc.message, messages.ERROR)

    # -- actions posted from the page -------------------------------------------------------

    def transition_view(self, request: HttpRequest, pk: int) -> HttpResponse:
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

    def assign_me_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self._get_request(request, pk)
        if request.method == "POST":
            try:
                review_services.assignment_set(
                    request=obj,
                    reviewer=request.user,
                    actor=request.user,
                    reason=request.POST.get("reason", "")[:NOTE_MAX_LENGTH],
                )
            except ProgramError as exc:
                self._fail(request, exc)
            else:
                self.message_user(request, "The request is assigned to you.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(obj))

    def reveal_view(self, request: HttpRequest, pk: int, env_pk: int) -> HttpResponse:
        obj = self._get_request(request, pk)
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(obj))
        environment = get_object_or_404(
            page_reads.request_environments_for(user=request.user, request=obj), pk=env_pk
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
                environment=environment, actor=request.user, ip_address=client_ip(request)
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

    def finding_add_view(self, request: HttpRequest, pk: int) -> HttpResponse:
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

    def finding_status_view(self, request: HttpRequest, pk: int, finding_pk: int) -> HttpResponse:
        obj = self._get_request(request, pk)
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(obj))
        finding = get_object_or_404(page_reads.findings_of(obj), pk=finding_pk)
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

    def document_download_view(self, request: HttpRequest, pk: int, doc_pk: int) -> FileResponse:
        obj = self._get_request(request, pk)
        document = get_object_or_404(
            page_reads.request_documents_for(user=request.user, request=obj), pk=doc_pk
        )
        # Staff get every document as opaque bytes: never rendered inline in the back office.
        return private_file_response(document.file, filename=document.original_name)
