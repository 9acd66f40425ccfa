"""The public operations: one or two requests each, plain data in and out.

Repositories can be passed as a :class:`RepoInfo`, a numeric id or an ``owner/name`` string.
Ids (and ``RepoInfo``, which carries one) are addressed as ``/repositories/{id}/...`` —
the same path GitHub itself redirects renamed repositories to — so a partner renaming or
transferring the repo does not break access, and no extra request is spent on a lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from github import Github, GithubException
from github.Repository import Repository

from reviews.github.client import _session
from reviews.github.data import (
    _INVITATION_PERMISSION,
    PERMISSIONS,
    AccessSnapshot,
    ChangedFile,
    Collaborator,
    ComparedCommit,
    Comparison,
    InviteResult,
    PendingInvitation,
    RepoInfo,
)
from reviews.github.errors import GitHubPermanentError, _translate

# Commit ids are hex SHA-1 (40) or SHA-256 (64); GitHub also resolves unique prefixes.
_SHA_RE = re.compile(r"^[0-9a-fA-F]{7,64}$")


# --- Repository references ------------------------------------------------------------


@dataclass(frozen=True)
class _Ref:
    """How to address a repository (id or name) and how to name it in error messages."""

    key: int | str
    label: str


def _ref(repo: RepoInfo | int | str) -> _Ref:
    """Normalise the three accepted repository forms, refusing anything else loudly."""
    if isinstance(repo, RepoInfo):
        return _Ref(repo.id, repo.full_name)
    if isinstance(repo, bool):  # bool is an int; a True id is a bug, not repo #1
        raise TypeError("repo must be a RepoInfo, a repository id or 'owner/name'")
    if isinstance(repo, int):
        return _Ref(repo, f"with id {repo}")
    if isinstance(repo, str) and repo.count("/") == 1 and all(repo.split("/")):
        return _Ref(repo, repo)
    raise TypeError(f"repo must be a RepoInfo, a repository id or 'owner/name', not {repo!r}")


def _open_repo(client: Github, ref: _Ref) -> Repository:
    """A PyGithub repository addressed by id.

    Ids cost no request (lazy object on ``/repositories/{id}``). A name is looked up once:
    GitHub redirects GETs for renamed repos (301, which PyGithub follows) but answers writes
    with 307, which PyGithub does not follow, so writes must go to the canonical URL.
    """
    repo = client.get_repo(ref.key)
    if isinstance(ref.key, str):
        repo.complete()
    return repo


def _require_repo_on_404(client: Github, ref: _Ref, exc: GithubException) -> None:
    """Re-raise anything but a 404; on a 404, fetch the repository itself.

    GitHub answers 404 with the same "Not Found" for a missing repo and a missing
    sub-resource (README, commit, user, invitation). This extra request is only made on
    that ambiguous 404; a missing repo propagates as the repo-not-found error, and when
    this returns the repository exists, so the sub-resource is what is missing.
    """
    if exc.status != 404:
        raise exc
    client.get_repo(ref.key).complete()


def _to_info(repo: Repository) -> RepoInfo:
    """Copy the fields the portal stores, with "" for the ones GitHub may leave empty."""
    return RepoInfo(
        id=repo.id,
        full_name=repo.full_name,
        private=bool(repo.private),
        default_branch=repo.default_branch or "",
        html_url=repo.html_url or "",
    )


def _highest_permission(user: Any) -> str:
    """A collaborator's strongest permission in the invite vocabulary (``pull`` … ``admin``).

    Without a permissions object GitHub still gives ``role_name`` ("read", "write", ...).
    """
    perms = user.permissions
    if perms is None:
        return _INVITATION_PERMISSION.get(user.role_name or "", user.role_name or "")
    for name in reversed(PERMISSIONS):
        if getattr(perms, name, False):
            return name
    return ""


# --- Public operations ----------------------------------------------------------------


def get_repository(full_name: str | None = None, repo_id: int | None = None) -> RepoInfo:
    """Fetch a repository's identity and visibility (one request).

    ``repo_id`` wins when given, so a repo renamed since it was registered is still found;
    store the returned ``id`` and pass the ``RepoInfo`` (or id) to the other functions.
    """
    if repo_id is None and not full_name:
        raise ValueError("get_repository needs full_name or repo_id")
    if repo_id is not None:
        ref = _Ref(repo_id, full_name or f"with id {repo_id}")
    else:
        ref = _ref(full_name)  # type: ignore[arg-type]
    client = _session()
    with _translate("read the repository", ref.label):
        repo = client.get_repo(ref.key)
        repo.complete()
        return _to_info(repo)


def has_readme(repo: RepoInfo | int | str) -> bool:
    """Whether the repository has a README GitHub recognises (on the default branch).

    The submission package requires one; a missing README is an answer (False), not an
    error, while a missing repository raises :class:`GitHubPermanentError`.
    """
    ref = _ref(repo)
    client = _session()
    with _translate("check the README of", ref.label):
        gh_repo = _open_repo(client, ref)
        try:
            gh_repo.get_readme()
        except GithubException as exc:
            _require_repo_on_404(client, ref, exc)
            return False
        return True


def commit_exists(repo: RepoInfo | int | str, sha: str) -> bool:
    """Whether ``sha`` names a commit in the repository.

    Only hex commit ids are accepted (anything else is False), so a branch or tag name
    typed into a form cannot pass as a pinned commit. GitHub answers 422 for an unknown SHA
    and 409 for an empty repository; both mean False.
    """
    if not _SHA_RE.match(sha or ""):
        return False
    ref = _ref(repo)
    client = _session()
    with _translate(f"look up commit {sha} in", ref.label):
        gh_repo = _open_repo(client, ref)
        try:
            gh_repo.get_commit(sha).complete()
        except GithubException as exc:
            if exc.status in (409, 422):
                return False
            _require_repo_on_404(client, ref, exc)
            return False
        return True


def invite_collaborator(
    repo: RepoInfo | int | str, login: str, permission: str = "pull"
) -> InviteResult:
    """Give ``login`` access to the repository (idempotent).

    GitHub answers 201 with an invitation the user must accept, or 204 when the user
    already has access (then the permission is updated). Re-inviting a user with a pending
    invitation returns that invitation.
    """
    if permission not in PERMISSIONS:
        raise ValueError(f"permission must be one of {', '.join(PERMISSIONS)}")
    ref = _ref(repo)
    client = _session()
    with _translate(f"invite {login} to", ref.label):
        gh_repo = _open_repo(client, ref)
        try:
            invitation = gh_repo.add_to_collaborators(login, permission)
        except GithubException as exc:
            # 404 means the repo or the user is missing; say which.
            _require_repo_on_404(client, ref, exc)
            raise GitHubPermanentError(
                f"The GitHub user '{login}' does not exist. Check the spelling of the "
                "GitHub login.",
                404,
            ) from exc
    if invitation is None:
        return InviteResult(state="active")
    return InviteResult(state="invited", invitation_id=invitation.id)


def list_access(repo: RepoInfo | int | str) -> AccessSnapshot:
    """Direct collaborators and pending invitations (two requests, more for >100 entries).

    Only *direct* collaborators are listed: those are the ones this portal grants and can
    revoke; organisation members' access is not ours to reconcile.
    """
    ref = _ref(repo)
    client = _session()
    with _translate("list who has access to", ref.label):
        gh_repo = _open_repo(client, ref)
        collaborators = tuple(
            Collaborator(login=user.login, permission=_highest_permission(user))
            for user in gh_repo.get_collaborators(affiliation="direct")
        )
        invitations = tuple(
            PendingInvitation(
                id=inv.id,
                login=inv.invitee.login if inv.invitee is not None else "",
                permission=_INVITATION_PERMISSION.get(inv.permissions, inv.permissions),
                created_at=inv.created_at,
                expired=bool(inv.expired),
            )
            for inv in gh_repo.get_pending_invitations()
        )
    return AccessSnapshot(collaborators=collaborators, invitations=invitations)


def remove_collaborator(repo: RepoInfo | int | str, login: str) -> None:
    """Revoke a collaborator's access (idempotent: a non-collaborator is a no-op)."""
    ref = _ref(repo)
    client = _session()
    with _translate(f"remove {login} from", ref.label):
        gh_repo = _open_repo(client, ref)
        try:
            gh_repo.remove_from_collaborators(login)
        except GithubException as exc:
            # The user does not exist (nothing to revoke) unless the repo itself is gone.
            _require_repo_on_404(client, ref, exc)


def cancel_invitation(repo: RepoInfo | int | str, invitation_id: int) -> None:
    """Withdraw a pending invitation (idempotent: an already gone invitation is a no-op)."""
    ref = _ref(repo)
    client = _session()
    with _translate(f"cancel invitation {invitation_id} to", ref.label):
        gh_repo = _open_repo(client, ref)
        try:
            gh_repo.remove_invitation(invitation_id)
        except GithubException as exc:
            _require_repo_on_404(client, ref, exc)


def user_login(login: str) -> str | None:
    """The GitHub user ``login`` as GitHub spells it, or None when no such user exists
    (checking a reviewer's GitHub login before repository access is granted to it)."""
    client = _session()
    with _translate("look up the GitHub user", login):
        try:
            return client.get_user(login).login
        except GithubException as exc:
            if exc.status == 404:
                return None
            raise


# --- Comparing commits ------------------------------------------------------------------


class CommitNotFound(GitHubPermanentError):
    """One of the compared commits is not in the repository (force-pushed away, or never
    pushed): GitHub answers the compare with a 404."""


def compare_commits(repo: RepoInfo | int | str, base: str, head: str) -> Comparison:
    """The commits and files changed from ``base`` to ``head`` (one request; GitHub lists
    at most 250 commits and 300 files in it). Raises :class:`CommitNotFound` when either
    commit is missing from the repository."""
    if not (_SHA_RE.match(base or "") and _SHA_RE.match(head or "")):
        raise ValueError("compare takes two hexadecimal commit ids")
    ref = _ref(repo)
    client = _session()
    with _translate(f"compare {base[:12]}...{head[:12]} in", ref.label):
        gh_repo = _open_repo(client, ref)
        try:
            data = gh_repo.compare(base, head).raw_data
        except GithubException as exc:
            if exc.status != 404:
                raise
            _require_repo_on_404(client, ref, exc)
            raise CommitNotFound(
                f"GitHub cannot compare {base[:12]} with {head[:12]} in {ref.label}: one of "
                "the commits is not in the repository (it may have been force-pushed away).",
                404,
            ) from exc
    return Comparison(
        status=str(data.get("status") or ""),
        ahead_by=int(data.get("ahead_by") or 0),
        behind_by=int(data.get("behind_by") or 0),
        total_commits=int(data.get("total_commits") or 0),
        html_url=str(data.get("html_url") or ""),
        commits=tuple(
            ComparedCommit(
                sha=str(c.get("sha") or ""),
                message=str((c.get("commit") or {}).get("message") or "").split("\n", 1)[0],
                html_url=str(c.get("html_url") or ""),
            )
            for c in data.get("commits") or []
        ),
        files=tuple(
            ChangedFile(
                filename=str(f.get("filename") or ""),
                status=str(f.get("status") or ""),
                additions=int(f.get("additions") or 0),
                deletions=int(f.get("deletions") or 0),
            )
            for f in data.get("files") or []
        ),
    )
