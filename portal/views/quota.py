"""Ask the partner team for extra certification quota (issue 14): the way out that the
dashboard and the submission wizard offer when a kind's quota is used up."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from certportal.errors import ProgramError
from partners import selectors, services
from partners.enums import MemberRole, QuotaKind
from partners.forms import QuotaRequestForm
from portal.context import portal_view, render_portal, require_role


def _back(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@portal_view
def quota_request(request):
    require_role(request, MemberRole.ADMIN)
    partner = request.portal.partner
    kind = request.GET.get("kind")
    form = QuotaRequestForm(
        request.POST or None, initial={"kind": kind if kind in QuotaKind.values else None}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.quota_request_extra(
                    partner=partner, actor=request.user, **form.cleaned_data
                )
            except ProgramError as exc:
                messages.error(request, exc.message)
                status = exc.status_code
            else:
                messages.success(
                    request,
                    "Your request for extra quota was sent to the partner team; you will be "
                    "notified when it is granted.",
                )
                return redirect(_back(request) or "portal:dashboard")
        else:
            status = 400
    agreement = selectors.agreement_in_force(partner=partner)
    return render_portal(
        request,
        "portal/quota_request.html",
        {
            "form": form,
            "next": _back(request),
            "quota": list(selectors.quota_summary(agreement=agreement).values())
            if agreement
            else [],
        },
        status=status,
    )
