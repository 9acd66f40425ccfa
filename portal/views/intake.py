"""The partner's "run / re-run the intake check" action (the report itself is drawn by the
wizard's review step and the request page from reviews.intake.selectors)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from certifications.enums import RequestState
from certportal.errors import ProgramError
from partners.enums import MemberRole
from portal.context import portal_view, require_role
from portal.views.common import load_request
from reviews.intake import services as intake


class RerunForm(forms.Form):
    commit_sha = forms.RegexField(regex=r"^[0-9a-fA-F]{40}$", required=False, max_length=40)


@require_POST
@portal_view
def request_intake_rerun(request, pk):
    req = load_request(request, pk)
    require_role(request, MemberRole.DEVELOPER, req.integration.partner_id)
    form = RerunForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That is not a full commit id (40 hexadecimal characters).")
    else:
        try:
            intake.intake_report_rerun(
                request=req, actor=request.user, commit_sha=form.cleaned_data["commit_sha"]
            )
        except ProgramError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "The check is queued; its report appears below.")
    if req.state == RequestState.DRAFT:
        return redirect(reverse("portal:request_step", args=[req.pk, "review"]) + "#intake")
    return redirect(reverse("portal:request_detail", args=[req.pk]) + "#intake")
