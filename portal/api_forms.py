"""Forms of the portal's API access pages (tokens and webhook endpoints)."""

from __future__ import annotations

from django import forms

from certportal.webhook_models import WebhookEvent
from partners.tokens import ApiScope

EXPIRY_CHOICES = [(30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "1 year")]


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What uses it, e.g. “GitHub Actions release job”."
    )
    scope = forms.ChoiceField(
        choices=ApiScope.choices,
        initial=ApiScope.READ,
        help_text="Read and write is needed to create, fill and submit requests.",
    )
    expires_in_days = forms.TypedChoiceField(
        label="Expires after", choices=EXPIRY_CHOICES, coerce=int, initial=90
    )


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="A public https:// address of yours that accepts POST requests.",
    )
    description = forms.CharField(max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The events sent to this endpoint.",
    )
    active = forms.BooleanField(
        required=False, initial=True, help_text="Untick to stop deliveries for now."
    )
