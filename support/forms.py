"""Forms of the support pages. They validate input only; the services decide."""

from __future__ import annotations

from django import forms

from certifications.uploads import ALLOWED_DESCRIPTION
from support.enums import REOPEN_TARGETS, Classification, Severity, TicketState
from support.selectors import BREACH_FILTERS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


ATTACH_HELP = (
    f"Optional, up to 5 files: {ALLOWED_DESCRIPTION}. The type is checked from the content."
)


class TicketForm(forms.Form):
    integration = forms.ModelChoiceField(queryset=None, empty_label="Choose an integration")
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.NORMAL)
    subject = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What happens, what you expected, and how to reproduce it.",
    )
    attachments = MultipleFileField(required=False, help_text=ATTACH_HELP)

    def __init__(self, *args, integrations, with_customer: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["integration"].queryset = integrations
        if with_customer:
            self.fields["customer_name"] = forms.CharField(
                label="Joint customer", max_length=200, help_text="Who reported the problem."
            )
            self.order_fields(["customer_name", "integration"])


class ReplyForm(forms.Form):
    body = forms.CharField(label="Reply", widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(required=False, help_text=ATTACH_HELP)


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Internal note",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only the support desk sees internal notes; partners never do.",
    )


class TriageForm(forms.Form):
    classification = forms.ChoiceField(
        choices=[("", "Only mark as triaged"), *Classification.choices], required=False
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Visible to the partner. Use an internal note for anything else.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class WaitForm(forms.Form):
    question = forms.CharField(
        label="What do you need from the reporter?", widget=forms.Textarea(attrs={"rows": 3})
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    target = forms.ChoiceField(
        label="Send it to",
        choices=[(s, TicketState(s).label) for s in REOPEN_TARGETS],
        required=False,
    )


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(
        choices=[("", "Any state"), ("open", "Open"), *TicketState.choices], required=False
    )
    severity = forms.ChoiceField(choices=[("", "Any severity"), *Severity.choices], required=False)
    integration = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Any integration"
    )
    breach = forms.ChoiceField(
        label="Targets",
        choices=[
            ("", "Any"),
            *zip(
                BREACH_FILTERS,
                ("First response breached", "Resolution breached", "Any breach"),
                strict=True,
            ),
        ],
        required=False,
    )

    def __init__(self, *args, integrations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["integration"].queryset = integrations


class MeetingScheduleForm(forms.Form):
    when = forms.DateTimeField(
        label="Date and time",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    vendor_attendees = forms.CharField(
        label="Vendor attendees", widget=forms.Textarea(attrs={"rows": 2})
    )
    partner_attendees = forms.CharField(
        label="Partner attendees", widget=forms.Textarea(attrs={"rows": 2})
    )


class MeetingHeldForm(forms.Form):
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    escalation_path = forms.CharField(
        label="Agreed escalation path", widget=forms.Textarea(attrs={"rows": 3})
    )


class DeployForm(forms.Form):
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
