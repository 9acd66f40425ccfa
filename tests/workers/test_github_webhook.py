"""The GitHub App's webhook: signature, replays, fast answer with the work queued, and what
push / repository / member events do (tasks run eagerly here, as in-process runs do)."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from certifications import services as cert_services
from certportal.models import Notification
from reviews.intake import selectors as intake_selectors
from reviews.models import IntakeReport, IntakeReportStatus, WebhookDelivery, WebhookStatus
from tests.reviews import intake_trees as trees
from tests.workers.conftest import REVIEWER_LOGIN

pytestmark = pytest.mark.django_db

SECRET = "webhook-test-secret"
NEW = "d" * 40
URL = "/github/webhook/"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.GITHUB_WEBHOOK_SECRET = SECRET


def _post(client, event, payload, *, delivery="d-1", secret=SECRET, signature=None):
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.generic(
        "POST",
        URL,
        body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT=event,
        HTTP_X_GITHUB_DELIVERY=delivery,
        HTTP_X_HUB_SIGNATURE_256=signature if signature is not None else f"sha256={digest}",
    )


def _push(sha=NEW, ref="refs/heads/main", after=None):
    return {
        "ref": ref,
        "before": "0" * 40,
        "after": after or sha,
        "head_commit": {"id": sha},
        "repository": {"id": 700001, "full_name": "acme/captions", "private": True},
    }


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "sha1=abc"])
def test_bad_signature_is_refused_and_nothing_recorded(client, draft, signature):
    response = _post(client, "push", _push(), signature=signature)
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


def test_without_a_configured_secret_every_delivery_is_refused(client, draft, settings):
    settings.GITHUB_WEBHOOK_SECRET = ""
    assert _post(client, "push", _push(), secret="").status_code == 401


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405


# A branch push, and an annotated tag (whose "after" is the tag object, not the commit).
@pytest.mark.parametrize(
    "push", [_push(), _push(ref="refs/tags/v1.0.0", after="a" * 40)], ids=["branch", "tag"]
)
def test_push_offers_the_commit_and_reruns_the_report_for_the_draft(
    client, gh, draft, partner_admin, push, django_capture_on_commit_callbacks
):
    gh.add_files("acme/captions", NEW, trees.tree())
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, "push", push)
    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert (delivery.integration, delivery.head_sha) == (draft.integration, NEW)
    assert delivery.status == WebhookStatus.PROCESSED and "offered to 1 draft" in delivery.outcome
    report = IntakeReport.objects.get(commit_sha=NEW)
    assert report.status == IntakeReportStatus.DONE and report.version == draft.version
    assert intake_selectors.commit_offer_for(request=draft) == delivery
    client.force_login(partner_admin)
    page = client.get(f"/portal/requests/{draft.pk}/step/review/").content.decode()
    assert f"Use commit {NEW[:12]}" in page


def test_replayed_delivery_is_ignored(client, gh, draft, django_capture_on_commit_callbacks):
    gh.add_files("acme/captions", NEW, trees.tree())
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, "push", _push()).status_code == 202
    calls = gh.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        same_id = _post(client, "push", _push())
        same_body = _post(client, "push", _push(), delivery="d-2")  # captured, new id
    assert (same_id.status_code, same_body.status_code) == (200, 200)
    assert callbacks == [] and gh.count() == calls
    assert WebhookDelivery.objects.count() == 1


def test_unregistered_repository_is_logged_and_ignored(client, db):
    payload = {**_push(), "repository": {"id": 1, "full_name": "someone/else"}}
    assert _post(client, "push", payload).status_code == 202
    assert WebhookDelivery.objects.get().status == WebhookStatus.IGNORED


def test_repository_made_public_alerts_staff_and_reconciles_access(
    client, gh, draft, partner_admin, reviewer, manager, django_capture_on_commit_callbacks
):
    cert_services.request_submit(request=draft, actor=partner_admin)
    gh.reset_counts()
    payload = {"action": "publicized", "repository": _push()["repository"]}
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, "repository", payload).status_code == 202
    alerts = Notification.objects.filter(event="repository_public")
    assert {a.recipient for a in alerts} == {reviewer, manager}
    assert all("acme/captions" in a.subject for a in alerts)
    assert gh.count("GET */collaborators*") >= 1  # the sync ran at once


def test_reviewer_removed_alerts_and_reinvites(
    client, gh, draft, partner_admin, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cert_services.request_submit(request=draft, actor=partner_admin)
    invitations = gh.repo("acme/captions").invitations
    [invitation_id] = invitations
    gh.accept_invitation(invitation_id)
    gh.repo("acme/captions").collaborators.pop(REVIEWER_LOGIN)  # removed on github.com
    payload = {
        "action": "removed",
        "member": {"login": REVIEWER_LOGIN},
        "repository": _push()["repository"],
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, "member", payload).status_code == 202
    assert Notification.objects.filter(event="reviewer_access_removed").exists()
    assert [i.login for i in gh.repo("acme/captions").invitations.values()] == [REVIEWER_LOGIN]


def test_member_change_of_someone_else_does_not_alert(client, gh, draft):
    payload = {
        "action": "removed",
        "member": {"login": "intern"},
        "repository": _push()["repository"],
    }
    assert _post(client, "member", payload).status_code == 202
    assert not Notification.objects.filter(event="reviewer_access_removed").exists()


def test_staff_see_deliveries_partners_do_not(client, draft, reviewer, partner_admin):
    _post(client, "push", _push())
    url = reverse("admin:reviews_webhookdelivery_changelist")
    client.force_login(reviewer)
    page = client.get(url)
    assert page.status_code == 200 and "acme/captions" in page.content.decode()
    client.force_login(partner_admin)
    assert client.get(url).status_code in (302, 403)
