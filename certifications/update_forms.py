"""The "Submit an update" form: what changed and which documents change with it."""

from __future__ import annotations

from django import forms

from certifications.enums import DocumentType
from certifications.models import TEXT_MAX_LENGTH
from certifications.updates import MAJOR_CHANGE_DEFINITION, ChangeSize

# Release notes are always required for an update; these are flagged by the partner.
UPDATABLE_DOCUMENTS = [
    (DocumentType.USER_GUIDE, "User guide"),
    (DocumentType.INSTALLATION_GUIDE, "Setup docs (Installation & DevOps guide)"),
    (DocumentType.QA_GUIDE, "Testing docs (QA guide)"),
    (DocumentType.MARKETING, "Marketing papers"),
]


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
    docs_to_update = forms.MultipleChoiceField(
        label="Documents that change",
        choices=UPDATABLE_DOCUMENTS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Release notes are always required. Documents you tick must be uploaded "
        "anew; the others are carried over from the certified version.",
    )


class UpdateConfirmForm(forms.Form):
    """The second step's "Start the update" button: the first step only shows the path."""

    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def confirmed(self) -> bool:
        return self.is_valid() and self.cleaned_data["confirm"]
