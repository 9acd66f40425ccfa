"""The update (re-certification) rules and the two-week deployment cycle."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from certifications.enums import (
    DOCS_REVIEW_PATH,
    FULL_REVIEW_PATH,
    MODULE_AREAS,
    UPDATE_DOCUMENTS,
    DocumentType,
    ProductArea,
    QuotaUse,
    RequestKind,
    RequestState,
)
from certifications.sla import target_days


class ChangeSize:
    MINOR = "minor"
    MAJOR = "major"


MAJOR_CHANGE_DEFINITION = "new features, UI/UX changes, or a change to the security/auth model"


@dataclass(frozen=True)
class UpdatePath:
    kind: str
    quota: str
    code_review: bool
    sla_days: int
    explanation: str
    deploys_in_cycle: bool


def update_path(*, product_area: str, change: str, vendor_side_change: bool) -> UpdatePath:
    """Which process an update of a certified integration goes through.

    Player plugins: a docs-only update (release notes and updated documents), with code
    review only when a vendor-side change is needed. Modules and other integrations: full
    re-certification, minor (2-week target, minor quota) or major (5-week deep review,
    major quota)."""
    if change not in (ChangeSize.MINOR, ChangeSize.MAJOR):
        raise ValueError(f"Unknown change size {change!r}")
    if product_area == ProductArea.PLAYER_PLUGIN:
        if vendor_side_change:
            kind = RequestKind.MAJOR if change == ChangeSize.MAJOR else RequestKind.MINOR
            return UpdatePath(
                kind=kind,
                quota=QuotaUse.MAJOR if kind == RequestKind.MAJOR else QuotaUse.MINOR,
                code_review=True,
                sla_days=target_days(kind),
                explanation="A player-plugin update that needs a vendor-side change is reviewed in code.",
                deploys_in_cycle=False,
            )
        return UpdatePath(
            kind=RequestKind.DOCS,
            quota=QuotaUse.NONE,
            code_review=False,
            sla_days=target_days(RequestKind.DOCS),
            explanation="Player-plugin updates need updated documents and release notes only; no code re-certification.",
            deploys_in_cycle=False,
        )
    kind = RequestKind.MAJOR if change == ChangeSize.MAJOR else RequestKind.MINOR
    return UpdatePath(
        kind=kind,
        quota=QuotaUse.MAJOR if kind == RequestKind.MAJOR else QuotaUse.MINOR,
        code_review=True,
        sla_days=target_days(kind),
        explanation=(
            f"A major change ({MAJOR_CHANGE_DEFINITION}) gets a deep re-certification."
            if kind == RequestKind.MAJOR
            else "A minor fix is re-certified within two weeks."
        ),
        deploys_in_cycle=product_area in MODULE_AREAS,
    )


@dataclass(frozen=True)
class DeploymentSlot:
    deploy_on: dt.date
    cutoff: dt.date


def deployment_slot(certified_on: dt.date) -> DeploymentSlot:
    """The next two-week deployment cycle a certified module update ships in.

    Cycles start on the anchor date and every DEPLOYMENT_CYCLE_DAYS after; an update must be
    certified at least DEPLOYMENT_CUTOFF_DAYS before a cycle's deployment day to make it."""
    anchor = dt.date.fromisoformat(settings.DEPLOYMENT_CYCLE_ANCHOR)
    period = settings.DEPLOYMENT_CYCLE_DAYS
    cutoff_days = settings.DEPLOYMENT_CUTOFF_DAYS
    offset = (certified_on - anchor).days
    cycles = -(-offset // period)  # ceiling division: the first cycle day on or after
    deploy_on = anchor + dt.timedelta(days=cycles * period)
    while deploy_on - dt.timedelta(days=cutoff_days) < certified_on:
        deploy_on += dt.timedelta(days=period)
    return DeploymentSlot(deploy_on=deploy_on, cutoff=deploy_on - dt.timedelta(days=cutoff_days))


@dataclass(frozen=True)
class PathStage:
    label: str
    status: str  # "done", "current" or "todo"


def review_path(request: Any, reached: set[str]) -> list[PathStage]:
    """The stages this request goes through, as the partner's timeline shows them: a
    docs-only player-plugin update has its own path (documentation review → certified)
    that never enters user testing or code review. `reached` holds the states in the log."""
    stages = DOCS_REVIEW_PATH if not request.docs_review_refusal() else FULL_REVIEW_PATH
    current = RequestState.CERTIFIED if request.state == RequestState.PUBLISHED else request.state
    path: list[PathStage] = []
    for state in stages:
        if state == current:
            status = "current"
        elif state in reached:
            status = "done"
        else:
            status = "todo"
        path.append(PathStage(label=RequestState(state).label, status=status))
    return path


def document_answers(request: Any) -> list[tuple[str, str]]:
    """An update's per-document answers as the reviewer reads them: (document, "Updated"
    or "Unchanged, because …"); empty for a request that is not an update."""
    if not request.update_of_id:
        return []
    answers = request.update_confirmations()
    rows = []
    for doc_type in UPDATE_DOCUMENTS:
        label = DocumentType(doc_type).label
        if doc_type not in answers:
            rows.append((label, "Not answered"))
        elif answers[doc_type]:
            rows.append((label, f"Unchanged, because {answers[doc_type]}"))
        else:
            rows.append((label, "Updated"))
    return rows
