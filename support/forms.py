"""Forms of the support pages. They validate input only; the services decide."""

from __future__ import annotations

import datetime as dt

from django import forms

from certifications import deployments
from certifications.models import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH
from certifications.uploads import ALLOWED_WITH_IMAGES
from partners.forms import MAX_ROW_ID
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
    f"Optional, up to 5 files: {ALLOWED_WITH_IMAGES}. The type is checked from the content."
)


class TicketForm(forms.Form):
    integration = forms.ModelChoiceField(queryset=None, empty_label="Choose an integration")
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.NORMAL)
    subject = forms.CharField(max_length=200)
    description = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
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


class TicketPrefillForm(forms.Form):
    """`?integration=<id>` from an integration's support page preselects it on a new ticket."""

    integration = forms.IntegerField(min_value=1, max_value=MAX_ROW_ID)

    def prefill(self) -> dict:
        return {"integration": self.cleaned_data["integration"]} if self.is_valid() else {}


class TicketListForm(forms.Form):
    """The partner's ticket list: open tickets (the default) or all of them."""

    show = forms.ChoiceField(choices=[("open", "Open"), ("all", "All")], required=False)

    def show_value(self) -> str:
        return (self.cleaned_data["show"] if self.is_valid() else "") or "open"


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Reply", max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )
    attachments = MultipleFileField(required=False, help_text=ATTACH_HELP)


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Internal note",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only the support desk sees internal notes; partners never do.",
    )


class TriageForm(forms.Form):
    classification = forms.ChoiceField(
        choices=[("", "Only mark as triaged"), *Classification.choices], required=False
    )
    comment = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Visible to the partner. Use an internal note for anything else.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class WaitForm(forms.Form):
    question = forms.CharField(
        label="What do you need from the reporter?",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))
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
        label="Vendor attendees",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    partner_attendees = forms.CharField(
        label="Partner attendees",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MeetingHeldForm(forms.Form):
    notes = forms.CharField(
        max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    customer_contact = forms.CharField(
        label="Who the partner's customers contact first",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    vendor_first_line = forms.CharField(
        label="When the vendor is first line",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    support_tool_access = forms.CharField(
        label="The partner's access to the support tool",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    escalation_path = forms.CharField(
        label="Agreed escalation path",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The steps and contacts from first line to the vendor's engineers.",
    )


class MeetingListForm(forms.Form):
    """The desk's meetings: pending ones (the default) or all of them."""

    show = forms.ChoiceField(choices=[("pending", "Pending"), ("all", "All")], required=False)

    def show_value(self) -> str:
        return (self.cleaned_data["show"] if self.is_valid() else "") or "pending"


class DeployForm(forms.Form):
    notes = forms.CharField(
        max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class DeploymentCalendarForm(forms.Form):
    """`?from=` of the deployment calendar: the first day shown, inside the calendar's range
    (a day near the ends of the date type would overflow when the page adds its weeks)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Added here: `from` (the query string's name) cannot be a class attribute.
        self.fields["from"] = forms.DateField(
            label="From",
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}),
            validators=[deployments.validate_calendar_day],
        )

    def start(self, default: dt.date) -> dt.date:
        return (self.cleaned_data["from"] if self.is_valid() else None) or default
