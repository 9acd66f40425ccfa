"""The partner's side of a finding's thread beyond replying (issue 15): disputing a
finding ("not a defect, because …"), the program's false-positive path."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from certifications.models import TEXT_MAX_LENGTH
from certportal.errors import ProgramError
from partners.enums import MemberRole
from portal.context import portal_view, require_role
from portal.views.common import scoped_requests
from reviews import selectors as review_selectors
from reviews import services as review_services


class FindingDisputeForm(forms.Form):
    reason = forms.CharField(
        label="Why this is not a defect",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@require_POST
@portal_view
def finding_dispute(request, pk):
    finding = get_object_or_404(
        review_selectors.findings_for_requests(scoped_requests(request)), pk=pk
    )
    require_role(request, MemberRole.DEVELOPER, finding.request.integration.partner_id)
    form = FindingDisputeForm(request.POST, auto_id=f"d{finding.pk}_%s")
    back = reverse("portal:request_detail", args=[finding.request_id]) + f"#f{finding.pk}"
    if not form.is_valid():
        messages.error(request, "The dispute was not sent: explain why this is not a defect.")
        return redirect(back)
    try:
        review_services.finding_dispute(
            finding=finding, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except ProgramError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Dispute sent: the reviewer will accept or reject it.")
    return redirect(back)
