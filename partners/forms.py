"""Partner-portal forms of the partners app. Forms list their fields explicitly and only
validate input; the views pass `cleaned_data` to the services."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from partners.enums import MemberRole
from partners.models import Agreement, BusinessReview, SupportPlan


class AgreementRequestForm(forms.ModelForm):
    """The agreement-change form (never saved directly: see services.agreement_request)."""

    class Meta:
        model = Agreement
        fields = [
            "legal_name",
            "billing_contact_name",
            "billing_contact_email",
            "billing_address",
            "purchase_order",
            "notes",
        ]
        labels = {
            "legal_name": "Legal company name",
            "billing_contact_name": "Billing contact",
            "billing_contact_email": "Billing e-mail",
            "purchase_order": "Purchase order (optional)",
            "notes": "Notes for the partner team (optional)",
        }
        widgets = {"billing_address": forms.Textarea(attrs={"rows": 3})}


class BusinessReviewForm(forms.ModelForm):
    class Meta:
        model = BusinessReview
        fields = ["use_cases", "workflows", "joint_solutions"]
        labels = {
            "use_cases": "Use cases",
            "workflows": "Workflows",
            "joint_solutions": "Joint-customer solutions",
        }
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in fields}


class SupportPlanForm(forms.ModelForm):
    class Meta:
        model = SupportPlan
        fields = [
            "partner_contact_name",
            "partner_contact_email",
            "partner_contact_phone",
            "partner_contact_hours",
            "technical_contact_name",
            "technical_contact_email",
            "vendor_contact_name",
            "vendor_contact_email",
            "vendor_contact_phone",
            "vendor_contact_hours",
            "support_tool_url",
            "vendor_access_instructions",
            "response_critical_hours",
            "response_high_hours",
            "response_normal_hours",
            "response_low_hours",
        ]
        widgets = {"vendor_access_instructions": forms.Textarea(attrs={"rows": 3})}


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    role = forms.ChoiceField(label="Role", choices=MemberRole.choices, initial=MemberRole.VIEWER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=MemberRole.choices)


class AcceptInviteForm(UserCreationForm):
    """Account creation for an invited person without an account."""

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username"]


class SwitchPartnerForm(forms.Form):
    partner = forms.IntegerField(widget=forms.HiddenInput)
