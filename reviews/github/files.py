"""Reading a repository's files at one commit without cloning it: the recursive git tree
(one request lists every path, size and blob id) and single blobs, fetched only for the
files a caller needs. Plain data out, like the rest of the package."""

from __future__ import annotations

import base64

from github import GithubException

from reviews.github.client import _session
from reviews.github.data import RepoInfo, RepoTree, TreeEntry
from reviews.github.errors import GitHubPermanentError, _translate
from reviews.github.operations import _SHA_RE, _open_repo, _ref, _require_repo_on_404


def list_tree(repo: RepoInfo | int | str, sha: str) -> RepoTree:
    """Every file of the commit ``sha`` (one request; GitHub may truncate a huge tree, which
    ``truncated`` reports). Directories and submodules are left out."""
    if not _SHA_RE.match(sha or ""):
        raise GitHubPermanentError(f"{sha!r} is not a commit id.", 422)
    ref = _ref(repo)
    client = _session()
    with _translate(f"list the files of commit {sha[:12]} in", ref.label):
        gh_repo = _open_repo(client, ref)
        try:
            tree = gh_repo.get_git_tree(sha, recursive=True)
        except GithubException as exc:
            if exc.status in (409, 422):
                raise GitHubPermanentError(
                    f"The commit {sha[:12]} was not found in {ref.label}. Check that it is "
                    "pushed to GitHub.",
                    exc.status,
                ) from exc
            _require_repo_on_404(client, ref, exc)
            raise GitHubPermanentError(
                f"The commit {sha[:12]} was not found in {ref.label}.", 404
            ) from exc
        entries = tuple(
            TreeEntry(path=e.path, sha=e.sha, size=int(e.size or 0))
            for e in tree.tree
            if e.type == "blob"
        )
        return RepoTree(
            sha=tree.sha, entries=entries, truncated=bool(tree.raw_data.get("truncated"))
        )


def read_blob(repo: RepoInfo | int | str, blob_sha: str) -> bytes:
    """The bytes of one file, by its blob id from :func:`list_tree` (one request)."""
    ref = _ref(repo)
    client = _session()
    with _translate("read a file of", ref.label):
        blob = _open_repo(client, ref).get_git_blob(blob_sha)
        if blob.encoding == "base64":
            return base64.b64decode(blob.content or "")
        return (blob.content or "").encode()
