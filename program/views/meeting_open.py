"""A partner manager asks for a support meeting the program does not open by itself (a
certified minor or docs-only update): the form on the desk's meetings page posts here."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from certportal import roles, security
from certportal.errors import ProgramError
from support import selectors, services

# The newest certified versions without a meeting the form offers.
CHOICES_SHOWN = 100


class MeetingOpenForm(forms.Form):
    request = forms.TypedChoiceField(label="Certified version", coerce=int, choices=())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is None:  # no person, no choices
            return
        rows = selectors.certified_without_meeting(user=user)[:CHOICES_SHOWN]
        self.fields["request"].choices = [
            (
                r.pk,
                f"{r.integration.partner.name} · {r.integration.name} {r.version} "
                f"({r.get_kind_display()})",
            )
            for r in rows
        ]


def open_form(user) -> MeetingOpenForm | None:
    """The form for the meetings page: managers only, and only when there is a choice."""
    if not roles.is_partner_manager(user):
        return None
    form = MeetingOpenForm(user=user, auto_id="open_%s")
    return form if form.fields["request"].choices else None


manager_required = security.role_required(roles.is_partner_manager, reason="not a partner manager")


@require_POST
@manager_required
def meeting_open(request):
    form = MeetingOpenForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, "Choose the certified version the meeting is for.")
        return redirect("support_staff:meetings")
    certified = get_object_or_404(
        selectors.certified_without_meeting(user=request.user), pk=form.cleaned_data["request"]
    )
    try:
        meeting = services.meeting_request(request=certified, actor=request.user)
    except ProgramError as exc:
        messages.error(request, exc.message)
        return redirect("support_staff:meetings")
    messages.success(request, "The support meeting is open; the support desk schedules it.")
    return redirect("support_staff:meeting", meeting.pk)
