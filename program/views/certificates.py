"""Managers revoke a certificate from the partner's page."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from certifications import services as cert_services
from certifications.models import Certificate
from certportal.errors import ProgramError
from partners import selectors
from program import forms
from program.views.partners import manager_required


@require_POST
@manager_required
def certificate_revoke(request, pk, certificate_pk):
    partner = get_object_or_404(selectors.partners_for(user=request.user), pk=pk)
    certificate = get_object_or_404(
        Certificate.objects.filter(request__integration__partner=partner), pk=certificate_pk
    )
    form = forms.CertificateRevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the reason for revoking the certificate.")
        return redirect("manage:partner", pk=partner.pk)
    try:
        cert_services.certificate_revoke(
            certificate=certificate, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except ProgramError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Certificate revoked; its listing has left the marketplace.")
    return redirect("manage:partner", pk=partner.pk)
