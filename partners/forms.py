"""Partner-portal forms of the partners app. Forms list their fields explicitly and only
validate input; the views pass `cleaned_data` to the services."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.validators import MaxLengthValidator

from partners.enums import MemberRole, QuotaKind
from partners.models import NOTE_MAX_LENGTH, Agreement, BusinessReview, SupportPlan

# Ids typed into forms are checked against the id columns' range (BigAutoField) before a
# lookup: past it, SQLite raises OverflowError and PostgreSQL "out of range".
MAX_ROW_ID = 2**63 - 1
PASSWORD_MAX_LENGTH = 500
_ROW_ID = forms.IntegerField(min_value=1, max_value=MAX_ROW_ID)


def row_id(value: object) -> int | None:
    """A value from a URL or a query string as a row id, or None when it is not one:
    `str.isdigit()` also accepts "²" (which int() refuses), and numbers past the id column
    are refused by the database."""
    try:
        return _ROW_ID.clean(value)
    except forms.ValidationError:
        return None


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
    # The invited person's account keeps it: auth.User.email holds 254 characters.
    email = forms.EmailField(label="E-mail address", max_length=254)
    role = forms.ChoiceField(label="Role", choices=MemberRole.choices, initial=MemberRole.VIEWER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=MemberRole.choices)


class AcceptInviteForm(UserCreationForm):
    """Account creation for an invited person without an account."""

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["first_name", "last_name", "username"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Reviewers and managers see who they work with (issue 14): the name is required.
        for name in ("first_name", "last_name"):
            self.fields[name].required = True
        # Django's password fields have no cap; a megabyte password is only work for the
        # hasher.
        for name in ("password1", "password2"):
            field = self.fields[name]
            field.max_length = PASSWORD_MAX_LENGTH
            field.validators.append(MaxLengthValidator(PASSWORD_MAX_LENGTH))
            field.widget.attrs["maxlength"] = str(PASSWORD_MAX_LENGTH)


class BusinessReviewActionForm(forms.Form):
    """Which button saved the business review: "Save draft" or "Submit for approval"."""

    action = forms.ChoiceField(
        choices=[("save", "Save draft"), ("submit", "Submit for approval")], required=False
    )

    def submits(self) -> bool:
        return self.is_valid() and self.cleaned_data["action"] == "submit"


class SwitchPartnerForm(forms.Form):
    partner = forms.IntegerField(min_value=1, max_value=MAX_ROW_ID, widget=forms.HiddenInput)


class QuotaRequestForm(forms.Form):
    """Ask the partner team for one more certification of a kind (issue 14)."""

    kind = forms.ChoiceField(label="Kind of certification", choices=QuotaKind.choices)
    reason = forms.CharField(
        label="What is it for?",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example the version and why it cannot wait for the renewal.",
    )
