"""Partner managers' forms for program applications and new organisations."""

from __future__ import annotations

from django import forms

from partners.application_models import APPLICATION_NOTE_MAX_LENGTH
from partners.enums import Standing


class ApplicationDecisionForm(forms.Form):
    """The partner manager's decision on an application: one form, three buttons."""

    decision = forms.ChoiceField(
        choices=[
            ("accept", "Accept"),
            ("request_info", "Ask for more information"),
            ("decline", "Decline"),
        ],
        widget=forms.HiddenInput,
    )
    partner_name = forms.CharField(
        label="Organisation name",
        max_length=200,
        required=False,
        help_text="The partner organisation's name in the portal (defaults to the company).",
    )
    standing = forms.ChoiceField(
        label="Technology-partner standing",
        choices=Standing.choices,
        initial=Standing.GOOD,
        required=False,
    )
    message = forms.CharField(
        label="Message to the applicant",
        max_length=APPLICATION_NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when asking for more information or declining; it is e-mailed "
        "to the contact.",
    )


class PartnerCreateForm(forms.Form):
    name = forms.CharField(label="Organisation name", max_length=200)
    website = forms.URLField(label="Website", max_length=200, required=False, assume_scheme="https")
    standing = forms.ChoiceField(
        label="Technology-partner standing", choices=Standing.choices, initial=Standing.GOOD
    )
    admin_email = forms.EmailField(
        label="First admin's e-mail",
        max_length=254,
        help_text="They receive an invitation to create their account as the organisation's admin.",
    )
