"""Reads of the intake report for the pages (and the API of issue 17). Callers pass a
request already scoped to the user (certifications.selectors / the admin's queryset)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from certifications.enums import RequestState
from certifications.models import CertificationRequest
from reviews.intake.rules import BLOCKER, INFO, MAJOR, MINOR, RULES, Rule
from reviews.models import (
    IntakeItemOutcome,
    IntakeReport,
    IntakeReportItem,
    IntakeReportStatus,
    WebhookDelivery,
)

SEVERITY_LABELS = {BLOCKER: "Blocker", MAJOR: "Major", MINOR: "Minor", INFO: "Information"}
STATUS_LABELS = {
    IntakeItemOutcome.FAIL: "Problem",
    IntakeItemOutcome.PASS: "Passed",
    IntakeItemOutcome.INFO: "Information",
}
STATUS_BADGES = {
    IntakeItemOutcome.FAIL: "badge-bad",
    IntakeItemOutcome.PASS: "badge-ok",
    IntakeItemOutcome.INFO: "badge-info",
}

# Request states whose pages show the report: before and at intake (drafts, submitted).
REPORT_STATES = (RequestState.DRAFT, RequestState.SUBMITTED)


def intake_report_for(*, request: CertificationRequest) -> IntakeReport | None:
    """The intake report of the request's current commit and version, with its items
    (``report.items.all()``, in rule order of storage) — two queries — or None when none was
    asked for yet."""
    if not request.commit_sha:
        return None
    return (
        IntakeReport.objects.filter(
            integration_id=request.integration_id,
            commit_sha=request.commit_sha.lower(),
            version=request.version.strip()[:40],
        )
        .prefetch_related(Prefetch("items", queryset=IntakeReportItem.objects.order_by("id")))
        .first()
    )


@dataclass
class RuleRow:
    rule: Rule
    status: str  # pass / fail / info / none
    items: list[IntakeReportItem] = field(default_factory=list)

    @property
    def is_blocker(self) -> bool:
        return self.status == IntakeItemOutcome.FAIL and self.rule.severity == BLOCKER

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.rule.severity, "")

    @property
    def status_label(self) -> str:
        if self.is_blocker:
            return "Blocker"
        return STATUS_LABELS.get(self.status, "")

    @property
    def badge(self) -> str:
        return STATUS_BADGES.get(self.status, "badge-info")

    @property
    def problems(self) -> list[IntakeReportItem]:
        return [i for i in self.items if i.outcome == IntakeItemOutcome.FAIL]


@dataclass
class IntakePanel:
    report: IntakeReport | None
    rows: list[RuleRow]
    blockers: int
    problems: int
    offer: WebhookDelivery | None = None

    @property
    def done(self) -> bool:
        return self.report is not None and self.report.status == IntakeReportStatus.DONE

    @property
    def open_rows(self) -> list[RuleRow]:
        """Problems and information, for the table."""
        return [r for r in self.rows if r.status != IntakeItemOutcome.PASS]

    @property
    def passed_rows(self) -> list[RuleRow]:
        return [r for r in self.rows if r.status == IntakeItemOutcome.PASS]


def _rows(report: IntakeReport | None) -> list[RuleRow]:
    if report is None or report.status != IntakeReportStatus.DONE:
        return []
    by_rule: dict[str, list[IntakeReportItem]] = {}
    for item in report.items.all():
        by_rule.setdefault(item.rule_id, []).append(item)
    rows = []
    for rule in RULES:
        items = by_rule.get(rule.id, [])
        outcomes = {i.outcome for i in items}
        status = next(
            (
                o
                for o in (IntakeItemOutcome.FAIL, IntakeItemOutcome.PASS, IntakeItemOutcome.INFO)
                if o in outcomes
            ),
            "none",
        )
        if status == "none":
            continue  # a rule added after this report was made
        rows.append(RuleRow(rule=rule, status=status, items=items))
    # Problems first (blockers on top), then the rest in table order.
    rank = {IntakeItemOutcome.FAIL: 0, IntakeItemOutcome.INFO: 1, IntakeItemOutcome.PASS: 2}
    rows.sort(key=lambda r: (rank.get(r.status, 3), not r.is_blocker))
    return rows


def commit_offer_for(*, request: CertificationRequest) -> WebhookDelivery | None:
    """The latest commit GitHub told us about (push or tag) for the request's repository,
    when it differs from the draft's commit: the wizard offers it (one query)."""
    latest = (
        WebhookDelivery.objects.filter(integration_id=request.integration_id)
        .exclude(head_sha="")
        .order_by("-received_at", "-pk")
        .first()
    )
    if latest is None or latest.head_sha.lower() == (request.commit_sha or "").lower():
        return None
    return latest


def intake_panel(*, request: CertificationRequest, with_offer: bool = False) -> IntakePanel:
    """What the report panels show: the report, its rules grouped with their items, the
    number of blockers and problems, and (drafts) a newly pushed commit to switch to."""
    report = intake_report_for(request=request)
    rows = _rows(report)
    return IntakePanel(
        report=report,
        rows=rows,
        blockers=sum(1 for r in rows if r.is_blocker),
        problems=sum(1 for r in rows if r.status == IntakeItemOutcome.FAIL),
        offer=commit_offer_for(request=request)
        if with_offer and request.state == RequestState.DRAFT
        else None,
    )
