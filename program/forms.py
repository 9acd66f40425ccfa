"""Forms of the partner managers' pages. Each lists its fields explicitly; the agreement a
form acts on is chosen among the partner's own agreements only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils.html import escape
from django.utils.safestring import SafeString

from certifications.enums import ProductArea
from partners.enums import AgreementState, QuotaKind, Standing
from partners.models import NOTE_MAX_LENGTH, Agreement


class AgreementActionForm(forms.Form):
    agreement = forms.ModelChoiceField(queryset=Agreement.objects.none(), widget=forms.HiddenInput)

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = partner.agreements.all()


class AgreementSendForm(AgreementActionForm):
    payment_instructions = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Bank details, invoice number and due date the partner needs to pay.",
    )
    document_url = forms.URLField(
        label="Agreement document URL", max_length=200, required=False, assume_scheme="https"
    )


class AgreementCancelForm(AgreementActionForm):
    reason = forms.CharField(max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))


class PaymentForm(AgreementActionForm):
    amount = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    paid_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(max_length=120, help_text="Invoice or bank reference.")


class QuotaGrantForm(AgreementActionForm):
    kind = forms.ChoiceField(choices=QuotaKind.choices)
    units = forms.IntegerField(min_value=1, max_value=20, initial=1)
    reason = forms.CharField(max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))


class MarketingActivityForm(AgreementActionForm):
    title = forms.CharField(max_length=200)
    amount = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    happened_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(
        max_length=NOTE_MAX_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class BusinessReviewDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("return", "Return with comments")],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when returning the review: say what the partner should change.",
    )


class StandingForm(forms.Form):
    standing = forms.ChoiceField(choices=Standing.choices)
    note = forms.CharField(
        max_length=NOTE_MAX_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PartnerActionForm(forms.Form):
    """Which action a form on a partner's page posts (its hidden `action` field)."""

    action = forms.ChoiceField(choices=())

    def __init__(self, *args, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [(name, name) for name in actions]


class OverviewFilterForm(forms.Form):
    SORTS = [
        ("name", "Name"),
        ("renewal", "Renewal date"),
        ("outstanding", "Fee outstanding"),
        ("open", "Open requests"),
        ("certs", "Certifications this term"),
        ("standing", "Standing"),
    ]
    standing = forms.ChoiceField(choices=[("", "Any standing"), *Standing.choices], required=False)
    agreement = forms.ChoiceField(
        label="Agreement state",
        choices=[("", "Any agreement"), ("none", "No agreement"), *AgreementState.choices],
        required=False,
    )
    renewal_due = forms.BooleanField(label="Renewal due within 90 days", required=False)
    sort = forms.ChoiceField(choices=SORTS, required=False)
    desc = forms.BooleanField(label="Descending", required=False)

    def controls(self) -> list[dict]:
        """The fields as plain data the overview's template draws in one pass (a select's
        options already drawn), with the markup Django's Select and CheckboxInput give
        them: drawn through the widget templates (two template renders a field and an
        include per option) the five fields cost about 3 ms of CPU a page (issue 19).
        Selection and checked state come from the widgets' own rules."""
        out = []
        for field in self:
            widget = field.field.widget
            value = field.value()
            label, suffix = field.label, field.field.label_suffix
            suffix = self.label_suffix if suffix is None else suffix
            if suffix and label and label[-1] not in ":?.!":
                label += suffix
            control = {
                "name": field.html_name,
                "id": field.auto_id,
                "label": label,
                "invalid": bool(field.errors),
                "checkbox": isinstance(widget, forms.CheckboxInput),
            }
            if control["checkbox"]:
                control["checked"] = widget.check_test(value)
            else:
                chosen = set(widget.format_value(value))
                control["options"] = SafeString(
                    "".join(
                        f'\n  <option value="{escape(str(key))}"'
                        f"{' selected' if str(key) in chosen else ''}>{escape(str(text))}</option>"
                        for key, text in field.field.choices
                    )
                )
            out.append(control)
        return out


class CertificationExportForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The start date must be before the end date.")
        return data


class MetricsFilterForm(CertificationExportForm):
    """The metrics page's filters: when requests were submitted (the range is checked as
    the export's), and a product area. The figures come from monthly summaries, so a range
    covers the whole months it touches (the help text says so)."""

    start = forms.DateField(
        label="Submitted from",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Whole months: from the first day of this date's month.",
    )
    end = forms.DateField(
        label="Submitted until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Whole months: to the last day of this date's month.",
    )
    area = forms.ChoiceField(
        label="Product area",
        choices=[("", "All product areas"), *ProductArea.choices],
        required=False,
    )

    # Program dates only: a far date (9999-12-31) would overflow the day-after bound.
    EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)

    def _in_range(self, name: str):
        value = self.cleaned_data.get(name)
        if value and not self.EARLIEST <= value <= self.LATEST:
            raise forms.ValidationError("Choose a date between 2000 and 2099.")
        return value

    def clean_start(self):
        return self._in_range("start")

    def clean_end(self):
        return self._in_range("end")


class CertificateRevokeForm(forms.Form):
    reason = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown on the public verification page.",
    )


class RevocationDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", "Confirm"), ("withdraw", "Withdraw")])
    comment = forms.CharField(
        max_length=NOTE_MAX_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
