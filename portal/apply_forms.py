"""Forms of the public "Apply to the certified partner program" page: input checks only;
the view passes `cleaned_data` to partners.services.application_submit."""

from __future__ import annotations

from django import forms

from certifications.enums import ProductArea
from partners.application_models import (
    APPLICATION_TEXT_MAX_LENGTH,
)


class ApplicationForm(forms.Form):
    company = forms.CharField(label="Company", max_length=200)
    website = forms.URLField(label="Company website", max_length=200, assume_scheme="https")
    contact_name = forms.CharField(label="Contact name", max_length=120)
    contact_email = forms.EmailField(label="Contact e-mail", max_length=254)
    technology_partner_id = forms.CharField(
        label="Technology Partner id",
        max_length=40,
        required=False,
        help_text="As shown in your Technology Partner agreement.",
    )
    not_yet_partner = forms.BooleanField(label="Not yet a Technology Partner", required=False)
    product_areas = forms.MultipleChoiceField(
        label="Product areas",
        choices=ProductArea.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Where your integration plugs in; choose every one that applies.",
    )
    integration_summary = forms.CharField(
        label="Planned integration",
        max_length=APPLICATION_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="A short description: what it does for joint customers and how it uses "
        "the platform.",
    )

    def clean(self):
        data = super().clean()
        has_id = bool((data.get("technology_partner_id") or "").strip())
        if has_id and data.get("not_yet_partner"):
            self.add_error(
                "technology_partner_id",
                "Leave this empty when you are not yet a Technology Partner, or untick that box.",
            )
        elif not has_id and not data.get("not_yet_partner"):
            self.add_error(
                "technology_partner_id",
                "Give your Technology Partner id, or tick “Not yet a Technology Partner”.",
            )
        return data


class HoneypotForm(forms.Form):
    """A field people never see (hidden by the style sheet, skipped by keyboard and screen
    readers); form-filling robots fill it. A filled one is thanked and dropped."""

    fax_number = forms.CharField(
        label="Leave this field empty",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def is_spam(self) -> bool:
        return bool(self.is_bound and (self.data.get("fax_number") or "").strip())


class ApplicationAnswerForm(forms.Form):
    reply = forms.CharField(
        label="Your answer",
        max_length=APPLICATION_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
