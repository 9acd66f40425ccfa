"""The reviewers' additions to the request page (issue 15): the second-approval panel and
its forms, the reviewer's replies (question, internal note, canned response), dispute
verdicts, and "what changed" against the fake GitHub on both the back office and the
partner's page (a force-pushed commit is a clear message)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from certifications import services as cert_services
from certifications.enums import RequestState
from reviews import services as review_services
from reviews.enums import DisputeState, FindingStatus, ReplyKind
from reviews.models import CannedResponse, ReviewRound

pytestmark = pytest.mark.django_db

OLD = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
NEW = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"


def page(obj):
    return reverse("admin:certifications_certificationrequest_change", args=[obj.pk])


@pytest.fixture
def in_code_review(assigned, reviewer):
    for name in ("intake_ok", "ut_pass"):
        assigned = cert_services.request_transition(request=assigned, name=name, actor=reviewer)
    return assigned


def test_second_approval_through_the_page(client, in_code_review, reviewer, other_reviewer):
    client.force_login(reviewer)
    body = client.get(page(in_code_review)).content.decode()
    assert "Ask for a second approval" in body
    assert 'value="cr_pass"' not in body  # the condition hides the button
    client.post(reverse("admin:review_seal_ask", args=[in_code_review.pk]), {"comment": "Ready"})
    approval = in_code_review.seal_approvals.get()
    # The asking reviewer sees no approve button and is refused if they post anyway.
    assert "Approve the certification" not in client.get(page(in_code_review)).content.decode()
    decide = reverse("admin:review_seal_decide", args=[in_code_review.pk, approval.pk])
    followed = client.post(decide, {"decision": "approve"}, follow=True)
    assert "cannot approve your own certification" in followed.content.decode()
    client.force_login(other_reviewer)
    assert "Approve the certification" in client.get(page(in_code_review)).content.decode()
    client.post(decide, {"decision": "approve"})
    client.force_login(reviewer)
    assert 'value="cr_pass"' in client.get(page(in_code_review)).content.decode()
    client.post(reverse("admin:review_transition", args=[in_code_review.pk]), {"name": "cr_pass"})
    in_code_review.refresh_from_db()
    assert in_code_review.state == RequestState.CERTIFIED


def test_revocation_through_the_page_needs_a_second_person(
    client, in_code_review, reviewer, other_reviewer, manager
):
    from tests.factories import certify

    certified = certify(in_code_review, reviewer=reviewer)
    client.force_login(manager)
    assert "Ask to revoke the seal" in client.get(page(certified)).content.decode()
    ask = reverse("admin:review_seal_ask", args=[certified.pk])
    client.post(ask, {"action": "revoke", "comment": "Leaks the admin secret"})
    approval = certified.seal_approvals.get(action="revoke")
    body = client.get(page(certified)).content.decode()
    assert "Revocation pending" in body and "Leaks the admin secret" in body
    assert "Withdraw my revocation" in body and "Confirm: revoke the seal" not in body
    decide = reverse("admin:review_seal_decide", args=[certified.pk, approval.pk])
    followed = client.post(decide, {"decision": "approve"}, follow=True).content.decode()
    assert "different reviewer or manager must confirm" in followed
    client.force_login(reviewer)  # the assigned reviewer is a different person: may confirm
    assert "Confirm: revoke the seal" in client.get(page(certified)).content.decode()
    client.post(decide, {"decision": "approve"})
    certified.refresh_from_db()
    assert certified.state == RequestState.REVOKED
    assert certified.certificate.revoked_by == reviewer


def test_reviewer_replies_notes_canned_and_dispute_verdict(
    client, assigned, reviewer, partner_admin
):
    finding = review_services.finding_add(
        request=assigned, actor=reviewer, category="functional", severity="major",
        title="Upload fails", reviewer_note="Steps",
    )  # fmt: skip
    canned = CannedResponse.objects.create(title="Need steps", body="Please send the exact steps.")
    client.force_login(reviewer)
    assert "Need steps" in client.get(page(assigned)).content.decode()
    url = reverse("admin:review_finding_reply", args=[assigned.pk, finding.pk])
    client.post(url, {"kind": ReplyKind.QUESTION, "canned": str(canned.pk), "body": ""})
    client.post(url, {"kind": ReplyKind.INTERNAL, "body": "Probably G04"})
    replies = list(finding.replies.order_by("id").values_list("kind", "internal", "body"))
    assert replies == [
        (ReplyKind.QUESTION, False, "Please send the exact steps."),
        (ReplyKind.INTERNAL, True, "Probably G04"),
    ]
    review_services.finding_dispute(finding=finding, actor=partner_admin, reason="By design")
    body = client.get(page(assigned)).content.decode()
    assert "Accept: not a defect" in body and "Internal note" in body
    dispute = reverse("admin:review_finding_dispute", args=[assigned.pk, finding.pk])
    client.post(dispute, {"verdict": "accept", "reason": ""})  # no reason: refused
    finding.refresh_from_db()
    assert finding.dispute_state == DisputeState.OPEN
    client.post(dispute, {"verdict": "accept", "reason": "Agreed"})
    finding.refresh_from_db()
    assert (finding.status, finding.dispute_state) == (
        FindingStatus.DISMISSED,
        DisputeState.ACCEPTED,
    )


def test_partner_disputes_from_the_portal(
    client, assigned, reviewer, partner_admin, other_partner_admin
):
    finding = review_services.finding_add(
        request=assigned, actor=reviewer, category="functional", severity="major",
        title="Upload fails", reviewer_note="Steps",
    )  # fmt: skip
    url = reverse("portal:finding_dispute", args=[finding.pk])
    client.force_login(other_partner_admin)
    assert client.post(url, {"reason": "x"}).status_code == 404
    client.force_login(partner_admin)
    detail = reverse("portal:request_detail", args=[assigned.pk])
    assert "Dispute this finding" in client.get(detail).content.decode()
    response = client.post(url, {"reason": ""}, follow=True)
    assert "explain why this is not a defect" in response.content.decode()
    client.post(url, {"reason": "Not a defect, because it is documented."})
    finding.refresh_from_db()
    assert finding.dispute_state == DisputeState.OPEN
    body = client.get(detail).content.decode()
    assert "Disputed, waiting for the reviewer" in body and "Dispute this finding" not in body


def test_what_changed_against_fake_github_on_both_pages(
    client, fake_github, assigned, reviewer, partner_admin
):
    repo = assigned.integration.github_repo
    fake_github.add_repo(repo)
    fake_github.add_commit(repo, OLD)
    fake_github.add_commit(repo, NEW, message="Fix upload", files=["src/upload.php"])
    now = timezone.now()
    ReviewRound.objects.create(request=assigned, number=1, commit_sha=OLD, transition="submit",
                               started_at=now)  # fmt: skip
    type(assigned).objects.filter(pk=assigned.pk).update(commit_sha=NEW)
    ReviewRound.objects.create(request=assigned, number=2, commit_sha=NEW, transition="resubmit",
                               started_at=now)  # fmt: skip
    client.force_login(reviewer)
    body = client.get(page(assigned)).content.decode()
    assert "src/upload.php" in body and "Fix upload" in body
    assert f"/compare/{OLD}...{NEW}" in body
    assert "Areas the change touched" in body
    client.force_login(partner_admin)
    body = client.get(reverse("portal:request_detail", args=[assigned.pk])).content.decode()
    assert "src/upload.php" in body
    # Force-pushed away: a clear message instead of the list (once cached per pair).
    other = "cccccccccccccccccccccccccccccccccccccccc"
    ReviewRound.objects.filter(request=assigned, number=1).update(commit_sha=other)
    # update() sends no signal: bump the request's page-cache scope as a service would
    from certportal import pagecache

    pagecache.bump(f"request:{assigned.pk}")
    client.force_login(reviewer)
    body = client.get(page(assigned)).content.decode()
    assert "may have been force-pushed away" in body
