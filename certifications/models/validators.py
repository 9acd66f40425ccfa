"""Field validators of the certifications models, the one commit-SHA check every layer
uses (forms, services and `full_clean` all go through `sha_validator`); the free-text caps
are re-exported for the certifications, reviews and support models and forms."""

from __future__ import annotations

from django.core.validators import RegexValidator

# The free-text caps are the program's, defined once on the lowest floor that has models.
from partners.models import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH

repo_validator = RegexValidator(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$",
    "Enter the repository as owner/name, for example acme/captions-module.",
)
sha_validator = RegexValidator(
    r"^[0-9a-f]{7,40}$", "Enter a git commit SHA: 7 to 40 lowercase hexadecimal characters."
)


def normalize_commit_sha(value: str | None) -> str:
    """A SHA as people paste it (padded, upper case) in the stored form the validator checks."""
    return (value or "").strip().lower()


def checked_commit_sha(value: str | None, *, required: bool = True) -> str:
    """Normalise and validate a commit SHA; raises `ValidationError` with the validator's
    message. A blank value passes only when not `required` (a draft may lack it)."""
    sha = normalize_commit_sha(value)
    if sha or required:
        sha_validator(sha)
    return sha


__all__ = [
    "NOTE_MAX_LENGTH",
    "TEXT_MAX_LENGTH",
    "checked_commit_sha",
    "normalize_commit_sha",
    "repo_validator",
    "sha_validator",
]
