"""The reviewers' additions to the request page (issue 15), kept apart from the page
itself so other additions merge cleanly: the two-person rule (ask, approve, decline), the
reviewer's side of a finding's thread (reply, question, internal note, canned responses)
and dispute verdicts, and the context the page's includes read."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path

from certifications import permissions as cert_perms
from certifications import services as cert_services
from certifications.models import (
    NOTE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    CertificationRequest,
    SealAction,
    SealApproval,
)
from certportal.errors import ProgramError
from partners.forms import row_id
from reviews import request_page as page_reads
from reviews import services as review_services
from reviews import workspace_page
from reviews.enums import DisputeState, ReplyKind


class ReviewerReplyForm(forms.Form):
    KINDS = [
        (ReplyKind.REPLY, "Reply to the partner"),
        (ReplyKind.QUESTION, "Ask the partner a question"),
        (ReplyKind.INTERNAL, "Internal note (reviewers only)"),
    ]
    kind = forms.ChoiceField(choices=KINDS, initial=ReplyKind.REPLY, label="Send as")
    canned = forms.CharField(required=False, max_length=12, label="Canned response")
    body = forms.CharField(
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Message",
    )


class DisputeVerdictForm(forms.Form):
    verdict = forms.ChoiceField(choices=[("accept", "Accept"), ("reject", "Reject")])
    reason = forms.CharField(max_length=NOTE_MAX_LENGTH)


class SealDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])
    comment = forms.CharField(max_length=NOTE_MAX_LENGTH, required=False)


class WorkspaceActionsMixin:
    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        own = [
            path("<int:pk>/seal/ask/", wrap(self.seal_ask_view), name="review_seal_ask"),
            path(
                "<int:pk>/seal/<int:approval_pk>/",
                wrap(self.seal_decide_view),
                name="review_seal_decide",
            ),
            path(
                "<int:pk>/findings/<int:finding_pk>/reply/",
                wrap(self.finding_reviewer_reply_view),
                name="review_finding_reply",
            ),
            path(
                "<int:pk>/findings/<int:finding_pk>/dispute/",
                wrap(self.finding_dispute_view),
                name="review_finding_dispute",
            ),
        ]
        return own + super().get_urls()

    def workspace_context(self, request: HttpRequest, obj: CertificationRequest, reads: Any):
        """What the request page's issue-15 includes read (one query each)."""
        findings = list(reads.findings)
        # Canned responses are offered on the reply form, which only the assigned
        # reviewer gets: no query for anyone else, nor without findings.
        if findings and cert_perms.is_assigned_reviewer(obj, request.user):
            catalogue = workspace_page.canned_by_guideline()
            for finding in findings:
                finding.canned_options = workspace_page.canned_for(finding, catalogue)
        return {
            "seal": workspace_page.seal_panel(obj, request.user),
            "changes": workspace_page.what_changed(obj, findings=findings),
            "reply_kinds": ReviewerReplyForm.KINDS,
            "dispute_open": DisputeState.OPEN,
        }

    def _back(self, obj: CertificationRequest, anchor: str = "") -> HttpResponseRedirect:
        return HttpResponseRedirect(self._change_url(obj) + anchor)

    def seal_ask_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._get_request(request, pk)
        try:
            cert_services.seal_approval_request(
                request=obj,
                actor=request.user,
                action=SealAction.REVOKE
                if request.POST.get("action") == SealAction.REVOKE
                else SealAction.CERTIFY,
                comment=request.POST.get("comment", "")[:NOTE_MAX_LENGTH],
            )
        except ProgramError as exc:
            self._fail(request, exc)
        else:
            revoking = request.POST.get("action") == SealAction.REVOKE
            self.message_user(
                request,
                "Revocation asked: a different reviewer or manager confirms or withdraws it."
                if revoking
                else "A second reviewer was asked to approve.",
                messages.SUCCESS,
            )
        return self._back(obj, "#seal")

    def seal_decide_view(self, request: HttpRequest, pk: int, approval_pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._get_request(request, pk)
        approval = get_object_or_404(SealApproval.objects.filter(request=obj), pk=approval_pk)
        form = SealDecisionForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "Choose approve or decline.", messages.ERROR)
            return self._back(obj, "#seal")
        try:
            cert_services.seal_approval_decide(
                approval=approval,
                actor=request.user,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
        except ProgramError as exc:
            self._fail(request, exc)
        else:
            self.message_user(request, "Your decision is recorded.", messages.SUCCESS)
        return self._back(obj, "#seal")

    def finding_reviewer_reply_view(
        self, request: HttpRequest, pk: int, finding_pk: int
    ) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._get_request(request, pk)
        finding = get_object_or_404(page_reads.findings_of(obj), pk=finding_pk)
        form = ReviewerReplyForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "The reply was not sent: check the form.", messages.ERROR)
            return self._back(obj, f"#finding-{finding.pk}")
        body = form.cleaned_data["body"]
        canned_id = row_id(form.cleaned_data["canned"]) if form.cleaned_data["canned"] else None
        if canned_id is not None and not body.strip():
            catalogue = workspace_page.canned_by_guideline()
            chosen = next(
                (c for c in workspace_page.canned_for(finding, catalogue) if c.pk == canned_id),
                None,
            )
            body = chosen.body if chosen else ""
        kind = form.cleaned_data["kind"]
        try:
            if kind == ReplyKind.INTERNAL:
                review_services.finding_note_internal(
                    finding=finding, actor=request.user, body=body
                )
            else:
                review_services.finding_reply(
                    finding=finding,
                    actor=request.user,
                    body=body,
                    question=kind == ReplyKind.QUESTION,
                )
        except ProgramError as exc:
            self._fail(request, exc)
        else:
            self.message_user(
                request,
                "Internal note saved." if kind == ReplyKind.INTERNAL else "Sent to the partner.",
                messages.SUCCESS,
            )
        return self._back(obj, f"#finding-{finding.pk}")

    def finding_dispute_view(self, request: HttpRequest, pk: int, finding_pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._get_request(request, pk)
        finding = get_object_or_404(page_reads.findings_of(obj), pk=finding_pk)
        form = DisputeVerdictForm(request.POST)
        if not form.is_valid():
            self.message_user(
                request, "Choose accept or reject and give the reason.", messages.ERROR
            )
            return self._back(obj, f"#finding-{finding.pk}")
        try:
            review_services.finding_dispute_decide(
                finding=finding,
                actor=request.user,
                accept=form.cleaned_data["verdict"] == "accept",
                reason=form.cleaned_data["reason"],
            )
        except ProgramError as exc:
            self._fail(request, exc)
        else:
            self.message_user(request, "Dispute decided.", messages.SUCCESS)
        return self._back(obj, f"#finding-{finding.pk}")
