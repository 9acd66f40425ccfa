"""The plain data the package hands back, so no PyGithub object ever leaves it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

#: Permission names GitHub's "add a repository collaborator" endpoint accepts.
PERMISSIONS = ("pull", "triage", "push", "maintain", "admin")

# Invitations and the permission endpoint speak "read"/"write"; collaborators are invited
# with "pull"/"push". Reports use the invite vocabulary so a sync can compare like with like.
_INVITATION_PERMISSION = {"read": "pull", "write": "push"}


@dataclass(frozen=True)
class RepoInfo:
    """What the portal stores about a submission repository; ``id`` survives renames."""

    id: int
    full_name: str
    private: bool
    default_branch: str
    html_url: str


@dataclass(frozen=True)
class InviteResult:
    """Outcome of granting access: a pending invitation, or access that is already active.

    GitHub answers 204 (no invitation) when the user already has access, e.g. as an existing
    collaborator or an organisation member.
    """

    state: Literal["invited", "active"]
    invitation_id: int | None = None


@dataclass(frozen=True)
class Collaborator:
    """A direct collaborator and their highest permission (``pull`` … ``admin``)."""

    login: str
    permission: str


@dataclass(frozen=True)
class PendingInvitation:
    """An invitation not yet accepted; GitHub marks it ``expired`` after seven days."""

    id: int
    login: str
    permission: str
    created_at: datetime | None
    expired: bool


@dataclass(frozen=True)
class AccessSnapshot:
    """Who can reach a repository right now, as input to access reconciliation."""

    collaborators: tuple[Collaborator, ...]
    invitations: tuple[PendingInvitation, ...]

    @property
    def collaborator_logins(self) -> frozenset[str]:
        """Lower-cased logins: GitHub logins are case-insensitive, so compare them this way."""
        return frozenset(c.login.casefold() for c in self.collaborators)

    def invitation_for(self, login: str) -> PendingInvitation | None:
        """The invitation addressed to ``login`` (expired or not), if any."""
        wanted = login.casefold()
        return next((i for i in self.invitations if i.login.casefold() == wanted), None)


@dataclass(frozen=True)
class TreeEntry:
    """One file of a commit's tree: its path, blob id and size in bytes."""

    path: str
    sha: str
    size: int


@dataclass(frozen=True)
class RepoTree:
    """The files of one commit; ``truncated`` when GitHub cut the listing short."""

    sha: str
    entries: tuple[TreeEntry, ...]
    truncated: bool = False


@dataclass(frozen=True)
class ComparedCommit:
    sha: str
    message: str
    html_url: str


@dataclass(frozen=True)
class ChangedFile:
    filename: str
    status: str  # added / modified / removed / renamed
    additions: int
    deletions: int


@dataclass(frozen=True)
class Comparison:
    """GitHub's comparison of two commits (`GET /repos/{owner}/{repo}/compare/{base}...{head}`)."""

    status: str  # ahead / behind / diverged / identical
    ahead_by: int
    behind_by: int
    total_commits: int
    html_url: str
    commits: tuple[ComparedCommit, ...]
    files: tuple[ChangedFile, ...]
