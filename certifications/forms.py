"""Partner-portal forms of the certifications app: input validation only; the views call
the services with `cleaned_data`."""

from __future__ import annotations

from django import forms

from certifications.enums import (
    ChecklistAnswer,
    DocumentType,
    EnvironmentKind,
    ProductArea,
    RequestKind,
)
from certifications.models import (
    NOTE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Integration,
    checked_commit_sha,
    repo_validator,
)
from partners.forms import MAX_ROW_ID, PASSWORD_MAX_LENGTH


class IntegrationForm(forms.ModelForm):
    class Meta:
        model = Integration
        fields = ["name", "product_area", "github_repo", "description"]
        labels = {"github_repo": "GitHub repository (owner/name)"}
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def clean_github_repo(self) -> str:
        value = self.cleaned_data["github_repo"].strip()
        value = value.removeprefix("https://github.com/").rstrip("/")
        repo_validator(value)
        return value


class RequestDetailsForm(forms.Form):
    version = forms.CharField(label="Version", max_length=40, help_text="For example 2.1.0")
    kind = forms.ChoiceField(label="Kind of request", choices=RequestKind.choices)
    commit_sha = forms.CharField(
        label="Commit SHA",
        max_length=40,
        required=False,
        help_text="The commit under review (7 to 40 hexadecimal characters).",
    )

    def clean_commit_sha(self) -> str:
        # A draft may be saved before the commit is known; submit asks for it.
        return checked_commit_sha(self.cleaned_data["commit_sha"], required=False)


class ChecklistForm(forms.Form):
    """README confirmation plus one yes / n.a. answer per active guideline. Answers are
    optional so a half-done checklist can be saved; the review step lists what is left."""

    readme_confirmed = forms.BooleanField(
        label="The README covers what the integration does, its features, the UI items it "
        "changes, the processes it adds, configuration and deployment.",
        required=False,
    )

    def __init__(self, *args, guidelines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.guidelines = list(guidelines)
        for guideline in self.guidelines:
            self.fields[f"g_{guideline.code}"] = forms.ChoiceField(
                label=f"{guideline.code} {guideline.title}",
                help_text=guideline.description,
                choices=ChecklistAnswer.choices,
                widget=forms.RadioSelect,
                required=False,
            )

    def checklist(self) -> dict[str, str]:
        return {
            g.code: self.cleaned_data[f"g_{g.code}"]
            for g in self.guidelines
            if self.cleaned_data.get(f"g_{g.code}")
        }


class DocumentForm(forms.Form):
    doc_type = forms.ChoiceField(label="Document type", choices=DocumentType.choices)
    file = forms.FileField(
        label="File", help_text="PDF, Word (.docx), ZIP or a text/Markdown file."
    )


class EnvironmentForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of access", choices=EnvironmentKind.choices)
    url = forms.URLField(label="URL", max_length=200, assume_scheme="https")
    username = forms.CharField(label="Username", max_length=200)
    # Never re-rendered: a typed password does not come back in the page.
    password = forms.CharField(
        label="Password",
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(render_value=False),
        strip=False,
    )
    notes = forms.CharField(
        label="Notes (optional)",
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EnvironmentRemoveForm(forms.Form):
    """The Remove button of one test-access row, posted to the same step as the add form
    (`action` tells them apart). The view looks `env` up among the request's own rows, so
    another request's id is a 404."""

    action = forms.ChoiceField(choices=[("delete", "Remove")], widget=forms.HiddenInput)
    env = forms.IntegerField(min_value=1, max_value=MAX_ROW_ID, widget=forms.HiddenInput)

    def is_removal(self) -> bool:
        """Whether the Remove button sent this POST (valid or not)."""
        return self.is_bound and self["action"].value() == "delete"


class ResubmitForm(forms.Form):
    commit_sha = forms.CharField(label="New commit SHA", max_length=40)
    change_summary = forms.CharField(
        label="What changed", max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    comment = forms.CharField(
        label="Comment for the reviewer (optional)",
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_commit_sha(self) -> str:
        return checked_commit_sha(self.cleaned_data["commit_sha"])


class WithdrawForm(forms.Form):
    comment = forms.CharField(
        label="Reason for withdrawing (optional)", max_length=NOTE_MAX_LENGTH, required=False
    )

    def __init__(self, *args, **kwargs):
        # The request page also shows the resubmit form, which has a `comment` too.
        kwargs.setdefault("auto_id", "withdraw_%s")
        super().__init__(*args, **kwargs)


class FindingReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply", max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    mark_addressed = forms.BooleanField(label="Mark as addressed", required=False)


class MarketplaceSearchForm(forms.Form):
    """The public marketplace's search box and product-area filter."""

    q = forms.CharField(label="Search", max_length=100, required=False)
    area = forms.ChoiceField(
        label="Product area",
        choices=[("", "All product areas"), *ProductArea.choices],
        required=False,
    )
