"""Every request transition: the allowed path and each refused one (wrong role, wrong
state, unmet condition), asserting the state and the log row."""

import pytest

from certifications import services
from certifications.enums import RequestState
from certifications.models import Certificate, Listing, TransitionLog
from certportal.errors import ProgramError
from partners import selectors as partner_selectors
from reviews import services as review_services
from reviews.enums import FindingStatus
from tests.factories import second_approval

pytestmark = pytest.mark.django_db


def _submitted(draft, admin, reviewer):
    request = services.request_submit(request=draft, actor=admin)
    return services.request_assign(request=request, reviewer=reviewer, actor=reviewer)


def _to(request, names, actor, **kw):
    for name in names:
        if name == "cr_pass":
            second_approval(request)  # the two-person rule
        request = services.request_transition(
            request=request, name=name, actor=actor, comment="because", **kw
        )
    return request


def _last_log(request):
    return TransitionLog.objects.filter(request=request).exclude(transition="assign").last()


def _refused(request, name, actor, code, **kw):
    before = request.state
    logs = TransitionLog.objects.filter(request=request).count()
    with pytest.raises(ProgramError) as exc:
        services.request_transition(request=request, name=name, actor=actor, comment="x", **kw)
    assert exc.value.code == code, exc.value.message
    request.refresh_from_db()
    assert request.state == before
    assert TransitionLog.objects.filter(request=request).count() == logs
    return exc.value


def test_submit_consumes_quota_and_logs(draft, partner_admin):
    agreement = partner_selectors.agreement_in_force(partner=draft.integration.partner)
    request = services.request_submit(request=draft, actor=partner_admin)
    assert request.state == RequestState.SUBMITTED
    log = _last_log(request)
    assert (log.transition, log.from_state, log.to_state, log.actor) == (
        "submit",
        "draft",
        "submitted",
        partner_admin,
    )
    assert partner_selectors.quota_summary(agreement=agreement)["major"].used == 1
    assert request.sla_due_at is not None


@pytest.mark.parametrize(
    "who", ["partner_developer", "partner_viewer", "reviewer", "manager", "other_partner_admin"]
)
def test_submit_refused_for_wrong_roles(draft, who, request):
    actor = request.getfixturevalue(who)
    with pytest.raises(ProgramError) as exc:
        services.request_submit(request=draft, actor=actor)
    assert exc.value.code == "not_allowed"
    draft.refresh_from_db()
    assert draft.state == RequestState.DRAFT


def test_submit_refused_when_package_incomplete(eligible_partner, integration, partner_admin):
    request = services.request_create(integration=integration, actor=partner_admin, version="9.0")
    with pytest.raises(ProgramError, match="The package is not complete") as exc:
        services.request_submit(request=request, actor=partner_admin)
    assert "Upload the User guide" in exc.value.message
    assert "commit SHA" in exc.value.message
    request.refresh_from_db()
    assert request.state == RequestState.DRAFT


def test_submit_refused_when_not_eligible(partner, integration, partner_admin):
    from tests.factories import complete_package

    request = services.request_create(integration=integration, actor=partner_admin, version="1.0")
    complete_package(request, actor=partner_admin)
    with pytest.raises(ProgramError, match="business review") as exc:
        services.request_submit(request=request, actor=partner_admin)
    assert exc.value.code == "unmet"


def test_submit_twice_is_wrong_state(draft, partner_admin):
    services.request_submit(request=draft, actor=partner_admin)
    with pytest.raises(ProgramError) as exc:
        services.request_submit(request=draft, actor=partner_admin)
    assert exc.value.code == "wrong_state"
    assert exc.value.status_code == 409


def test_reviewer_path_to_certified_issues_certificate(draft, partner_admin, reviewer, manager):
    request = _submitted(draft, partner_admin, reviewer)
    request = _to(request, ["intake_ok", "ut_pass", "cr_pass"], reviewer)
    assert request.state == RequestState.CERTIFIED
    certificate = Certificate.objects.get(request=request)
    agreement = partner_selectors.agreement_in_force(partner=request.integration.partner)
    assert certificate.valid_until == agreement.term_end
    assert certificate.commit_sha == request.commit_sha
    assert len(certificate.verification_code) >= 20
    request = _to(request, ["publish"], manager)
    assert request.state == RequestState.PUBLISHED
    assert Listing.objects.get(integration=request.integration).certificate == certificate
    assert [
        log.to_state
        for log in request.log.exclude(transition="assign").exclude(transition__contains="approval")
    ] == [
        "submitted",
        "user_testing",
        "code_review",
        "certified",
        "published",
    ]


@pytest.mark.parametrize("name", ["intake_ok", "intake_incomplete", "hold", "reject"])
def test_reviewer_transitions_refused_for_other_roles(
    draft, partner_admin, reviewer, other_reviewer, support_agent, name
):
    request = _submitted(draft, partner_admin, reviewer)
    for actor in (other_reviewer, support_agent, partner_admin):
        _refused(request, name, actor, "not_allowed")


def test_manager_may_hold_resume_and_reject_but_not_pass(draft, partner_admin, reviewer, manager):
    request = _submitted(draft, partner_admin, reviewer)
    request = _to(request, ["intake_ok"], reviewer)
    _refused(request, "ut_pass", manager, "not_allowed")
    request = _to(request, ["hold"], manager)
    assert request.state == RequestState.ON_HOLD
    assert request.sla_running_since is None
    request = _to(request, ["resume"], manager)
    assert request.state == RequestState.USER_TESTING
    request = _to(request, ["reject"], manager)
    assert request.state == RequestState.REJECTED


def test_wrong_state_transitions_are_refused(draft, partner_admin, reviewer, manager):
    request = _submitted(draft, partner_admin, reviewer)
    _refused(request, "ut_pass", reviewer, "wrong_state")
    _refused(request, "cr_pass", reviewer, "wrong_state")
    _refused(request, "publish", manager, "wrong_state")
    _refused(request, "resume", reviewer, "wrong_state")
    _refused(request, "resubmit", partner_admin, "wrong_state", commit_sha="abcdef1")


def test_comment_is_required_when_sending_back(draft, partner_admin, reviewer):
    request = _submitted(draft, partner_admin, reviewer)
    with pytest.raises(ProgramError, match="Add a comment"):
        services.request_transition(
            request=request, name="intake_incomplete", actor=reviewer, comment=""
        )


def test_user_testing_cannot_pass_with_open_finding(draft, partner_admin, reviewer):
    request = _to(_submitted(draft, partner_admin, reviewer), ["intake_ok"], reviewer)
    finding = review_services.finding_add(
        request=request,
        actor=reviewer,
        category="functional",
        severity="major",
        title="Broken",
        reviewer_note="n",
    )
    error = _refused(request, "ut_pass", reviewer, "unmet")
    assert "open finding" in error.message
    review_services.finding_reply(
        finding=finding, actor=partner_admin, body="fixed", mark_addressed=True
    )
    _refused(request, "ut_pass", reviewer, "unmet")  # addressed is not yet verified
    review_services.finding_set_status(
        finding=finding, actor=reviewer, status=FindingStatus.VERIFIED
    )
    request = _to(request, ["ut_pass"], reviewer)
    assert request.state == RequestState.CODE_REVIEW


def test_code_review_changes_go_back_through_user_testing(
    draft, partner_admin, reviewer, partner_developer
):
    request = _to(
        _submitted(draft, partner_admin, reviewer), ["intake_ok", "ut_pass", "cr_changes"], reviewer
    )
    assert request.state == RequestState.CHANGES_REQUESTED
    with pytest.raises(ProgramError) as exc:
        services.request_transition(
            request=request,
            name="resubmit",
            actor=partner_developer,
            comment="x",
            commit_sha="abcdef1",
        )
    assert exc.value.code == "not_allowed"
    with pytest.raises(ProgramError, match="commit SHA"):
        services.request_transition(
            request=request,
            name="resubmit",
            actor=partner_admin,
            comment="x",
            commit_sha="not-a-sha",
        )
    request = services.request_transition(
        request=request,
        name="resubmit",
        actor=partner_admin,
        comment="Fixed XSS",
        commit_sha="ABCDEF1234567",
    )
    assert request.state == RequestState.USER_TESTING
    assert request.commit_sha == "abcdef1234567"
    assert request.change_summary == "Fixed XSS"


def test_withdraw_before_review_refunds_quota(draft, partner_admin, reviewer):
    agreement = partner_selectors.agreement_in_force(partner=draft.integration.partner)
    request = services.request_submit(request=draft, actor=partner_admin)
    request = services.request_transition(request=request, name="withdraw", actor=partner_admin)
    assert request.state == RequestState.WITHDRAWN
    assert partner_selectors.quota_summary(agreement=agreement)["major"].used == 0


def test_withdraw_after_review_started_keeps_quota_used(draft, partner_admin, reviewer):
    agreement = partner_selectors.agreement_in_force(partner=draft.integration.partner)
    request = _to(_submitted(draft, partner_admin, reviewer), ["intake_ok", "ut_changes"], reviewer)
    request = services.request_transition(request=request, name="withdraw", actor=partner_admin)
    assert request.state == RequestState.WITHDRAWN
    assert partner_selectors.quota_summary(agreement=agreement)["major"].used == 1


def test_withdraw_refused_in_review_and_for_viewer(draft, partner_admin, reviewer, partner_viewer):
    request = _submitted(draft, partner_admin, reviewer)
    _refused(request, "withdraw", partner_viewer, "not_allowed")
    request = _to(request, ["intake_ok"], reviewer)
    _refused(request, "withdraw", partner_admin, "wrong_state")


def test_rejected_is_final(draft, partner_admin, reviewer):
    request = _to(_submitted(draft, partner_admin, reviewer), ["reject"], reviewer)
    for name in ("intake_ok", "withdraw", "resume", "hold"):
        _refused(request, name, reviewer if name != "withdraw" else partner_admin, "wrong_state")


def test_only_reviewers_can_be_assigned(draft, partner_admin, reviewer, other_reviewer, manager):
    request = services.request_submit(request=draft, actor=partner_admin)
    with pytest.raises(ProgramError):
        services.request_assign(request=request, reviewer=other_reviewer, actor=reviewer)
    with pytest.raises(ProgramError, match="not a reviewer"):
        services.request_assign(request=request, reviewer=manager, actor=manager)
    request = services.request_assign(request=request, reviewer=other_reviewer, actor=manager)
    assert request.assigned_reviewer == other_reviewer
    assert request.log.filter(transition="assign").count() == 1


def test_new_certificate_supersedes_previous_and_moves_listing(
    draft, partner_admin, reviewer, manager
):
    request = _to(
        _submitted(draft, partner_admin, reviewer), ["intake_ok", "ut_pass", "cr_pass"], reviewer
    )
    request = _to(request, ["publish"], manager)
    from tests.factories import UNCHANGED_DOCS

    update = services.request_start_update(
        certified=request,
        actor=partner_admin,
        version="1.0.1",
        change="minor",
        vendor_side_change=False,
        change_summary="Fix",
        docs_unchanged=UNCHANGED_DOCS,
    )
    from tests.factories import complete_package

    complete_package(update, actor=partner_admin)
    update = _to(
        _submitted(update, partner_admin, reviewer), ["intake_ok", "ut_pass", "cr_pass"], reviewer
    )
    old = request.certificate
    old.refresh_from_db()
    assert old.superseded_by == update.certificate
    assert Listing.objects.get(integration=request.integration).certificate == update.certificate


def test_verification_codes_start_with_a_letter_or_digit():
    from certifications.models import _verification_code

    assert all(_verification_code()[0].isalnum() for _ in range(500))
