"""The API's request and response shapes (pydantic, through django-ninja): the OpenAPI
schema is generated from these. Free text is capped at the same lengths as the forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from certifications.enums import (
    DocumentType,
    EnvironmentKind,
    FindingStage,
    FindingStatus,
    ProductArea,
    RequestKind,
    RequestState,
)
from certifications.models.validators import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH

# No NUL (PostgreSQL refuses it in text) and no surrogates in any string the API takes.
_SAFE = r"^[^\x00]*$"


def _no_surrogates(value: str) -> str:
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("Text contains an unpaired surrogate character.")
    return value


Clean = AfterValidator(_no_surrogates)
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX_LENGTH, pattern=_SAFE), Clean]
Note = Annotated[str, StringConstraints(max_length=NOTE_MAX_LENGTH, pattern=_SAFE), Clean]
Short = Annotated[str, StringConstraints(max_length=200, pattern=_SAFE), Clean]
Version = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=_SAFE)
]
Sha = Annotated[str, StringConstraints(max_length=40, pattern=r"^[0-9a-fA-F]*$")]
Repo = Annotated[str, StringConstraints(max_length=140, pattern=_SAFE), Clean]
Answer = Literal["yes", "na"]  # certifications.enums.ChecklistAnswer


class Page(Schema):
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


# --- Integrations ----------------------------------------------------------------------------


class IntegrationOut(Schema):
    id: int
    name: str
    product_area: ProductArea
    github_repo: str
    description: str
    created_at: dt.datetime


class IntegrationPage(Page):
    items: list[IntegrationOut]


class IntegrationIn(Schema):
    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_SAFE),
        Clean,
    ]
    product_area: ProductArea
    github_repo: Repo = Field(..., description="owner/name of the private GitHub repository")
    description: Text = ""


class IntegrationPatch(Schema):
    name: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_SAFE),
            Clean,
        ]
        | None
    ) = None
    product_area: ProductArea | None = None
    github_repo: Repo | None = None
    description: Text | None = None


# --- Requests --------------------------------------------------------------------------------


class RequestOut(Schema):
    id: int
    integration_id: int
    integration_name: str
    version: str
    kind: RequestKind
    state: RequestState
    commit_sha: str
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    closed_at: dt.datetime | None
    sla_due_at: dt.datetime | None

    @staticmethod
    def resolve_integration_name(obj) -> str:
        return obj["integration_name"] if isinstance(obj, dict) else obj.integration.name


class RequestPage(Page):
    items: list[RequestOut]


class DocumentOut(Schema):
    id: int
    doc_type: DocumentType
    version: int
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


class EnvironmentOut(Schema):
    """Test access as the API shows it: the password is write-only, never returned."""

    id: int
    kind: EnvironmentKind
    url: str
    username: str
    notes: str
    created_at: dt.datetime


class CertificateOut(Schema):
    id: int
    request_id: int
    version: str
    commit_sha: str
    issued_at: dt.datetime
    valid_until: dt.date
    verification_code: str
    verification_url: str
    superseded_by_id: int | None


class CertificatePage(Page):
    items: list[CertificateOut]


class RequestDetail(RequestOut):
    readme_confirmed: bool
    checklist: dict[str, str]
    change_summary: str
    vendor_side_change: bool
    next_step: str
    missing_items: list[str] = Field(..., description="What a draft still needs before submit.")
    available_actions: list[str] = Field(..., description="Transitions this caller may try now.")
    documents: list[DocumentOut]
    environments: list[EnvironmentOut]
    certificate: CertificateOut | None


class RequestCreate(Schema):
    integration_id: int
    version: Version
    kind: RequestKind = RequestKind.INITIAL
    commit_sha: Sha = ""


class RequestPatch(Schema):
    version: Version | None = None
    kind: RequestKind | None = None
    commit_sha: Sha | None = None
    readme_confirmed: bool | None = None
    change_summary: Text | None = None


class ChecklistIn(Schema):
    answers: dict[
        Annotated[str, StringConstraints(max_length=16, pattern=_SAFE), Clean], Answer
    ] = Field(..., description="guideline code → yes (complies) or na (not applicable)")
    readme_confirmed: bool | None = None


class EnvironmentIn(Schema):
    kind: EnvironmentKind
    url: Annotated[
        str, StringConstraints(min_length=1, max_length=200, pattern=r"^https?://[^\s\x00]+$")
    ]
    username: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_SAFE), Clean]
    password: Annotated[str, StringConstraints(max_length=200, pattern=_SAFE), Clean] | None = (
        Field(None, description="Write-only; required when adding, omitted keeps the stored one.")
    )
    notes: Note = ""


class WithdrawIn(Schema):
    comment: Note = ""


class ResubmitIn(Schema):
    commit_sha: Annotated[
        str, StringConstraints(min_length=7, max_length=40, pattern=r"^[0-9a-fA-F]+$")
    ]
    change_summary: Annotated[
        str, StringConstraints(min_length=1, max_length=TEXT_MAX_LENGTH, pattern=_SAFE), Clean
    ]
    comment: Note = ""


class TimelineEntry(Schema):
    transition: str
    from_state: RequestState
    to_state: RequestState
    comment: str
    at: dt.datetime
    actor: str


class RequestStatus(Schema):
    id: int
    state: RequestState
    next_step: str
    sla_due_at: dt.datetime | None
    sla_status: str
    timeline: list[TimelineEntry]


# --- Intake report ---------------------------------------------------------------------------


class IntakeItemOut(Schema):
    rule_id: str
    guideline_code: str
    severity: str
    outcome: str
    blocking: bool
    path: str
    line: int | None
    # Masked where it may hold a secret: the value itself is never stored.
    excerpt: str
    message: str


class IntakeReportOut(Schema):
    commit_sha: str
    version: str
    status: str
    repo_private: bool | None
    files_total: int
    files_read: int
    limited: bool
    error: str
    finished_at: dt.datetime | None
    blockers: int
    items: list[IntakeItemOut]


# --- Findings --------------------------------------------------------------------------------


class ReplyOut(Schema):
    id: int
    author: str
    body: str
    at: dt.datetime


class FindingOut(Schema):
    id: int
    request_id: int
    stage: FindingStage
    status: FindingStatus
    category: str
    severity: str
    title: str
    reviewer_note: str
    guideline: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    # "" (never disputed), open, accepted or rejected.
    dispute_state: str
    reply_count: int
    latest_replies: list[ReplyOut]


class ReplyIn(Schema):
    body: Annotated[
        str, StringConstraints(min_length=1, max_length=TEXT_MAX_LENGTH, pattern=_SAFE), Clean
    ]
    mark_addressed: bool = False


class DisputeIn(Schema):
    reason: Annotated[
        str, StringConstraints(min_length=1, max_length=TEXT_MAX_LENGTH, pattern=_SAFE), Clean
    ]


class ReplyPage(Page):
    items: list[ReplyOut]


# --- Account ---------------------------------------------------------------------------------


class QuotaOut(Schema):
    kind: str
    included: int
    extra: int
    used: int
    left: int


class AgreementOut(Schema):
    id: int
    state: str
    term_start: dt.date
    term_end: dt.date
    fee: Decimal
    paid: Decimal
    outstanding: Decimal
    marketing_credit: Decimal
    credit_used: Decimal
    credit_left: Decimal
    quota: list[QuotaOut]


class AccountOut(Schema):
    partner_id: int
    partner_name: str
    standing: str
    agreement: AgreementOut | None
    agreement_in_force: bool


# --- Staff -----------------------------------------------------------------------------------


class QueueItem(RequestOut):
    partner_id: int
    assigned_reviewer_id: int | None

    @staticmethod
    def resolve_partner_id(obj) -> int:
        return obj.integration.partner_id


class QueuePage(Page):
    items: list[QueueItem]


class TransitionIn(Schema):
    name: Literal[
        "intake_ok",
        "intake_incomplete",
        "ut_pass",
        "ut_changes",
        "cr_pass",
        "cr_changes",
        "publish",
        "reject",
        "hold",
        "resume",
    ]
    comment: Note = ""


class AssignIn(Schema):
    reviewer_id: int | None = Field(None, description="Omit to assign yourself.")
