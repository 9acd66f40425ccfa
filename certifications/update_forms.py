"""The "Submit an update" form: what changed and which documents change with it."""

from __future__ import annotations

from django import forms

from certifications.enums import DocumentType
from certifications.models import TEXT_MAX_LENGTH
from certifications.updates import MAJOR_CHANGE_DEFINITION, ChangeSize

# Release notes are always required for an update; for each of these the partner says
# whether it was updated (the order of `certifications.enums.UPDATE_DOCUMENTS`).
UPDATABLE_DOCUMENTS = [
    (DocumentType.USER_GUIDE, "User guide"),
    (DocumentType.INSTALLATION_GUIDE, "Setup docs (Installation & DevOps guide)"),
    (DocumentType.QA_GUIDE, "Testing docs (QA guide)"),
    (DocumentType.MARKETING, "Marketing papers"),
]


UPDATED, UNCHANGED = "updated", "unchanged"
DOC_ANSWERS = [(UPDATED, "Updated"), (UNCHANGED, "Unchanged")]


class UpdateForm(forms.Form):
    version = forms.CharField(max_length=40, help_text="The new version number, e.g. 1.2.0.")
    change = forms.ChoiceField(
        label="What changed?",
        choices=[
            (ChangeSize.MINOR, "A minor fix"),
            (ChangeSize.MAJOR, "A major change"),
        ],
        widget=forms.RadioSelect,
        help_text=f"A major change means {MAJOR_CHANGE_DEFINITION}. Anything else is a minor fix.",
    )
    vendor_side_change = forms.BooleanField(
        label="The update needs a change on the vendor's side",
        required=False,
        help_text="For player plugins this decides whether the code is reviewed again.",
    )
    change_summary = forms.CharField(
        label="Summary of the changes",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Per document the update touches: "updated" (upload it anew) or "unchanged,
        # because …" (the certified version's copy is carried over).
        for code, label in UPDATABLE_DOCUMENTS:
            self.fields[f"doc_{code}"] = forms.ChoiceField(
                label=label,
                choices=DOC_ANSWERS,
                widget=forms.RadioSelect,
                help_text="Updated: you upload the new version before submitting.",
            )
            self.fields[f"why_{code}"] = forms.CharField(
                label=f"{label}: unchanged, because …",
                max_length=300,
                required=False,
                help_text="Needed when the document is unchanged.",
            )

    def clean(self):
        data = super().clean()
        data["docs_to_update"], data["docs_unchanged"] = [], {}
        for code, label in UPDATABLE_DOCUMENTS:
            answer, why = data.get(f"doc_{code}"), (data.get(f"why_{code}") or "").strip()
            if answer == UPDATED:
                data["docs_to_update"].append(code)
            elif answer == UNCHANGED:
                if not why:
                    self.add_error(f"why_{code}", f"Say why it is unchanged ({label}).")
                data["docs_unchanged"][code] = why
        return data


class UpdateConfirmForm(forms.Form):
    """The second step's "Start the update" button: the first step only shows the path."""

    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def confirmed(self) -> bool:
        return self.is_valid() and self.cleaned_data["confirm"]
