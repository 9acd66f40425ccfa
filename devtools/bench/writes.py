"""The mixed workload's writes, made through the services the pages' forms call (so they
bump the page cache exactly as production does), by the same people who read:

- ``internal_note``: a reviewer adds an internal note on a finding of a request they test;
- ``partner_reply``: a partner admin answers the finding on their request (its page);
- ``draft_edit``: a partner admin saves a draft (a new commit);
- ``hold_resume``: a reviewer puts a request on hold and resumes it (two transitions).

Run inside the production environment of one size (``bench --mixed-writes``), timed by
`devtools.bench.schedule`; each write leaves a row or two behind, nothing else changes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model

from certifications import services as cert_services
from certifications.enums import RequestState
from certifications.models import CertificationRequest
from certportal.errors import ProgramError
from devtools.bench import population
from reviews import services as review_services
from reviews.models import Finding

KINDS = ("internal_note", "partner_reply", "draft_edit", "hold_resume")


@dataclass
class Targets:
    """What each kind of write works on: (actor, object) pairs, taken in turn."""

    notes: list[tuple[Any, Finding]]
    replies: list[tuple[Any, Finding]]
    drafts: list[tuple[Any, CertificationRequest]]
    holds: list[tuple[Any, CertificationRequest]]


def find_targets() -> Targets:
    """For each reviewer a request they test that has a finding; for each partner admin
    of the workload the finding of their request page and one of their drafts."""
    User = get_user_model()
    notes, holds = [], []
    for reviewer in User.objects.filter(username__in=population.reviewer_usernames()):
        tested = CertificationRequest.objects.filter(
            assigned_reviewer=reviewer, state=RequestState.USER_TESTING, findings__isnull=False
        ).order_by("-pk")[:2]
        tested = list(tested)
        if tested:
            notes.append((reviewer, tested[0].findings.order_by("pk").first()))
            holds.append((reviewer, tested[-1]))
    replies, drafts = [], []
    usernames = population.partner_usernames(population.scale_partner_count())
    for user in User.objects.filter(username__in=usernames):
        mine = CertificationRequest.objects.filter(integration__partner__memberships__user=user)
        finding = (
            Finding.objects.filter(request__in=mine, request__state=RequestState.CHANGES_REQUESTED)
            .order_by("-request_id")
            .first()
        )
        if finding is not None:
            replies.append((user, finding))
        draft = mine.filter(state=RequestState.DRAFT).order_by("-pk").first()
        if draft is not None:
            drafts.append((user, draft))
    return Targets(notes=notes, replies=replies, drafts=drafts, holds=holds)


class Writer:
    """Makes the `k`-th write: the kinds in turn, each kind's targets in turn."""

    def __init__(self, targets: Targets) -> None:
        self.targets = targets
        self.done: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.errors: list[str] = []

    def write(self, k: int) -> str:
        kind = KINDS[k % len(KINDS)]
        pool = {
            "internal_note": self.targets.notes,
            "partner_reply": self.targets.replies,
            "draft_edit": self.targets.drafts,
            "hold_resume": self.targets.holds,
        }[kind]
        if not pool:
            self.errors.append(f"{kind}: nothing to write on")
            return kind
        actor, target = pool[(k // len(KINDS)) % len(pool)]
        try:
            getattr(self, kind)(actor, target)
            self.done[kind] += 1
        except ProgramError as exc:
            self.errors.append(f"{kind}: {exc.message}")
        return kind

    def internal_note(self, actor: Any, finding: Finding) -> None:
        review_services.finding_note_internal(
            finding=finding, actor=actor, body="Benchmark: checked again on the test device."
        )

    def partner_reply(self, actor: Any, finding: Finding) -> None:
        review_services.finding_reply(
            finding=finding, actor=actor, body="Benchmark: we are looking into it."
        )

    def draft_edit(self, actor: Any, draft: CertificationRequest) -> None:
        cert_services.request_update_draft(
            request=draft, actor=actor, commit_sha=secrets.token_hex(20)
        )

    def hold_resume(self, actor: Any, request: CertificationRequest) -> None:
        held = cert_services.request_transition(
            request=request, name="hold", actor=actor, comment="Benchmark: waiting on a device."
        )
        cert_services.request_transition(request=held, name="resume", actor=actor)
