"""The reviewers' workspace rules (issue 15): automatic assignment by load with conflicts
and out-of-office skipped, manual override with a reason, finding disputes, the two-person
rule, review rounds, the compare API against the fake GitHub, and the "looks major" table."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from certifications import services as cert_services
from certifications.enums import RequestKind, RequestState
from certifications.models import SealApproval, TransitionLog
from certportal.errors import ProgramError
from reviews import services as review_services
from reviews.change_rules import looks_major
from reviews.enums import DisputeState, FindingStatus, ReplyKind
from reviews.models import CompareCache, ReviewerProfile, ReviewRound
from tests.factories import IntegrationFactory, draft_request, staff_user

pytestmark = pytest.mark.django_db

SHA1 = "1111111111111111111111111111111111111111"
SHA2 = "2222222222222222222222222222222222222222"
SHA3 = "3333333333333333333333333333333333333333"


def _profile(user, capacity, **kw):
    profile = ReviewerProfile.objects.create(user=user, capacity=capacity, **kw)
    return profile


def _submit(draft, admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return cert_services.request_submit(request=draft, actor=admin)


def _assign_log(request):
    return TransitionLog.objects.filter(request=request, transition="assign").last()


# --- automatic assignment ------------------------------------------------------------------


def test_auto_assign_picks_lowest_load_skips_conflict_and_away(
    eligible_partner, integration, partner_admin, reviewer, other_reviewer, manager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    busy = reviewer  # 1 open request already
    idle_conflicted = other_reviewer
    away = staff_user("reviewer-away-t", "Reviewer")
    picked = staff_user("reviewer-pick-t", "Reviewer")
    _profile(busy, 5)
    _profile(idle_conflicted, 5).conflicts.add(eligible_partner)
    today = timezone.localdate()
    _profile(
        away, 5, away_from=today - dt.timedelta(days=1), away_until=today + dt.timedelta(days=3)
    )
    _profile(picked, 2)
    first = draft_request(integration, actor=partner_admin, version="0.1.0")
    cert_services.request_submit(request=first, actor=partner_admin)
    review_services.assignment_set(request=first, reviewer=busy, actor=busy)
    other = IntegrationFactory(partner=eligible_partner, name="Acme Second")
    request = _submit(draft_request(other, actor=partner_admin), partner_admin,
                      django_capture_on_commit_callbacks)  # fmt: skip
    request.refresh_from_db()
    assert request.assigned_reviewer == picked
    log = _assign_log(request)
    assert log.actor is None
    assert (
        "Assigned automatically to" in log.comment
        and "lowest load (0 open of capacity 2)" in log.comment
    )
    assert "conflict of interest" in log.comment
    assert "out of office until" in log.comment
    assert ReviewRound.objects.get(request=request).commit_sha == request.commit_sha


def test_auto_assign_with_nobody_available_logs_why_and_leaves_unassigned(
    draft, partner_admin, reviewer, eligible_partner, django_capture_on_commit_callbacks
):
    _profile(reviewer, 1).conflicts.add(eligible_partner)
    request = _submit(draft, partner_admin, django_capture_on_commit_callbacks)
    request.refresh_from_db()
    assert request.assigned_reviewer is None
    assert "found no available reviewer" in _assign_log(request).comment


def test_auto_assign_respects_capacity(
    eligible_partner, integration, partner_admin, reviewer, django_capture_on_commit_callbacks
):
    _profile(reviewer, 1)
    first = _submit(draft_request(integration, actor=partner_admin, version="1.0.0"),
                    partner_admin, django_capture_on_commit_callbacks)  # fmt: skip
    second = _submit(draft_request(integration, actor=partner_admin, version="1.1.0"),
                     partner_admin, django_capture_on_commit_callbacks)  # fmt: skip
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.assigned_reviewer == reviewer
    assert second.assigned_reviewer is None
    assert "at capacity (1 of 1)" in _assign_log(second).comment


def test_manual_override_needs_a_reason_and_conflicts_are_refused(
    draft, partner_admin, reviewer, other_reviewer, manager, eligible_partner
):
    request = cert_services.request_submit(request=draft, actor=partner_admin)
    review_services.assignment_set(request=request, reviewer=reviewer, actor=reviewer)
    with pytest.raises(ProgramError, match="reason"):
        review_services.assignment_set(request=request, reviewer=other_reviewer, actor=manager)
    review_services.assignment_set(
        request=request, reviewer=other_reviewer, actor=manager, reason="Rita is on leave"
    )
    request.refresh_from_db()
    assert request.assigned_reviewer == other_reviewer
    assert _assign_log(request).comment.endswith(": Rita is on leave")
    review_services.reviewer_settings_save(
        reviewer=reviewer, actor=reviewer, away_from=None, away_until=None,
        conflicts=[eligible_partner],
    )  # fmt: skip
    with pytest.raises(ProgramError, match="conflict of interest") as exc:
        review_services.assignment_set(
            request=request, reviewer=reviewer, actor=reviewer, reason="x"
        )
    assert exc.value.code == "conflict"
    # A reviewer assigns only themselves.
    with pytest.raises(ProgramError) as exc:
        review_services.assignment_set(request=request, reviewer=manager, actor=other_reviewer)
    assert exc.value.code in ("not_allowed", "") or "not a reviewer" in exc.value.message


def test_declaring_a_conflict_unassigns_and_capacity_is_managers_only(
    draft, partner_admin, reviewer, manager, eligible_partner
):
    request = cert_services.request_submit(request=draft, actor=partner_admin)
    review_services.assignment_set(request=request, reviewer=reviewer, actor=reviewer)
    with pytest.raises(ProgramError) as exc:
        review_services.reviewer_settings_save(
            reviewer=reviewer, actor=reviewer, away_from=None, away_until=None, conflicts=[],
            capacity=9,
        )  # fmt: skip
    assert exc.value.code == "not_allowed"
    review_services.reviewer_settings_save(
        reviewer=reviewer, actor=reviewer, away_from=None, away_until=None,
        conflicts=[eligible_partner],
    )  # fmt: skip
    request.refresh_from_db()
    assert request.assigned_reviewer is None
    assert "conflict of interest declared" in _assign_log(request).comment
    profile = review_services.reviewer_settings_save(
        reviewer=reviewer, actor=manager, away_from=None, away_until=None,
        conflicts=[eligible_partner], capacity=4,
    )  # fmt: skip
    assert profile.capacity == 4


def test_bulk_assign_requires_reason_and_reports_refusals(draft, partner_admin, reviewer, manager):
    request = cert_services.request_submit(request=draft, actor=partner_admin)
    with pytest.raises(ProgramError, match="reason"):
        review_services.assignment_bulk(
            requests=[request], reviewer=reviewer, actor=manager, reason=" "
        )
    done, refused = review_services.assignment_bulk(
        requests=[request], reviewer=reviewer, actor=manager, reason="Balancing the load"
    )
    assert (done, refused) == (1, [])
    assert (
        _assign_log(request).comment
        == "Assigned to " + (reviewer.get_full_name() or reviewer.username) + ": Balancing the load"
    )


# --- finding conversations -----------------------------------------------------------------


@pytest.fixture
def in_testing(draft, partner_admin, reviewer):
    request = cert_services.request_submit(request=draft, actor=partner_admin)
    review_services.assignment_set(request=request, reviewer=reviewer, actor=reviewer)
    return cert_services.request_transition(request=request, name="intake_ok", actor=reviewer)


@pytest.fixture
def finding(in_testing, reviewer):
    return review_services.finding_add(
        request=in_testing, actor=reviewer, category="functional", severity="major",
        title="Upload fails", reviewer_note="Steps to reproduce",
    )  # fmt: skip


def test_dispute_round_trip_accepted_unblocks_the_stage(
    finding, in_testing, partner_admin, partner_viewer, reviewer, other_reviewer
):
    question = review_services.finding_reply(
        finding=finding, actor=reviewer, body="Which browser?", question=True
    )
    assert question.kind == ReplyKind.QUESTION
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN  # a question changes no state
    with pytest.raises(ProgramError) as exc:
        review_services.finding_dispute(finding=finding, actor=partner_viewer, reason="No")
    assert exc.value.code == "not_allowed"
    review_services.finding_dispute(
        finding=finding,
        actor=partner_admin,
        reason="Not a defect, because uploads over 2 GB are unsupported.",
    )
    finding.refresh_from_db()
    assert finding.dispute_state == DisputeState.OPEN
    with pytest.raises(ProgramError, match="already disputed"):
        review_services.finding_dispute(finding=finding, actor=partner_admin, reason="Again")
    with pytest.raises(ProgramError):  # stage still blocked while disputed
        cert_services.request_transition(request=in_testing, name="ut_pass", actor=reviewer)
    with pytest.raises(ProgramError) as exc:
        review_services.finding_dispute_decide(
            finding=finding, actor=other_reviewer, accept=True, reason="ok"
        )
    assert exc.value.code == "not_allowed"
    with pytest.raises(ProgramError, match="reason"):
        review_services.finding_dispute_decide(
            finding=finding, actor=reviewer, accept=True, reason=""
        )
    review_services.finding_dispute_decide(
        finding=finding, actor=reviewer, accept=True, reason="Documented limit; agreed."
    )
    finding.refresh_from_db()
    assert (finding.status, finding.dispute_state) == (
        FindingStatus.DISMISSED,
        DisputeState.ACCEPTED,
    )
    kinds = list(finding.replies.order_by("at", "id").values_list("kind", flat=True))
    assert kinds == [ReplyKind.QUESTION, ReplyKind.DISPUTE, ReplyKind.DISPUTE_ACCEPTED]
    request = cert_services.request_transition(request=in_testing, name="ut_pass", actor=reviewer)
    assert request.state == RequestState.CODE_REVIEW


def test_rejected_dispute_keeps_the_finding_open_and_can_be_disputed_again(
    finding, partner_admin, reviewer
):
    review_services.finding_dispute(finding=finding, actor=partner_admin, reason="Works for us")
    review_services.finding_dispute_decide(
        finding=finding, actor=reviewer, accept=False, reason="Reproduced on the test site"
    )
    finding.refresh_from_db()
    assert (finding.status, finding.dispute_state) == (FindingStatus.OPEN, DisputeState.REJECTED)
    with pytest.raises(ProgramError, match="no open dispute"):
        review_services.finding_dispute_decide(
            finding=finding, actor=reviewer, accept=True, reason="x"
        )
    review_services.finding_dispute(finding=finding, actor=partner_admin, reason="New evidence")
    finding.refresh_from_db()
    assert finding.dispute_state == DisputeState.OPEN


def test_internal_notes_are_reviewers_only(finding, partner_admin, reviewer):
    with pytest.raises(ProgramError) as exc:
        review_services.finding_note_internal(finding=finding, actor=partner_admin, body="x")
    assert exc.value.code == "not_allowed"
    note = review_services.finding_note_internal(
        finding=finding, actor=reviewer, body="Looks like G04"
    )
    assert note.internal and note.kind == ReplyKind.INTERNAL


# --- the two-person rule ---------------------------------------------------------------------


@pytest.fixture
def in_code_review(in_testing, reviewer):
    return cert_services.request_transition(request=in_testing, name="ut_pass", actor=reviewer)


def test_certify_needs_a_second_reviewer(in_code_review, reviewer, other_reviewer, manager):
    with pytest.raises(ProgramError, match="second reviewer") as exc:
        cert_services.request_transition(request=in_code_review, name="cr_pass", actor=reviewer)
    assert exc.value.code == "unmet"
    approval = cert_services.seal_approval_request(request=in_code_review, actor=reviewer)
    with pytest.raises(ProgramError, match="cannot approve your own") as exc:
        cert_services.seal_approval_decide(approval=approval, actor=reviewer, approve=True)
    assert exc.value.code == "not_allowed"
    with pytest.raises(ProgramError) as exc:  # managers are not reviewers
        cert_services.seal_approval_decide(approval=approval, actor=manager, approve=True)
    assert exc.value.code == "not_allowed"
    with pytest.raises(ProgramError):  # still pending
        cert_services.request_transition(request=in_code_review, name="cr_pass", actor=reviewer)
    cert_services.seal_approval_decide(approval=approval, actor=other_reviewer, approve=True)
    request = cert_services.request_transition(
        request=in_code_review, name="cr_pass", actor=reviewer
    )
    assert request.state == RequestState.CERTIFIED
    approval.refresh_from_db()
    assert approval.used_at is not None and approval.decided_by == other_reviewer
    names = list(request.log.values_list("transition", flat=True))
    assert names[-3:] == ["certify_approval_asked", "certify_approval_approved", "cr_pass"]


def test_declined_or_stale_approval_does_not_count(
    in_code_review, reviewer, other_reviewer, partner_admin
):
    approval = cert_services.seal_approval_request(request=in_code_review, actor=reviewer)
    with pytest.raises(ProgramError, match="why"):
        cert_services.seal_approval_decide(approval=approval, actor=other_reviewer, approve=False)
    cert_services.seal_approval_decide(
        approval=approval, actor=other_reviewer, approve=False, comment="Finding G04 not verified"
    )
    with pytest.raises(ProgramError):
        cert_services.request_transition(request=in_code_review, name="cr_pass", actor=reviewer)
    # An approval is for one commit: a new commit needs a new approval.
    again = cert_services.seal_approval_request(request=in_code_review, actor=reviewer)
    cert_services.seal_approval_decide(approval=again, actor=other_reviewer, approve=True)
    SealApproval.objects.filter(pk=again.pk).update(commit_sha="f" * 40)
    with pytest.raises(ProgramError, match="second reviewer"):
        cert_services.request_transition(request=in_code_review, name="cr_pass", actor=reviewer)


def test_two_person_rule_can_be_turned_off(in_code_review, reviewer, settings):
    settings.SEAL_TWO_PERSON_RULE = False
    request = cert_services.request_transition(
        request=in_code_review, name="cr_pass", actor=reviewer
    )
    assert request.state == RequestState.CERTIFIED


# --- what changed: rounds, the compare API, "looks major" ----------------------------------


def test_rounds_and_compare_against_fake_github(
    fake_github, in_testing, partner_admin, reviewer, django_capture_on_commit_callbacks
):
    repo = in_testing.integration.github_repo
    fake_github.add_repo(repo)
    fake_github.add_commit(repo, SHA1, files=["README.md"])
    fake_github.add_commit(repo, SHA2, message="Fix upload", files={"src/upload.php": "modified"})
    fake_github.add_commit(
        repo, SHA3, message="New page", files=["views/player.phtml", "src/auth/login.php"]
    )
    ReviewRound.objects.create(request=in_testing, number=1, commit_sha=SHA1, transition="submit",
                               started_at=timezone.now() - dt.timedelta(days=3))  # fmt: skip
    outcome = review_services.compare_commits_cached(repo=repo, base=SHA1, head=SHA3)
    assert outcome.comparison.total_commits == 2
    assert outcome.files == ("src/auth/login.php", "src/upload.php", "views/player.phtml")
    assert outcome.web_url.endswith(f"/compare/{SHA1}...{SHA3}")
    calls = fake_github.count("GET */compare/*")
    again = review_services.compare_commits_cached(repo=repo, base=SHA1, head=SHA3)
    assert again.files == outcome.files
    assert fake_github.count("GET */compare/*") == calls  # cached per commit pair
    assert CompareCache.objects.filter(repo=repo).count() == 1
    # A force-pushed commit: GitHub's 404, said clearly and stored.
    fake_github.drop_commit(repo, SHA2)
    gone = review_services.compare_commits_cached(repo=repo, base=SHA2, head=SHA3)
    assert gone.comparison is None
    assert "force-pushed" in gone.message
    # A resubmission records its round.
    cert_services.request_transition(
        request=in_testing, name="ut_changes", actor=reviewer, comment="fix"
    )
    with django_capture_on_commit_callbacks(execute=True):
        cert_services.request_transition(
            request=in_testing,
            name="resubmit",
            actor=partner_admin,
            commit_sha=SHA3,
            comment="Fixed",
        )
    assert list(in_testing.rounds.values_list("number", "commit_sha")) == [(1, SHA1), (2, SHA3)]


def test_compare_without_github_says_so(in_testing, settings):
    settings.GITHUB_TOKEN = ""
    settings.GITHUB_APP_ID = ""
    outcome = review_services.compare_commits_cached(repo="acme/x", base=SHA1, head=SHA2)
    assert outcome.comparison is None
    assert "GitHub is not configured" in outcome.message
    assert outcome.web_url == f"https://github.com/acme/x/compare/{SHA1}...{SHA2}"


def test_looks_major_rules():
    flags = {f.area: f.paths for f in looks_major([
        "src/upload.php", "templates/player.html", "lib/Auth/SessionToken.php",
        "config/permissions.yml", "README.md",
    ])}  # fmt: skip
    assert flags == {
        "UI templates": ("templates/player.html",),
        "Authentication": ("lib/Auth/SessionToken.php",),
        "Permissions": ("config/permissions.yml",),
    }
    assert looks_major(["src/upload.php", "docs/CHANGELOG.md"]) == []


def test_minor_update_touching_templates_is_flagged_on_the_page(
    fake_github, in_testing, reviewer, partner_admin
):
    from reviews.workspace_page import what_changed

    in_testing.kind = RequestKind.MINOR
    in_testing.commit_sha = SHA2
    in_testing.save(update_fields=["kind", "commit_sha"])
    repo = in_testing.integration.github_repo
    fake_github.add_repo(repo)
    fake_github.add_commit(repo, SHA1)
    fake_github.add_commit(repo, SHA2, files=["templates/player.html", "src/x.php"])
    earlier = timezone.now() - dt.timedelta(days=2)
    ReviewRound.objects.create(
        request=in_testing, number=1, commit_sha=SHA1, transition="submit", started_at=earlier
    )
    ReviewRound.objects.create(
        request=in_testing,
        number=2,
        commit_sha=SHA2,
        transition="resubmit",
        started_at=timezone.now(),
    )
    changes = what_changed(in_testing, findings=[])
    assert [(f.area, f.paths) for f in changes.major_flags] == [
        ("UI templates", ("templates/player.html",))
    ]
    assert changes.areas == [("src/", 1), ("templates/", 1)]


def test_revoking_a_seal_needs_a_second_person(
    in_code_review, reviewer, other_reviewer, manager, client, settings
):
    from certifications.models import Certificate, Listing
    from tests.factories import certify

    request = certify(in_code_review, reviewer=reviewer)
    request = cert_services.request_transition(request=request, name="publish", actor=manager)
    # The revoke transition is the rule's first step: it records a pending revocation.
    request = cert_services.request_transition(
        request=request, name="revoke", actor=manager, comment="CVE in the plugin"
    )
    assert request.state == RequestState.PUBLISHED
    approval = request.seal_approvals.get(action="revoke")
    assert approval.pending and approval.comment == "CVE in the plugin"
    with pytest.raises(ProgramError, match="different reviewer or manager must confirm"):
        cert_services.seal_approval_decide(approval=approval, actor=manager, approve=True)
    with pytest.raises(ProgramError, match="different reviewer or manager must confirm"):
        cert_services.request_transition(
            request=request, name="revoke", actor=manager, comment="Again"
        )
    cert_services.seal_approval_decide(approval=approval, actor=other_reviewer, approve=True)
    request.refresh_from_db()
    assert request.state == RequestState.REVOKED
    certificate = Certificate.objects.get(request=request)
    assert certificate.revoked_at is not None and certificate.revoked_by == other_reviewer
    assert certificate.revoked_reason == "CVE in the plugin"
    assert not Listing.objects.filter(integration_id=request.integration_id).exists()
    body = client.get(f"/verify/{certificate.verification_code}/").content.decode()
    assert "Revoked" in body
    assert list(request.log.values_list("transition", flat=True))[-2:] == [
        "revoke_asked",
        "revoke",
    ]


def test_revoking_with_the_rule_off_is_one_step(in_code_review, reviewer, manager, settings):
    from tests.factories import certify

    request = certify(in_code_review, reviewer=reviewer)
    settings.SEAL_TWO_PERSON_RULE = False
    assert cert_services.seal_revoke(request=request, actor=manager, reason="Broken") is None
    request.refresh_from_db()
    assert request.state == RequestState.REVOKED
    assert request.certificate.revoked_reason == "Broken"
