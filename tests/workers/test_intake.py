"""The intake report end to end against the fake GitHub: computed once per commit through
the trees and blobs API, secrets never stored in full, blockers guarding intake with the
reviewer's override, one click from item to finding, and a real worker running the task."""

from __future__ import annotations

import logging
import time

import pytest
from django.db import connection

from certifications import services as cert_services
from certifications.enums import RequestState
from reviews.intake import selectors as intake_selectors
from reviews.intake import services as intake
from reviews.models import (
    IntakeOverride,
    IntakeReport,
    IntakeReportItem,
    IntakeReportStatus,
)
from reviews.tasks import task_intake_report
from tests.reviews import intake_trees as trees
from tests.workers.conftest import SHA

pytestmark = pytest.mark.django_db

FIX = "b" * 40


@pytest.fixture
def repo(gh):
    gh.add_files("acme/captions", SHA, trees.tree())
    return gh


def _report(draft, django_capture_on_commit_callbacks) -> IntakeReport:
    with django_capture_on_commit_callbacks(execute=True):
        intake.intake_report_ensure(
            integration=draft.integration, commit_sha=draft.commit_sha, version=draft.version
        )
    return IntakeReport.objects.get(integration=draft.integration, commit_sha=draft.commit_sha)


def test_clean_repository_report_has_no_problem_and_few_calls(
    repo, draft, django_capture_on_commit_callbacks
):
    report = _report(draft, django_capture_on_commit_callbacks)
    assert report.status == IntakeReportStatus.DONE and report.repo_private is True
    assert not report.items.filter(outcome="fail").exists()
    assert report.files_total == len(trees.CLEAN)
    # Repository + tree + the text files the rules read; vendor/, build/ and the PNG are not.
    assert repo.count("GET */git/trees/*") == 1
    assert report.github_calls == 2 + report.files_read < 2 + report.files_total
    assert repo.count("GET */git/blobs/*") == report.files_read


def test_report_is_computed_once_per_commit(repo, draft, django_capture_on_commit_callbacks):
    _report(draft, django_capture_on_commit_callbacks)
    calls = repo.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = intake.intake_report_rerun(request=draft, actor=draft.created_by)
    assert callbacks == [] and again.status == IntakeReportStatus.DONE
    task_intake_report.apply(kwargs={"report_id": again.pk})  # a redelivered task
    assert repo.count() == calls
    assert IntakeReport.objects.count() == 1


def test_secret_is_never_stored_logged_or_shown(
    gh, draft, partner_admin, client, caplog, django_capture_on_commit_callbacks
):
    gh.add_files("acme/captions", SHA, trees.tree(trees.DIRTY["secret-token"]))
    caplog.set_level(logging.DEBUG)
    report = _report(draft, django_capture_on_commit_callbacks)
    item = report.items.get(rule_id="secret-token", outcome="fail")
    assert (item.path, item.line) == ("assets/sync.js", 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM reviews_intakereportitem")
        dump = repr(cursor.fetchall())
    assert trees.GH_TOKEN not in dump and trees.GH_TOKEN[:12] not in dump
    assert trees.GH_TOKEN not in caplog.text
    client.force_login(partner_admin)
    page = client.get(f"/portal/requests/{draft.pk}/step/review/").content.decode()
    assert "API token in code" in page and trees.GH_TOKEN not in page


def test_permanent_github_error_is_recorded_for_people(
    gh, draft, django_capture_on_commit_callbacks
):
    # The draft's commit is not in the repository's trees and not a commit: GitHub says 422.
    gh.repo("acme/captions").commits.clear()
    gh.add_files("acme/captions", FIX, trees.tree())
    report = _report(draft, django_capture_on_commit_callbacks)
    assert report.status == IntakeReportStatus.FAILED
    assert "not found" in report.error


def test_rate_limit_is_retried_not_slept_on(gh, repo, draft, django_capture_on_commit_callbacks):
    gh.rate_limit_next("GET */git/trees/*", reset_in=3600)
    started = time.monotonic()
    report = _report(draft, django_capture_on_commit_callbacks)
    assert time.monotonic() - started < 5
    # Eager (in-process) runs never wait: the report says to try again; a re-run works.
    assert report.status == IntakeReportStatus.FAILED and "rate limit" in report.error
    with django_capture_on_commit_callbacks(execute=True):
        intake.intake_report_rerun(request=draft, actor=draft.created_by)
    report.refresh_from_db()
    assert report.status == IntakeReportStatus.DONE


def _submitted_with_report(gh, draft, partner_admin, reviewer, files, callbacks):
    gh.add_files("acme/captions", SHA, files)
    with callbacks(execute=True):
        cert_services.request_submit(request=draft, actor=partner_admin)
    cert_services.request_assign(request=draft, reviewer=reviewer, actor=reviewer)
    draft.refresh_from_db()
    return draft


def test_public_repository_blocks_intake_until_overridden(
    gh, draft, partner_admin, reviewer, django_capture_on_commit_callbacks
):
    gh.repo("acme/captions").private = False
    req = _submitted_with_report(
        gh, draft, partner_admin, reviewer, trees.tree(), django_capture_on_commit_callbacks
    )
    assert IntakeReport.objects.get().status == IntakeReportStatus.DONE  # queued on submit

    with pytest.raises(cert_services.CertificationError, match="Intake is blocked: G02"):
        cert_services.request_transition(request=req, name="intake_ok", actor=reviewer)
    req.refresh_from_db()
    assert req.state == RequestState.SUBMITTED and not IntakeOverride.objects.exists()

    cert_services.request_transition(
        request=req, name="intake_ok", actor=reviewer, override_reason="Made private today."
    )
    req.refresh_from_db()
    assert req.state == RequestState.USER_TESTING
    override = IntakeOverride.objects.get()
    assert (override.actor, override.reason) == (reviewer, "Made private today.")
    assert override.blockers == ["G02: The repository is public on GitHub."]
    assert "Made private today." in req.log.get(transition="intake_ok").comment


def test_clean_report_lets_intake_pass(
    gh, draft, partner_admin, reviewer, django_capture_on_commit_callbacks
):
    req = _submitted_with_report(
        gh, draft, partner_admin, reviewer, trees.tree(), django_capture_on_commit_callbacks
    )
    cert_services.request_transition(request=req, name="intake_ok", actor=reviewer)
    req.refresh_from_db()
    assert req.state == RequestState.USER_TESTING and not IntakeOverride.objects.exists()


def test_item_becomes_a_prefilled_finding_once(
    gh, draft, partner_admin, reviewer, django_capture_on_commit_callbacks
):
    req = _submitted_with_report(
        gh,
        draft,
        partner_admin,
        reviewer,
        trees.tree(trees.DIRTY["debug-log-php"]),
        django_capture_on_commit_callbacks,
    )
    item = IntakeReportItem.objects.get(rule_id="debug-log-php", outcome="fail")
    with pytest.raises(intake.ReviewError, match="assigned reviewer"):
        intake.intake_item_to_finding(item=item, request=req, actor=partner_admin)
    finding = intake.intake_item_to_finding(item=item, request=req, actor=reviewer)
    assert (finding.guideline.code, finding.severity, finding.stage) == ("G08", "minor", "intake")
    assert "src/Captions.php:2" in finding.reviewer_note
    with pytest.raises(intake.ReviewError, match="already a finding"):
        intake.intake_item_to_finding(item=item, request=req, actor=reviewer)


def test_rerun_moves_the_draft_to_a_pushed_commit(
    repo, draft, partner_admin, partner_viewer, django_capture_on_commit_callbacks
):
    repo.add_files("acme/captions", FIX, trees.tree(trees.DIRTY["changelog-version"]))
    with django_capture_on_commit_callbacks(execute=True):
        report = intake.intake_report_rerun(request=draft, actor=partner_admin, commit_sha=FIX)
    draft.refresh_from_db()
    assert draft.commit_sha == FIX
    report.refresh_from_db()
    assert report.commit_sha == FIX and report.status == IntakeReportStatus.DONE
    panel = intake_selectors.intake_panel(request=draft)
    assert panel.problems == 1 and panel.rows[0].rule.id == "changelog-version"
    with pytest.raises(intake.ReviewError):
        intake.intake_report_rerun(request=draft, actor=partner_viewer)


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_real_worker_runs_the_report_task(celery_worker, repo, draft):
    from tests.workers.test_worker import wait_for

    intake.intake_report_ensure(
        integration=draft.integration, commit_sha=draft.commit_sha, version=draft.version
    )  # outside a transaction: published at once, to the worker on Redis
    wait_for(lambda: IntakeReport.objects.filter(status=IntakeReportStatus.DONE).exists())
    report = IntakeReport.objects.get()
    assert report.items.count() >= 20 and not report.items.filter(outcome="fail").exists()
