"""Writes of the automated intake report: ask for a report (computed once per commit and
version), compute it through ``reviews.github``, turn an item into a finding, and the
intake guard (blockers, overrides) registered with ``certifications.intake_checks``."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from certifications import permissions as cert_perms
from certifications import services as cert_services
from certifications.enums import RequestState
from certifications.models import CertificationRequest, Guideline, Integration
from certportal import roles
from reviews import github
from reviews.enums import FindingStage
from reviews.intake import engine
from reviews.intake.rules import BLOCKER, INFO, MAJOR, MINOR, RULES_BY_ID
from reviews.models import (
    Finding,
    IntakeItemOutcome,
    IntakeOverride,
    IntakeReport,
    IntakeReportItem,
    IntakeReportStatus,
)
from reviews.services import ReviewError, finding_add
from reviews.signals import intake_report_queued

logger = logging.getLogger(__name__)

# The finding severity a reviewer's one click records for each rule severity.
FINDING_SEVERITY = {BLOCKER: "critical", MAJOR: "major", MINOR: "minor", INFO: "suggestion"}


def limits() -> engine.Limits:
    return engine.Limits(
        max_files=settings.INTAKE_MAX_FILES,
        max_file_bytes=settings.INTAKE_MAX_FILE_BYTES,
        max_total_bytes=settings.INTAKE_MAX_TOTAL_BYTES,
        max_reads=settings.INTAKE_MAX_READS,
    )


def _enqueue(report_id: int) -> None:
    """Queue the computation after commit (``reviews.receivers`` publishes the task); with
    the broker down the report stays queued and the next ask for it (a re-run, a push, the
    submit) queues it again."""
    transaction.on_commit(
        lambda: intake_report_queued.send(sender=IntakeReport, report_id=report_id)
    )


def intake_report_ensure(
    *, integration: Integration, commit_sha: str, version: str, retry_failed: bool = False
) -> IntakeReport | None:
    """The report of ``commit_sha`` (for ``version``), queued when it does not exist yet.

    Computed once: an existing report is returned as it is (a failed one is queued again
    only with ``retry_failed``, i.e. when a person asks). None without a commit."""
    commit_sha = (commit_sha or "").strip().lower()
    if not commit_sha:
        return None
    version = version.strip()[:40]
    try:
        with transaction.atomic():
            report, created = IntakeReport.objects.get_or_create(
                integration=integration, commit_sha=commit_sha, version=version
            )
    except IntegrityError:  # a concurrent request created it first
        report, created = (
            IntakeReport.objects.get(
                integration=integration, commit_sha=commit_sha, version=version
            ),
            False,
        )
    if created:
        _enqueue(report.pk)
    elif report.status == IntakeReportStatus.FAILED and retry_failed:
        IntakeReport.objects.filter(pk=report.pk, status=IntakeReportStatus.FAILED).update(
            status=IntakeReportStatus.PENDING, error=""
        )
        report.status, report.error = IntakeReportStatus.PENDING, ""
        _enqueue(report.pk)
    elif report.status == IntakeReportStatus.PENDING and retry_failed:
        _enqueue(report.pk)  # the first publish may have been lost with the broker
    return report


def intake_report_rerun(
    *, request: CertificationRequest, actor: Any, commit_sha: str = ""
) -> IntakeReport | None:
    """The partner's "re-run" (or a reviewer's "run the check"): for a draft, optionally
    move it to a newly pushed commit first, then ask for that commit's report."""
    partner_side = cert_perms.is_request_partner_editor(request, actor)
    if not (partner_side or roles.is_vendor_staff(actor)):
        raise ReviewError("Your role cannot run the intake check.", code="not_allowed")
    if request.is_final:
        raise ReviewError("This request is closed.", code="wrong_state")
    commit_sha = (commit_sha or "").strip().lower()
    if commit_sha and commit_sha != request.commit_sha.lower():
        if not partner_side or request.state != RequestState.DRAFT:
            raise ReviewError(
                "Only the partner can move a draft to another commit.", code="not_allowed"
            )
        request = cert_services.request_update_draft(
            request=request, actor=actor, commit_sha=commit_sha
        )
    if not request.commit_sha:
        raise ReviewError("Enter the commit to check in the first step of the wizard.")
    return intake_report_ensure(
        integration=request.integration,
        commit_sha=request.commit_sha,
        version=request.version,
        retry_failed=True,
    )


def intake_report_compute(*, report_id: int) -> IntakeReport | None:
    """Read the commit through GitHub and store the report's items (the Celery task's
    work). Safe to run twice: a finished report is left alone, and the items are written
    in one transaction with the finished state. GitHub errors propagate to the task."""
    report = IntakeReport.objects.select_related("integration").filter(pk=report_id).first()
    if report is None or report.status == IntakeReportStatus.DONE:
        return report
    IntakeReport.objects.filter(pk=report_id).update(
        status=IntakeReportStatus.RUNNING, started_at=timezone.now()
    )
    integration = report.integration
    calls_before = github.api_call_count()
    info = github.get_repository(
        full_name=integration.github_repo, repo_id=integration.github_repo_id
    )
    repo_key = info.id
    tree = github.list_tree(repo_key, report.commit_sha)
    result = engine.scan(
        tree=tree,
        private=info.private,
        version=report.version,
        read=lambda entry: github.read_blob(repo_key, entry.sha),
        limits=limits(),
        hash_key=settings.SECRET_KEY.encode(),
    )
    with transaction.atomic():
        locked = IntakeReport.objects.select_for_update().get(pk=report_id)
        if locked.status == IntakeReportStatus.DONE:
            return locked  # a concurrent run finished first
        IntakeReportItem.objects.filter(report=locked).delete()
        IntakeReportItem.objects.bulk_create(
            IntakeReportItem(
                report=locked,
                rule_id=item.rule.id,
                guideline_code=item.rule.guideline,
                severity=item.rule.severity,
                outcome=item.outcome,
                path=item.path[:400],
                line=item.line,
                excerpt=item.excerpt[:200],
                message=item.message[:300],
                value_hash=item.value_hash,
            )
            for item in result.items
        )
        locked.status = IntakeReportStatus.DONE
        locked.repo_private = info.private
        locked.files_total = result.files_total
        locked.files_read = result.files_read
        # Calls made by this process while computing (a worker runs one task at a time).
        locked.github_calls = max(0, github.api_call_count() - calls_before)
        locked.limited = result.limited
        locked.notes = result.notes
        locked.error = ""
        locked.finished_at = timezone.now()
        locked.save()
    return locked


def intake_report_mark_failed(*, report_id: int, error: str) -> None:
    """Record why a report could not be produced (shown to the partner and the reviewer;
    they may re-run it)."""
    IntakeReport.objects.filter(pk=report_id).exclude(status=IntakeReportStatus.DONE).update(
        status=IntakeReportStatus.FAILED, error=error[:2000], finished_at=timezone.now()
    )


def intake_report_mark_waiting(*, report_id: int, error: str) -> None:
    """A transient GitHub failure: the report stays queued, with the reason shown."""
    IntakeReport.objects.filter(pk=report_id).exclude(status=IntakeReportStatus.DONE).update(
        status=IntakeReportStatus.PENDING, error=error[:2000]
    )


# --- reviewer actions ------------------------------------------------------------------------


def intake_item_to_finding(
    *, item: IntakeReportItem, request: CertificationRequest, actor: Any
) -> Finding:
    """One click: record a report item as an intake finding with its guideline, severity,
    category and location filled in. An item becomes at most one finding."""
    if item.outcome != IntakeItemOutcome.FAIL:
        raise ReviewError("Only a problem the report found can become a finding.")
    rule = RULES_BY_ID.get(item.rule_id)
    where = f"{item.path}:{item.line}" if item.line else item.path
    note = "\n".join(
        filter(
            None,
            [
                f"Automated intake check: {item.message}",
                f"Location: {where} (commit {item.report.commit_sha[:12]})" if where else "",
                f"Line: {item.excerpt}" if item.excerpt else "",
                f"How to fix: {rule.fix}" if rule else "",
            ],
        )
    )
    title = (rule.title if rule else item.rule_id) + (f" — {item.path}" if item.path else "")
    with transaction.atomic():
        locked = IntakeReportItem.objects.select_for_update().get(pk=item.pk)
        if locked.finding_id:
            raise ReviewError("This item is already a finding.", code="conflict")
        finding = finding_add(
            request=request,
            actor=actor,
            stage=FindingStage.INTAKE if request.state == RequestState.SUBMITTED else None,
            guideline=Guideline.objects.filter(code=item.guideline_code).first(),
            category=rule.category if rule else "coding_practice",
            severity=FINDING_SEVERITY.get(item.severity, "minor"),
            title=title[:200],
            reviewer_note=note,
        )
        locked.finding = finding
        locked.save(update_fields=["finding"])
    return finding


# --- the intake guard (registered in ReviewsConfig.ready) -------------------------------------


def _current_report(request: CertificationRequest) -> IntakeReport | None:
    if not request.commit_sha:
        return None
    return IntakeReport.objects.filter(
        integration_id=request.integration_id,
        commit_sha=request.commit_sha.lower(),
        version=request.version.strip()[:40],
    ).first()


def intake_blockers(request: CertificationRequest) -> list[str]:
    """The report's blockers of the request's commit, as sentences (one per rule)."""
    report = _current_report(request)
    if report is None or report.status != IntakeReportStatus.DONE:
        return []
    first: dict[str, str] = {}
    for rule_id, code, message in report.items.filter(
        outcome=IntakeItemOutcome.FAIL, severity=BLOCKER
    ).values_list("rule_id", "guideline_code", "message"):
        first.setdefault(rule_id, f"{code}: {message}")
    return list(first.values())


def intake_record_override(
    *, request: CertificationRequest, actor: Any, reason: str, blockers: list[str]
) -> IntakeOverride:
    return IntakeOverride.objects.create(
        request=request,
        report=_current_report(request),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason,
        blockers=blockers,
    )
