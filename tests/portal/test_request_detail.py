import pytest
from django.urls import reverse

from certifications.enums import RequestState
from reviews.enums import FindingStatus

pytestmark = pytest.mark.django_db

SHA = "fedcba9876543210fedcba9876543210fedcba98"


def detail(request):
    return reverse("portal:request_detail", args=[request.pk])


def test_detail_shows_next_step_sla_timeline_and_findings(
    client, changes_requested, partner_viewer
):
    client.force_login(partner_viewer)
    body = client.get(detail(changes_requested)).content.decode()
    assert "Answer the findings" in body  # NEXT_STEP of changes_requested
    assert "Paused (waiting on partner)" in body
    assert "See the finding." in body  # timeline comment
    assert "Upload fails on large files" in body
    assert "User testing" in body  # finding stage group
    # viewers read only
    assert "Resubmit" not in body
    assert "Withdraw this request" not in body
    assert (
        'action="' + reverse("portal:finding_reply", args=[changes_requested.finding.pk])
        not in body
    )


def test_admin_sees_resubmit_and_withdraw(client, changes_requested, partner_admin):
    client.force_login(partner_admin)
    body = client.get(detail(changes_requested)).content.decode()
    assert "Resubmit" in body
    assert "Withdraw this request" in body


def test_developer_replies_and_marks_addressed(client, changes_requested, partner_developer):
    client.force_login(partner_developer)
    finding = changes_requested.finding
    url = reverse("portal:finding_reply", args=[finding.pk])
    response = client.post(url, {"body": "Fixed in the new commit.", "mark_addressed": "on"})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.status == FindingStatus.ADDRESSED
    assert finding.replies.get().body == "Fixed in the new commit."
    body = client.get(detail(changes_requested)).content.decode()
    assert "Fixed in the new commit." in body


def test_empty_reply_keeps_form(client, changes_requested, partner_developer):
    client.force_login(partner_developer)
    url = reverse("portal:finding_reply", args=[changes_requested.finding.pk])
    response = client.post(url, {"body": "", "mark_addressed": "on"})
    assert response.status_code == 200
    assert b"error-summary" in response.content


def test_viewer_cannot_reply(client, changes_requested, partner_viewer):
    client.force_login(partner_viewer)
    url = reverse("portal:finding_reply", args=[changes_requested.finding.pk])
    assert client.post(url, {"body": "hi"}).status_code == 403
    assert not changes_requested.finding.replies.exists()


def test_reply_other_tenant_404(client, changes_requested, other_partner_admin):
    client.force_login(other_partner_admin)
    url = reverse("portal:finding_reply", args=[changes_requested.finding.pk])
    assert client.post(url, {"body": "hi"}).status_code == 404


def test_resubmit(client, changes_requested, partner_admin):
    client.force_login(partner_admin)
    url = reverse("portal:request_resubmit", args=[changes_requested.pk])
    response = client.post(
        url, {"commit_sha": SHA, "change_summary": "Fixed uploads", "comment": "Please retest"}
    )
    assert response.status_code == 302
    changes_requested.refresh_from_db()
    assert changes_requested.state == RequestState.USER_TESTING
    assert changes_requested.commit_sha == SHA
    assert changes_requested.log.filter(transition="resubmit").get().comment == "Please retest"


def test_resubmit_invalid_keeps_input(client, changes_requested, partner_admin):
    client.force_login(partner_admin)
    url = reverse("portal:request_resubmit", args=[changes_requested.pk])
    response = client.post(url, {"commit_sha": "nothex", "change_summary": "Fixed uploads"})
    assert response.status_code == 200
    assert b"Fixed uploads" in response.content
    changes_requested.refresh_from_db()
    assert changes_requested.state == RequestState.CHANGES_REQUESTED


def test_resubmit_wrong_state_409(client, draft, partner_admin):
    client.force_login(partner_admin)
    url = reverse("portal:request_resubmit", args=[draft.pk])
    response = client.post(url, {"commit_sha": SHA, "change_summary": "x"})
    assert response.status_code == 409
    draft.refresh_from_db()
    assert draft.state == RequestState.DRAFT


def test_developer_cannot_resubmit_or_withdraw(client, changes_requested, partner_developer):
    client.force_login(partner_developer)
    assert (
        client.post(
            reverse("portal:request_resubmit", args=[changes_requested.pk]),
            {"commit_sha": SHA, "change_summary": "x"},
        ).status_code
        == 403
    )
    assert (
        client.post(reverse("portal:request_withdraw", args=[changes_requested.pk])).status_code
        == 403
    )
    changes_requested.refresh_from_db()
    assert changes_requested.state == RequestState.CHANGES_REQUESTED


def test_withdraw(client, draft, partner_admin):
    client.force_login(partner_admin)
    response = client.post(
        reverse("portal:request_withdraw", args=[draft.pk]), {"comment": "Not ready"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == RequestState.WITHDRAWN
    body = client.get(detail(draft)).content.decode()
    assert "Withdraw this request" not in body


def test_withdraw_wrong_state_409(client, certified, partner_admin):
    client.force_login(partner_admin)
    response = client.post(reverse("portal:request_withdraw", args=[certified.pk]))
    assert response.status_code == 409
    certified.refresh_from_db()
    assert certified.state == RequestState.CERTIFIED


def test_certificate_and_listing_preview(client, certified, partner_viewer, manager):
    from certifications import services

    services.request_transition(request=certified, name="publish", actor=manager)
    client.force_login(partner_viewer)
    body = client.get(detail(certified)).content.decode()
    assert reverse("portal:verify", args=[certified.certificate.verification_code]) in body
    assert "Marketplace listing preview" in body
