"""Managers revoke a certificate from the partner's page, under the one revocation rule:
one manager asks (with the reason), a different manager or reviewer confirms or withdraws
it here or on the request's back-office page."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from certifications import selectors as cert_selectors
from certifications import services as cert_services
from certifications.models import Certificate
from certportal.errors import ProgramError
from partners import selectors
from program import forms
from program.views.partners import manager_required


def _certificate(request, pk: int, certificate_pk: int) -> Certificate:
    """The certificate, reached only through its own partner's page (another partner's id
    is a 404)."""
    partner = get_object_or_404(selectors.partners_for(user=request.user), pk=pk)
    return get_object_or_404(
        Certificate.objects.filter(request__integration__partner=partner).select_related("request"),
        pk=certificate_pk,
    )


@require_POST
@manager_required
def certificate_revoke(request, pk, certificate_pk):
    certificate = _certificate(request, pk, certificate_pk)
    form = forms.CertificateRevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the reason for revoking the certificate.")
        return redirect("manage:partner", pk=pk)
    try:
        pending = cert_services.certificate_revoke(
            certificate=certificate, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except ProgramError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            "Revocation recorded: a different manager or reviewer must confirm it."
            if pending
            else "Certificate revoked; its listing has left the marketplace.",
        )
    return redirect("manage:partner", pk=pk)


@require_POST
@manager_required
def certificate_revoke_decide(request, pk, certificate_pk):
    """Confirm or withdraw the certificate's pending revocation."""
    certificate = _certificate(request, pk, certificate_pk)
    form = forms.RevocationDecisionForm(request.POST)
    pending = cert_selectors.pending_revocations([certificate.request_id]).get(
        certificate.request_id
    )
    if not form.is_valid() or pending is None:
        messages.error(
            request,
            "Choose confirm or withdraw."
            if pending
            else "No revocation of this certificate is waiting for confirmation.",
        )
        return redirect("manage:partner", pk=pk)
    try:
        if form.cleaned_data["decision"] == "confirm":
            cert_services.seal_revoke_confirm(approval=pending, actor=request.user)
            done = "Certificate revoked; its listing has left the marketplace."
        else:
            cert_services.seal_revoke_withdraw(
                approval=pending, actor=request.user, comment=form.cleaned_data["comment"]
            )
            done = "Revocation withdrawn: the certificate stays valid."
    except ProgramError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("manage:partner", pk=pk)
