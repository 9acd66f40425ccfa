"""The portal's only door to GitHub (the one package that imports PyGithub).

Everything else in the project calls the plain functions below and gets plain dataclasses
back, so PyGithub's lazy objects, pagination and exception types never leak into services,
tasks or templates, and the fake server in ``devtools/fakegithub.py`` is the only test double
needed.

* ``errors`` — the exceptions callers catch, and the failure policy: transient failures
  (5xx, timeouts, rate limits) carry ``retry_after`` for the task to re-queue itself,
  permanent ones (401, 403, 404, 422) carry a ``reason`` a person can act on.
* ``client`` — the PyGithub client built from settings: token or GitHub App auth, a retry
  policy that never sleeps on a server-requested wait, request spacing, a per-thread
  client cache and the API call counter.
* ``data`` — the frozen dataclasses returned to callers.
* ``files`` — a commit's tree and single blobs (the intake report reads files this way);
* ``operations`` — the public functions; repositories are addressed by id where possible
  so renames and transfers do not break access.

Callers import this package (``from reviews import github``), never a submodule.
"""

from reviews.github.client import api_call_count, is_configured, reset_api_call_count
from reviews.github.data import (
    PERMISSIONS,
    AccessSnapshot,
    ChangedFile,
    Collaborator,
    ComparedCommit,
    Comparison,
    InviteResult,
    PendingInvitation,
    RepoInfo,
    RepoTree,
    TreeEntry,
)
from reviews.github.errors import (
    GitHubError,
    GitHubNotConfigured,
    GitHubPermanentError,
    GitHubTransientError,
)
from reviews.github.files import list_tree, read_blob
from reviews.github.operations import (
    CommitNotFound,
    cancel_invitation,
    commit_exists,
    compare_commits,
    get_repository,
    has_readme,
    invite_collaborator,
    list_access,
    remove_collaborator,
    user_login,
)

__all__ = [
    "PERMISSIONS",
    "AccessSnapshot",
    "ChangedFile",
    "Collaborator",
    "CommitNotFound",
    "ComparedCommit",
    "Comparison",
    "GitHubError",
    "GitHubNotConfigured",
    "GitHubPermanentError",
    "GitHubTransientError",
    "InviteResult",
    "PendingInvitation",
    "RepoInfo",
    "RepoTree",
    "TreeEntry",
    "api_call_count",
    "cancel_invitation",
    "commit_exists",
    "compare_commits",
    "get_repository",
    "has_readme",
    "invite_collaborator",
    "is_configured",
    "list_access",
    "list_tree",
    "read_blob",
    "remove_collaborator",
    "reset_api_call_count",
    "user_login",
]
