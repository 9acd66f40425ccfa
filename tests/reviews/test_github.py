"""reviews.github against the fake GitHub server: real PyGithub, real HTTP, no mocks."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from devtools.fakegithub import FakeGitHub
from reviews import github
from reviews.github import (
    GitHubNotConfigured,
    GitHubPermanentError,
    GitHubTransientError,
    InviteResult,
    RepoInfo,
)

SHA = "3f786850e387550fdab836ed7e6dc881de23001b"


@pytest.fixture
def repo(fake_github: FakeGitHub) -> RepoInfo:
    fake_github.add_repo("acme/captions", private=True, commits=[SHA])
    info = github.get_repository("acme/captions")
    fake_github.reset_counts()
    return info


# --- configuration --------------------------------------------------------------------


def test_is_configured_with_token(settings):
    settings.GITHUB_TOKEN = "t"
    settings.GITHUB_APP_ID = ""
    assert github.is_configured()


def test_is_configured_requires_all_app_credentials(settings):
    settings.GITHUB_TOKEN = ""
    settings.GITHUB_APP_ID = "12"
    settings.GITHUB_APP_PRIVATE_KEY = "key"
    settings.GITHUB_APP_INSTALLATION_ID = ""
    assert not github.is_configured()
    settings.GITHUB_APP_INSTALLATION_ID = "34"
    assert github.is_configured()


def test_not_configured_raises(settings):
    settings.GITHUB_TOKEN = ""
    settings.GITHUB_APP_ID = ""
    settings.GITHUB_APP_PRIVATE_KEY = ""
    settings.GITHUB_APP_INSTALLATION_ID = ""
    with pytest.raises(GitHubNotConfigured, match="GITHUB_TOKEN"):
        github.get_repository("acme/captions")


def test_incomplete_app_credentials_name_what_is_missing(settings):
    settings.GITHUB_TOKEN = ""
    settings.GITHUB_APP_ID = "12"
    settings.GITHUB_APP_PRIVATE_KEY = ""
    settings.GITHUB_APP_INSTALLATION_ID = ""
    with pytest.raises(
        GitHubNotConfigured, match="GITHUB_APP_PRIVATE_KEY, GITHUB_APP_INSTALLATION_ID"
    ):
        github.has_readme("acme/captions")


@pytest.fixture(scope="module")
def app_private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def app_settings(fake_github, settings, app_private_key):
    settings.GITHUB_TOKEN = ""
    settings.GITHUB_APP_ID = "12345"
    settings.GITHUB_APP_PRIVATE_KEY = app_private_key
    settings.GITHUB_APP_INSTALLATION_ID = "678"
    return settings


def test_app_installation_auth_mints_one_token_and_reuses_it(fake_github, app_settings):
    fake_github.add_repo("acme/captions")

    info = github.get_repository("acme/captions")
    assert github.has_readme(info)

    assert fake_github.count("POST /app/installations/678/access_tokens") == 1
    used = {r.authorization for r in fake_github.requests if r.path.startswith("/repos")}
    assert used == {f"token {t}" for t in fake_github.installation_tokens}


def test_app_installation_not_found_is_permanent_and_names_the_settings(fake_github, app_settings):
    fake_github.not_found_next("POST /app/installations/*")
    with pytest.raises(GitHubPermanentError, match="GITHUB_APP_INSTALLATION_ID") as exc_info:
        github.get_repository("acme/captions")
    assert exc_info.value.status == 404


def test_app_private_key_that_cannot_sign_is_not_configured(fake_github, app_settings):
    app_settings.GITHUB_APP_PRIVATE_KEY = "not a key"
    with pytest.raises(GitHubNotConfigured, match="GITHUB_APP_PRIVATE_KEY"):
        github.get_repository("acme/captions")


def test_wrong_token_is_permanent_and_names_the_setting(fake_github, settings):
    settings.GITHUB_TOKEN = "not-the-token"
    fake_github.add_repo("acme/captions")
    with pytest.raises(GitHubPermanentError, match="GITHUB_TOKEN") as exc_info:
        github.get_repository("acme/captions")
    assert exc_info.value.status == 401


# --- repositories -----------------------------------------------------------------------


def test_get_repository_by_name(fake_github):
    fake = fake_github.add_repo("acme/captions", private=True, default_branch="trunk")
    info = github.get_repository("acme/captions")
    assert info == RepoInfo(
        id=fake.id,
        full_name="acme/captions",
        private=True,
        default_branch="trunk",
        html_url=f"{fake_github.base_url}/acme/captions",
    )


def test_get_repository_by_id_prefers_id_and_survives_rename(fake_github):
    fake = fake_github.add_repo("acme/captions")
    fake_github.rename_repo("acme/captions", "acme-inc/captions-plugin")

    info = github.get_repository("acme/captions", repo_id=fake.id)

    assert info.full_name == "acme-inc/captions-plugin"
    assert fake_github.count("GET /repositories/*") == 1
    assert fake_github.count("GET /repos/acme/*") == 0


def test_get_repository_by_old_name_follows_redirect(fake_github):
    fake = fake_github.add_repo("acme/captions")
    fake_github.rename_repo("acme/captions", "acme/captions-plugin")
    assert github.get_repository("acme/captions").id == fake.id


def test_public_repository_is_reported_public(fake_github):
    fake_github.add_repo("acme/open", private=False)
    assert github.get_repository("acme/open").private is False


def test_missing_repository_is_permanent_with_plain_reason(fake_github):
    with pytest.raises(GitHubPermanentError) as exc_info:
        github.get_repository("acme/captions")
    assert exc_info.value.status == 404
    assert exc_info.value.reason == (
        "The repository acme/captions was not found. It may have been renamed or deleted, "
        "or the vendor's GitHub account has no access to it."
    )


def test_get_repository_needs_a_name_or_id():
    with pytest.raises(ValueError, match="full_name or repo_id"):
        github.get_repository()


# --- README and commits -------------------------------------------------------------------


def test_has_readme_true(fake_github, repo):
    assert github.has_readme(repo) is True
    assert fake_github.count() == 1


def test_has_readme_false_when_absent(fake_github, repo):
    fake_github.repo("acme/captions").readme = None
    assert github.has_readme(repo) is False


def test_has_readme_on_deleted_repo_raises_not_found(fake_github, repo):
    fake_github.delete_repo("acme/captions")
    with pytest.raises(GitHubPermanentError, match="acme/captions was not found"):
        github.has_readme(repo)


def test_commit_exists(fake_github, repo):
    assert github.commit_exists(repo, SHA) is True
    assert github.commit_exists(repo, SHA[:7]) is True


def test_commit_missing(fake_github, repo):
    assert github.commit_exists(repo, "0" * 40) is False


def test_commit_in_empty_repository_is_missing(fake_github):
    fake_github.add_repo("acme/empty", commits=[])
    assert github.commit_exists("acme/empty", SHA) is False


def test_commit_exists_rejects_branch_names_without_calling_github(fake_github, repo):
    assert github.commit_exists(repo, "main") is False
    assert fake_github.count() == 0


# --- collaborators and invitations ----------------------------------------------------------


def test_invite_returns_invitation_id(fake_github, repo):
    result = github.invite_collaborator(repo, "rita-reviewer")

    fake_repo = fake_github.repo("acme/captions")
    (invitation,) = fake_repo.invitations.values()
    assert result == InviteResult(state="invited", invitation_id=invitation.id)
    assert invitation.login == "rita-reviewer"
    assert invitation.permission == "pull"


def test_invite_twice_returns_the_same_invitation(fake_github, repo):
    first = github.invite_collaborator(repo, "rita-reviewer")
    second = github.invite_collaborator(repo, "rita-reviewer")
    assert first == second


def test_invite_existing_collaborator_is_active(fake_github, repo):
    fake_github.add_collaborator("acme/captions", "rita-reviewer", "pull")
    assert github.invite_collaborator(repo, "rita-reviewer") == InviteResult(state="active")


def test_invite_unknown_user_is_permanent_with_plain_reason(fake_github, repo):
    fake_github.mark_user_missing("ghost")
    with pytest.raises(GitHubPermanentError, match="The GitHub user 'ghost' does not exist"):
        github.invite_collaborator(repo, "ghost")


def test_invite_rejected_by_validation_is_permanent(fake_github, repo):
    with pytest.raises(
        GitHubPermanentError, match="Repository owner cannot be a collaborator"
    ) as exc_info:
        github.invite_collaborator(repo, "acme")
    assert exc_info.value.status == 422


def test_invite_rejects_unknown_permission(repo):
    with pytest.raises(ValueError, match="permission"):
        github.invite_collaborator(repo, "rita-reviewer", permission="write")


def test_list_access_reflects_invitations_collaborators_and_expiry(fake_github, repo):
    fake_github.add_collaborator("acme/captions", "olga-owner-dev", "admin")
    accepted = github.invite_collaborator(repo, "rita-reviewer", permission="push")
    stale = github.invite_collaborator(repo, "sam-reviewer")
    fake_github.accept_invitation(accepted.invitation_id)
    fake_github.expire_invitation(stale.invitation_id)

    snapshot = github.list_access(repo)

    assert {(c.login, c.permission) for c in snapshot.collaborators} == {
        ("olga-owner-dev", "admin"),
        ("rita-reviewer", "push"),
    }
    assert snapshot.collaborator_logins == {"olga-owner-dev", "rita-reviewer"}
    (invitation,) = snapshot.invitations
    assert invitation.id == stale.invitation_id
    assert invitation.login == "sam-reviewer"
    assert invitation.permission == "pull"
    assert invitation.expired is True
    assert invitation.created_at is not None
    assert snapshot.invitation_for("SAM-Reviewer") == invitation


def test_list_access_follows_pagination(fake_github, repo):
    for n in range(130):
        fake_github.add_collaborator("acme/captions", f"dev-{n:03d}", "pull")

    snapshot = github.list_access(repo)

    assert len(snapshot.collaborators) == 130
    assert fake_github.count("GET /repos/{owner}/{repo}/collaborators") == 2


def test_remove_collaborator(fake_github, repo):
    fake_github.add_collaborator("acme/captions", "rita-reviewer", "pull")
    github.remove_collaborator(repo, "rita-reviewer")
    assert fake_github.repo("acme/captions").collaborators == {}
    github.remove_collaborator(repo, "rita-reviewer")  # idempotent


def test_cancel_invitation(fake_github, repo):
    invited = github.invite_collaborator(repo, "rita-reviewer")
    github.cancel_invitation(repo, invited.invitation_id)
    assert fake_github.repo("acme/captions").invitations == {}
    github.cancel_invitation(repo, invited.invitation_id)  # already gone: no error


def test_cancel_invitation_on_deleted_repo_is_permanent(fake_github, repo):
    fake_github.delete_repo("acme/captions")
    with pytest.raises(GitHubPermanentError) as exc_info:
        github.cancel_invitation(repo, 1)
    assert exc_info.value.status == 404


def test_writes_by_id_survive_a_rename(fake_github, repo):
    fake_github.rename_repo("acme/captions", "acme/captions-plugin")
    result = github.invite_collaborator(repo, "rita-reviewer")
    assert result.state == "invited"


def test_write_by_old_name_resolves_the_redirect_first(fake_github, repo):
    fake_github.rename_repo("acme/captions", "acme/captions-plugin")
    result = github.invite_collaborator("acme/captions", "rita-reviewer")
    assert result.state == "invited"
    assert fake_github.repo("acme/captions-plugin").invitations


# --- failures -------------------------------------------------------------------------------


def test_5xx_then_recovery_within_retries(fake_github, repo):
    fake_github.fail_next("GET /repositories/*/readme", times=2, status=502)
    assert github.has_readme(repo) is True
    assert fake_github.count("GET /repositories/*/readme") == 3


def test_persistent_5xx_is_transient(fake_github, repo):
    fake_github.fail_next("PUT */collaborators/*", times=10, status=503)
    with pytest.raises(GitHubTransientError) as exc_info:
        github.invite_collaborator(repo, "rita-reviewer")
    assert exc_info.value.status == 503
    assert exc_info.value.retry_after > 0
    assert not exc_info.value.rate_limited
    assert fake_github.count("PUT */collaborators/*") == 4  # first try + 3 retries


def test_5xx_with_retry_after_is_surfaced_without_retrying(fake_github, repo):
    fake_github.fail_next("GET *", times=5, status=503, headers={"Retry-After": "120"})
    started = time.monotonic()
    with pytest.raises(GitHubTransientError) as exc_info:
        github.has_readme(repo)
    assert time.monotonic() - started < 2
    assert exc_info.value.retry_after == 120
    assert fake_github.count() == 1


def test_timeout_is_transient_and_quick(fake_github, settings, repo):
    settings.GITHUB_TIMEOUT = 1
    fake_github.hang_next("GET *", times=5)
    started = time.monotonic()
    with pytest.raises(GitHubTransientError, match="did not answer in time"):
        github.has_readme(repo)
    assert time.monotonic() - started < 4
    assert fake_github.count() == 2  # one retry of the read timeout, no more


def test_single_timeout_is_retried(fake_github, settings, repo):
    settings.GITHUB_TIMEOUT = 1
    fake_github.hang_next("GET *", times=1)
    assert github.has_readme(repo) is True


def test_connection_refused_is_transient(settings):
    settings.GITHUB_API_URL = "http://127.0.0.1:9"
    settings.GITHUB_TOKEN = "t"
    settings.GITHUB_SECONDS_BETWEEN_REQUESTS = None
    settings.GITHUB_SECONDS_BETWEEN_WRITES = None
    with pytest.raises(GitHubTransientError, match="Could not reach GitHub"):
        github.get_repository(repo_id=1)


def test_primary_rate_limit_is_transient_without_sleeping(fake_github, repo):
    reset = fake_github.rate_limit_next("GET *", reset_in=1800)
    started = time.monotonic()
    with pytest.raises(GitHubTransientError) as exc_info:
        github.has_readme(repo)
    assert time.monotonic() - started < 5
    assert exc_info.value.rate_limited
    assert exc_info.value.status == 403
    assert exc_info.value.retry_after == pytest.approx(reset - time.time() + 1, abs=5)
    assert fake_github.count() == 1


def test_secondary_rate_limit_uses_retry_after(fake_github, repo):
    fake_github.secondary_rate_limit_next("PUT *", retry_after=90)
    started = time.monotonic()
    with pytest.raises(GitHubTransientError) as exc_info:
        github.invite_collaborator(repo, "rita-reviewer")
    assert time.monotonic() - started < 5
    assert exc_info.value.rate_limited
    assert exc_info.value.retry_after == 90
    assert fake_github.count() == 1


def test_429_without_headers_waits_a_minute(fake_github, repo):
    fake_github.secondary_rate_limit_next("GET *", retry_after=None, status=429)
    with pytest.raises(GitHubTransientError) as exc_info:
        github.list_access(repo)
    assert exc_info.value.retry_after == 60


def test_exhausted_budget_is_a_rate_limit(fake_github, repo):
    fake_github.rate_limit_remaining = 0
    with pytest.raises(GitHubTransientError) as exc_info:
        github.has_readme(repo)
    assert exc_info.value.rate_limited


def test_injected_404_is_permanent(fake_github, repo):
    fake_github.not_found_next("GET /repositories/*")
    with pytest.raises(GitHubPermanentError, match="was not found") as exc_info:
        github.get_repository(repo_id=repo.id)
    assert exc_info.value.status == 404


def test_403_forbidden_is_permanent_with_plain_reason(fake_github, repo):
    fake_github.forbid_next("PUT */collaborators/*")
    with pytest.raises(GitHubPermanentError) as exc_info:
        github.invite_collaborator(repo, "rita-reviewer")
    assert exc_info.value.status == 403
    assert "not allowed to invite rita-reviewer to acme/captions" in exc_info.value.reason
    assert "Must have admin rights" in exc_info.value.reason
    assert fake_github.count() == 1


# --- call counter -----------------------------------------------------------------------------


def test_api_call_counter_counts_requests(fake_github, repo):
    github.reset_api_call_count()
    github.has_readme(repo)
    github.list_access(repo)
    assert github.api_call_count() == 3 == fake_github.count()
