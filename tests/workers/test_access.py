"""The repository-access service against the fake GitHub (real PyGithub underneath)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from certifications import services as cert_services
from certportal.models import Notification, UserProfile
from reviews import access
from reviews.models import GrantState, RepoAccessGrant
from tests.workers.conftest import REVIEWER_LOGIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(draft, partner_admin):
    return cert_services.request_submit(request=draft, actor=partner_admin)


def _states(integration) -> dict[str, str]:
    return dict(
        access.repo_access_grants_for(integration=integration).values_list("github_login", "state")
    )


def test_sync_invites_configured_and_assigned_reviewer(gh, submitted, reviewer, manager):
    UserProfile.objects.update_or_create(user=reviewer, defaults={"github_login": "Rev-Two"})
    cert_services.request_assign(request=submitted, reviewer=reviewer, actor=manager)

    result = access.repo_access_sync(request=submitted)

    integration = submitted.integration
    integration.refresh_from_db()
    assert integration.github_repo_id == gh.repo("acme/captions").id
    assert _states(integration) == {REVIEWER_LOGIN: "invited", "rev-two": "invited"}
    grant = RepoAccessGrant.objects.get(github_login="rev-two")
    assert grant.request_id == submitted.pk
    assert grant.permission == "pull"
    assert grant.invitation_id in gh.repo("acme/captions").invitations
    assert grant.last_checked_at is not None
    assert result.invited == 2
    assert {i.permission for i in gh.repo("acme/captions").invitations.values()} == {"pull"}


def test_sync_twice_changes_nothing(gh, submitted):
    access.repo_access_sync(request=submitted)
    gh.reset_counts()

    result = access.repo_access_sync(request=submitted)

    assert result.invited == 0
    assert gh.count("PUT *") == 0
    assert len(gh.repo("acme/captions").invitations) == 1


def test_public_repo_fails_with_plain_reason_and_flags_admins_and_staff(
    gh, submitted, partner_admin, manager
):
    gh.repo("acme/captions").private = False

    access.repo_access_sync(request=submitted)

    grant = RepoAccessGrant.objects.get()
    assert grant.state == GrantState.FAILED
    assert "is public" in grant.last_error
    assert "private" in grant.last_error
    assert gh.count("PUT *") == 0
    notified = set(
        Notification.objects.filter(event="github_access_failed").values_list(
            "recipient__username", flat=True
        )
    )
    assert {partner_admin.username, manager.username} <= notified


def test_missing_readme_fails(gh, submitted):
    gh.repo("acme/captions").readme = None

    access.repo_access_sync(request=submitted)

    grant = RepoAccessGrant.objects.get()
    assert grant.state == GrantState.FAILED
    assert "has no README" in grant.last_error
    assert gh.count("PUT *") == 0


def test_missing_commit_fails(gh, submitted):
    gh.repo("acme/captions").commits = {"f" * 40}

    access.repo_access_sync(request=submitted)

    grant = RepoAccessGrant.objects.get()
    assert grant.state == GrantState.FAILED
    assert submitted.commit_sha in grant.last_error


def test_failure_is_notified_once_then_recovers_when_fixed(gh, submitted):
    gh.repo("acme/captions").private = False
    access.repo_access_sync(request=submitted)
    access.repo_access_sync(request=submitted)
    first = Notification.objects.filter(event="github_access_failed").count()
    assert first >= 1

    access.repo_access_sync(request=submitted)  # still public: no new notice
    assert Notification.objects.filter(event="github_access_failed").count() == first

    gh.repo("acme/captions").private = True
    access.repo_access_sync(request=submitted)
    grant = RepoAccessGrant.objects.get()
    assert grant.state == GrantState.INVITED
    assert grant.last_error == ""


def test_rename_is_followed_by_id(gh, submitted):
    access.repo_access_sync(request=submitted)
    gh.rename_repo("acme/captions", "acme-inc/captions-v2")
    invitation_id = RepoAccessGrant.objects.get().invitation_id
    gh.accept_invitation(invitation_id)
    gh.reset_counts()

    access.repo_access_sync(request=submitted)

    assert RepoAccessGrant.objects.get().state == GrantState.ACTIVE
    assert gh.count("GET /repositories/*") >= 1
    assert gh.count("GET /repos/acme/captions*") == 0


def test_reconcile_marks_accepted_active_and_reinvites_expired(gh, submitted, reviewer, manager):
    UserProfile.objects.update_or_create(user=reviewer, defaults={"github_login": "rev-two"})
    cert_services.request_assign(request=submitted, reviewer=reviewer, actor=manager)
    access.repo_access_sync(request=submitted)
    accepted = RepoAccessGrant.objects.get(github_login=REVIEWER_LOGIN)
    expired = RepoAccessGrant.objects.get(github_login="rev-two")
    gh.accept_invitation(accepted.invitation_id)
    gh.expire_invitation(expired.invitation_id)

    summary = access.repo_access_reconcile()

    assert summary["integrations"] == 1
    accepted.refresh_from_db()
    expired.refresh_from_db()
    assert accepted.state == GrantState.ACTIVE
    assert expired.state == GrantState.INVITED
    repo = gh.repo("acme/captions")
    assert expired.invitation_id in repo.invitations
    assert not repo.invitations[expired.invitation_id].expired
    assert len(repo.invitations) == 1


def test_reconcile_never_runs_twice_at_once(gh, submitted):
    cache.add("reviews:repo-access:reconcile", "someone-else", 60)
    try:
        summary = access.repo_access_reconcile()
    finally:
        cache.delete("reviews:repo-access:reconcile")
    assert summary["skipped"] == 1
    assert gh.count("*") == 0


def test_sync_busy_when_same_repo_is_syncing(gh, submitted):
    key = f"reviews:repo-access:{submitted.integration_id}"
    cache.add(key, "someone-else", 60)
    try:
        with pytest.raises(access.SyncBusy):
            access.repo_access_sync(request=submitted)
    finally:
        cache.delete(key)


def test_revoke_on_close(gh, submitted, partner_admin, settings):
    settings.GITHUB_REVOKE_ON_CLOSE = True
    access.repo_access_sync(request=submitted)
    gh.accept_invitation(RepoAccessGrant.objects.get().invitation_id)
    gh.add_collaborator("acme/captions", "partner-own-dev", "push")
    access.repo_access_sync(request=submitted)

    cert_services.request_transition(request=submitted, name="withdraw", actor=partner_admin)
    access.repo_access_sync(request=submitted)

    grant = RepoAccessGrant.objects.get()
    assert grant.state == GrantState.REVOKED
    assert grant.revoked_at is not None
    collaborators = gh.repo("acme/captions").collaborators
    assert REVIEWER_LOGIN not in collaborators
    assert "partner-own-dev" in collaborators  # not a login the portal manages


def test_keep_after_close_then_revoke_when_idle(gh, submitted, partner_admin, settings):
    access.repo_access_sync(request=submitted)
    cert_services.request_transition(request=submitted, name="withdraw", actor=partner_admin)

    access.repo_access_sync(request=submitted)
    assert RepoAccessGrant.objects.get().state == GrantState.INVITED

    later = timezone.now() + dt.timedelta(days=settings.GITHUB_REVOKE_IDLE_DAYS + 1)
    access.repo_access_reconcile(now=later)
    assert RepoAccessGrant.objects.get().state == GrantState.REVOKED
    assert gh.repo("acme/captions").invitations == {}


def test_not_configured_keeps_grants_pending_with_visible_notice(submitted, settings):
    settings.GITHUB_TOKEN = ""
    settings.GITHUB_APP_ID = settings.GITHUB_APP_PRIVATE_KEY = ""
    settings.GITHUB_APP_INSTALLATION_ID = ""
    settings.GITHUB_REVIEWER_LOGINS = [REVIEWER_LOGIN]

    result = access.repo_access_sync(request=submitted)

    grant = RepoAccessGrant.objects.get()
    assert grant.state == GrantState.PENDING
    assert grant.last_error == "GitHub access is not configured"
    assert result.error == access.NOT_CONFIGURED


def test_unknown_login_fails_only_that_grant(gh, submitted, reviewer, manager):
    UserProfile.objects.update_or_create(user=reviewer, defaults={"github_login": "nobody-here"})
    gh.mark_user_missing("nobody-here")
    cert_services.request_assign(request=submitted, reviewer=reviewer, actor=manager)

    access.repo_access_sync(request=submitted)

    assert _states(submitted.integration) == {REVIEWER_LOGIN: "invited", "nobody-here": "failed"}
    assert "does not exist" in RepoAccessGrant.objects.get(github_login="nobody-here").last_error


def test_reviewer_change_moves_access(gh, submitted, reviewer, other_reviewer, manager):
    UserProfile.objects.update_or_create(user=reviewer, defaults={"github_login": "rev-one"})
    UserProfile.objects.update_or_create(user=other_reviewer, defaults={"github_login": "rev-two"})
    cert_services.request_assign(request=submitted, reviewer=reviewer, actor=manager)
    access.repo_access_sync(request=submitted)

    cert_services.request_assign(request=submitted, reviewer=other_reviewer, actor=manager)
    access.repo_access_sync(request=submitted)

    states = _states(submitted.integration)
    assert states == {REVIEWER_LOGIN: "invited", "rev-one": "revoked", "rev-two": "invited"}
    logins = {i.login for i in gh.repo("acme/captions").invitations.values()}
    assert logins == {REVIEWER_LOGIN, "rev-two"}


def test_selector_requires_a_target():
    with pytest.raises(ValueError, match="integration or a request"):
        access.repo_access_grants_for()
