"""What the scale data looks like: the prefix that marks it, the staff it has, the mix of
states and kinds, and the transitions that lead to each state."""

from __future__ import annotations

from certifications.enums import ProductArea, RequestKind
from certifications.enums import RequestState as S

# Scale rows are recognisable by this slug and username prefix.
PREFIX = "scale-"
REVIEWERS = 10
SHA = "a" * 40

# The transitions that lead to each state (the log the request would have), built from
# the shared beginnings of the paths.
_SUBMIT = [("submit", S.DRAFT, S.SUBMITTED)]
_INTAKE = [*_SUBMIT, ("intake_ok", S.SUBMITTED, S.USER_TESTING)]
_TO_CODE_REVIEW = [
    *_INTAKE,
    ("ut_changes", S.USER_TESTING, S.CHANGES_REQUESTED),
    ("resubmit", S.CHANGES_REQUESTED, S.USER_TESTING),
    ("ut_pass", S.USER_TESTING, S.CODE_REVIEW),
]
_CR_CHANGES = [
    *_INTAKE,
    ("ut_pass", S.USER_TESTING, S.CODE_REVIEW),
    ("cr_changes", S.CODE_REVIEW, S.CHANGES_REQUESTED),
]
_CERTIFIED = [*_TO_CODE_REVIEW, ("cr_pass", S.CODE_REVIEW, S.CERTIFIED)]
PATHS: dict[str, list[tuple[str, str, str]]] = {
    S.DRAFT: [],
    S.SUBMITTED: _SUBMIT,
    S.USER_TESTING: _INTAKE,
    S.CODE_REVIEW: _TO_CODE_REVIEW,
    S.CHANGES_REQUESTED: _CR_CHANGES,
    S.ON_HOLD: [*_INTAKE, ("hold", S.USER_TESTING, S.ON_HOLD)],
    S.CERTIFIED: _CERTIFIED,
    S.PUBLISHED: [*_CERTIFIED, ("publish", S.CERTIFIED, S.PUBLISHED)],
    S.WITHDRAWN: [
        *_SUBMIT,
        ("intake_incomplete", S.SUBMITTED, S.CHANGES_REQUESTED),
        ("withdraw", S.CHANGES_REQUESTED, S.WITHDRAWN),
    ],
    S.REJECTED: [
        *_CR_CHANGES,
        ("resubmit", S.CHANGES_REQUESTED, S.USER_TESTING),
        ("reject", S.USER_TESTING, S.REJECTED),
    ],
}
# A program in steady state: most history is certified/published, a working set is open.
STATE_MIX = (
    [S.PUBLISHED] * 6
    + [S.CERTIFIED] * 3
    + [S.CODE_REVIEW, S.USER_TESTING, S.SUBMITTED, S.CHANGES_REQUESTED, S.DRAFT]
    + [S.ON_HOLD, S.WITHDRAWN, S.REJECTED]
)
KIND_MIX = [RequestKind.MINOR, RequestKind.MAJOR, RequestKind.MINOR, RequestKind.DOCS]
AREAS = list(ProductArea.values)
OPEN_REVIEW = {S.SUBMITTED, S.USER_TESTING, S.CODE_REVIEW}
CLOSED = (S.CERTIFIED, S.PUBLISHED, S.WITHDRAWN, S.REJECTED)
