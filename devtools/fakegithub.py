"""A fake GitHub REST API on loopback, for tests and benchmarks of GitHub access sync.

Why a server and not mocks: the real client stack (PyGithub, requests, urllib3 retries,
timeouts, pagination, redirects) runs unchanged, so tests catch the failures that matter —
a sleep on a rate limit, a retry that never ends, a wrong URL — and the Celery integration
tests can point a real worker at the same server.

It speaks the REST shapes PyGithub reads for repositories, READMEs, commits, git trees and
blobs (of file sets added with ``add_files``), collaborators,
invitations, users and GitHub App installation tokens, addressed either as
``/repos/{owner}/{repo}/...`` or ``/repositories/{id}/...``. Every ``url`` in a response uses
this server's own base, because PyGithub follows them.

Usage in a test (the ``fake_github`` fixture also points the Django settings at it)::

    def test_something(fake_github):
        repo = fake_github.add_repo("acme/captions", private=True)
        fake_github.fail_next("PUT */collaborators/*", status=502)
        ...
        assert fake_github.count("PUT */collaborators/*") == 2
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import itertools
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

__all__ = ["FakeGitHub", "FakeInvitation", "FakeRepo", "RecordedRequest", "fake_github"]

DEFAULT_TOKEN = "fake-github-token"

# GitHub's invite vocabulary ("pull"/"push") vs. its role names ("read"/"write").
_ROLE_NAME = {
    "pull": "read",
    "triage": "triage",
    "push": "write",
    "maintain": "maintain",
    "admin": "admin",
}
_PERMISSION_ORDER = ("pull", "triage", "push", "maintain", "admin")
# The older "permission" field of GET .../collaborators/{login}/permission.
_LEGACY_PERMISSION = {
    "pull": "read",
    "triage": "read",
    "push": "write",
    "maintain": "write",
    "admin": "admin",
}


@dataclass
class FakeInvitation:
    id: int
    login: str
    permission: str  # pull / triage / push / maintain / admin
    created_at: datetime
    expired: bool = False


@dataclass
class FakeRepo:
    id: int
    owner: str
    name: str
    private: bool = True
    default_branch: str = "main"
    readme: str | None = "# Plugin\n"
    commits: set[str] = field(default_factory=set)
    collaborators: dict[str, str] = field(default_factory=dict)  # login -> permission
    invitations: dict[int, FakeInvitation] = field(default_factory=dict)
    trees: dict[str, dict[str, bytes]] = field(default_factory=dict)  # commit -> path -> bytes
    blob_ids: set[str] = field(default_factory=set)
    # Linear history for the compare API: (sha, message, {path: status}) oldest first.
    history: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the query string
    route: str  # e.g. "PUT /repos/{owner}/{repo}/collaborators/{login}"
    authorization: str


@dataclass
class _Fault:
    pattern: str
    remaining: int
    status: int = 502
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # > 0: hold the request this long, then drop the connection


@dataclass
class _Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class _NotFoundError(Exception):
    """Raised by route handlers for GitHub's bare 404."""


class FakeGitHub:
    """State and behaviour of the fake; thread-safe, one instance per server.

    Fault injection applies to the next N requests whose ``"METHOD /path"`` matches a
    shell-style pattern (``fnmatch``: ``*`` also matches ``/``), e.g. ``"GET /repositories/*"``
    or ``"* */invitations*"``. Faults are consumed in the order they were added.
    """

    def __init__(self, *, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        #: Also accept any token (still requiring one); off by default so a missing or
        #: wrong Authorization header is caught.
        self.accept_any_token = False
        #: Seconds to wait before answering each request (to make call counts visible in
        #: wall-clock benchmarks).
        self.latency = 0.0
        #: Remaining primary rate-limit budget; at 0 every request gets GitHub's 403 until
        #: :meth:`reset_rate_limit`.
        self.rate_limit_remaining = 5000
        self.rate_limit_total = 5000
        self.rate_limit_reset_in = 3600

        self.repos: dict[int, FakeRepo] = {}
        self.missing_users: set[str] = set()
        self.requests: list[RecordedRequest] = []
        self.calls: Counter[str] = Counter()
        self.installation_tokens: set[str] = set()
        #: Blob id -> bytes, for every file of every tree added with :meth:`add_files`.
        self.blobs: dict[str, bytes] = {}
        #: Entries GitHub lists before it truncates a recursive tree.
        self.tree_limit = 100_000

        self._lock = threading.RLock()
        self._renamed: dict[str, int] = {}  # old lower-cased full name -> repo id
        self._faults: list[_Fault] = []
        self._repo_ids = itertools.count(700001)
        self._invitation_ids = itertools.count(9001)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        """Listen on an ephemeral port of 127.0.0.1 in a daemon thread."""
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        # Hung requests must not keep the test process (or server_close) waiting.
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release any request held by :meth:`hang_next`."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """What GITHUB_API_URL should be, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError("FakeGitHub is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- state helpers ---------------------------------------------------------------

    def add_repo(
        self,
        full_name: str,
        *,
        private: bool = True,
        readme: str | None = "# Plugin\n",
        commits: tuple[str, ...] | list[str] = (),
        default_branch: str = "main",
        repo_id: int | None = None,
    ) -> FakeRepo:
        owner, name = full_name.split("/")
        with self._lock:
            repo = FakeRepo(
                id=repo_id if repo_id is not None else next(self._repo_ids),
                owner=owner,
                name=name,
                private=private,
                readme=readme,
                commits={c.lower() for c in commits},
                default_branch=default_branch,
            )
            self.repos[repo.id] = repo
            return repo

    def add_files(self, full_name: str, sha: str, files: dict[str, str | bytes]) -> dict[str, str]:
        """Make ``sha`` a commit of the repo whose tree holds ``files`` (path -> content);
        returns path -> blob id. The trees and blobs API then serve it."""
        with self._lock:
            repo = self.repo(full_name)
            tree: dict[str, bytes] = {}
            ids: dict[str, str] = {}
            for path, content in files.items():
                data = content.encode() if isinstance(content, str) else content
                blob_id = _blob_sha(data)
                self.blobs[blob_id] = data
                tree[path] = data
                ids[path] = blob_id
                repo.blob_ids.add(blob_id)
            repo.trees[sha.lower()] = tree
            repo.commits.add(sha.lower())
            return ids

    def add_commit(
        self,
        full_name: str,
        sha: str,
        *,
        message: str = "Change",
        files: dict[str, str] | list[str] | tuple[str, ...] = (),
    ) -> None:
        """Append a commit to the repository's (linear) history; `files` are the paths it
        touched, as a list (all "modified") or a dict path -> added/modified/removed."""
        changed = dict(files) if isinstance(files, dict) else dict.fromkeys(files, "modified")
        with self._lock:
            repo = self._by_name(full_name)
            if repo is None:
                raise KeyError(full_name)
            repo.commits.add(sha.lower())
            repo.history.append((sha.lower(), message, changed))

    def drop_commit(self, full_name: str, sha: str) -> None:
        """Forget a commit, as a force-push does: compares naming it answer 404."""
        with self._lock:
            repo = self._by_name(full_name)
            if repo is None:
                raise KeyError(full_name)
            repo.commits.discard(sha.lower())
            repo.history = [h for h in repo.history if h[0] != sha.lower()]

    def repo(self, full_name: str) -> FakeRepo:
        """The current repo by name (case-insensitive); KeyError if unknown."""
        with self._lock:
            found = self._by_name(full_name)
            if found is None:
                raise KeyError(full_name)
            return found

    def rename_repo(self, full_name: str, new_full_name: str) -> FakeRepo:
        """Rename/transfer; the old name then redirects like GitHub (301 GET, 307 others)."""
        with self._lock:
            repo = self.repo(full_name)
            self._renamed[full_name.lower()] = repo.id
            repo.owner, repo.name = new_full_name.split("/")
            return repo

    def delete_repo(self, full_name: str) -> None:
        with self._lock:
            repo = self.repo(full_name)
            del self.repos[repo.id]
            self._renamed = {k: v for k, v in self._renamed.items() if v != repo.id}

    def add_collaborator(self, full_name: str, login: str, permission: str = "push") -> None:
        with self._lock:
            self.repo(full_name).collaborators[login] = permission

    def mark_user_missing(self, login: str) -> None:
        """Make ``login`` an unknown GitHub user (404 on /users and on invite)."""
        with self._lock:
            self.missing_users.add(login.lower())

    def invitation(self, invitation_id: int) -> tuple[FakeRepo, FakeInvitation]:
        with self._lock:
            for repo in self.repos.values():
                if invitation_id in repo.invitations:
                    return repo, repo.invitations[invitation_id]
        raise KeyError(invitation_id)

    def accept_invitation(self, invitation_id: int) -> None:
        """What the invitee does on github.com: the invitation becomes a collaborator."""
        with self._lock:
            repo, invitation = self.invitation(invitation_id)
            if invitation.expired:
                raise ValueError(f"invitation {invitation_id} has expired")
            del repo.invitations[invitation_id]
            repo.collaborators[invitation.login] = invitation.permission

    def expire_invitation(self, invitation_id: int) -> None:
        """What seven days without acceptance does: GitHub keeps it, flagged ``expired``."""
        with self._lock:
            self.invitation(invitation_id)[1].expired = True

    # --- fault injection -------------------------------------------------------------

    def fail_next(
        self,
        pattern: str,
        *,
        times: int = 1,
        status: int = 502,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (5xx, 404, 403, ...)."""
        text = message or HTTPStatus(status).phrase
        with self._lock:
            self._faults.append(
                _Fault(
                    pattern,
                    times,
                    status=status,
                    body={"message": text, "documentation_url": "https://docs.github.com/rest"},
                    headers=dict(headers or {}),
                )
            )

    def not_found_next(self, pattern: str, *, times: int = 1) -> None:
        self.fail_next(pattern, times=times, status=404, message="Not Found")

    def forbid_next(self, pattern: str, *, times: int = 1) -> None:
        """A 403 that is not a rate limit, as when the token lacks admin rights."""
        self.fail_next(
            pattern, times=times, status=403, message="Must have admin rights to Repository."
        )

    def hang_next(self, pattern: str, *, times: int = 1, seconds: float = 30.0) -> None:
        """Hold the next matching requests past any client timeout, then drop them."""
        with self._lock:
            self._faults.append(_Fault(pattern, times, hang=seconds))

    def rate_limit_next(
        self, pattern: str, *, times: int = 1, reset_in: int = 3600, status: int = 403
    ) -> int:
        """GitHub's primary rate limit: 403 (or 429) with ``X-RateLimit-Remaining: 0``.

        Returns the ``X-RateLimit-Reset`` epoch second sent.
        """
        reset = int(time.time()) + reset_in
        with self._lock:
            self._faults.append(
                _Fault(
                    pattern,
                    times,
                    status=status,
                    body={
                        "message": "API rate limit exceeded for installation ID 1.",
                        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                    },
                    headers=self._limit_headers(remaining=0, reset=reset),
                )
            )
        return reset

    def secondary_rate_limit_next(
        self, pattern: str, *, times: int = 1, retry_after: int | None = 60, status: int = 403
    ) -> None:
        """GitHub's secondary (abuse) rate limit: 403/429, ``Retry-After`` when given."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        with self._lock:
            self._faults.append(
                _Fault(
                    pattern,
                    times,
                    status=status,
                    body={
                        "message": "You have exceeded a secondary rate limit. Please wait a "
                        "few minutes before you try again.",
                        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                    },
                    headers=headers,
                )
            )

    def reset_rate_limit(self) -> None:
        with self._lock:
            self.rate_limit_remaining = self.rate_limit_total

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # --- request accounting ------------------------------------------------------------

    def count(self, pattern: str = "*") -> int:
        """Requests so far whose ``"METHOD /path"`` or route template matches ``pattern``."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if fnmatch.fnmatchcase(f"{r.method} {r.path}", pattern)
                or fnmatch.fnmatchcase(r.route, pattern)
            )

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.calls.clear()

    # --- JSON shapes -----------------------------------------------------------------

    def _user_json(self, login: str) -> dict[str, Any]:
        user_id = int(hashlib.sha256(login.lower().encode()).hexdigest()[:8], 16)
        return {
            "login": login,
            "id": user_id,
            "node_id": f"U_{user_id}",
            "type": "User",
            "site_admin": False,
            "url": f"{self.base_url}/users/{quote(login)}",
            "html_url": f"{self.base_url}/{quote(login)}",
        }

    def _repo_json(self, repo: FakeRepo) -> dict[str, Any]:
        api = f"{self.base_url}/repos/{repo.full_name}"
        return {
            "id": repo.id,
            "node_id": f"R_{repo.id}",
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "visibility": "private" if repo.private else "public",
            "owner": self._user_json(repo.owner),
            "html_url": f"{self.base_url}/{repo.full_name}",
            "url": api,
            "collaborators_url": f"{api}/collaborators{{/collaborator}}",
            "default_branch": repo.default_branch,
            "archived": False,
            "disabled": False,
            "fork": False,
        }

    def _collaborator_json(self, login: str, permission: str) -> dict[str, Any]:
        rank = _PERMISSION_ORDER.index(permission)
        return {
            **self._user_json(login),
            "permissions": {p: rank >= i for i, p in enumerate(_PERMISSION_ORDER)},
            "role_name": _ROLE_NAME[permission],
        }

    def _invitation_json(self, repo: FakeRepo, inv: FakeInvitation) -> dict[str, Any]:
        return {
            "id": inv.id,
            "node_id": f"RI_{inv.id}",
            "repository": self._repo_json(repo),
            "invitee": self._user_json(inv.login),
            "inviter": self._user_json(repo.owner),
            "permissions": _ROLE_NAME[inv.permission],
            "created_at": inv.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "expired": inv.expired,
            "url": f"{self.base_url}/user/repository_invitations/{inv.id}",
            "html_url": f"{self.base_url}/{repo.full_name}/invitations",
        }

    def _limit_headers(self, *, remaining: int, reset: int | None = None) -> dict[str, str]:
        reset = reset if reset is not None else int(time.time()) + self.rate_limit_reset_in
        return {
            "X-RateLimit-Limit": str(self.rate_limit_total),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Used": str(self.rate_limit_total - remaining),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Resource": "core",
        }

    # --- dispatch ------------------------------------------------------------------------

    def _by_name(self, full_name: str) -> FakeRepo | None:
        wanted = full_name.lower()
        return next((r for r in self.repos.values() if r.full_name.lower() == wanted), None)

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        target = f"{method} {path}"
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fnmatch.fnmatchcase(target, fault.pattern):
                    fault.remaining -= 1
                    return fault
            self._faults = [f for f in self._faults if f.remaining > 0]
        return None

    def _authorized(self, method: str, path: str, authorization: str) -> _Response | None:
        """None when allowed, else GitHub's 401."""
        scheme, _, credential = authorization.partition(" ")
        scheme = scheme.lower()
        if path.startswith("/app/"):
            # GitHub App endpoints take the app's JWT; the signature is not checked here.
            if scheme == "bearer" and credential.count(".") == 2:
                return None
        elif (
            scheme in ("token", "bearer")
            and credential
            and (
                self.accept_any_token
                or credential == self.token
                or credential in self.installation_tokens
            )
        ):
            return None
        message = "Requires authentication" if not authorization else "Bad credentials"
        return _Response(
            401, {"message": message, "documentation_url": "https://docs.github.com/rest"}
        )

    def handle(
        self, method: str, raw_path: str, body: bytes, authorization: str
    ) -> _Response | None:
        """Answer one request; None means "drop the connection without answering"."""
        split = urlsplit(raw_path)
        path, query = unquote(split.path), parse_qs(split.query)
        with self._lock:
            route = _route_name(method, path)
            self.requests.append(RecordedRequest(method, path, route, authorization))
            self.calls[route] += 1
        if self.latency:
            time.sleep(self.latency)
        fault = self._take_fault(method, path)
        if fault is not None:
            if fault.hang:
                self._stopping.wait(fault.hang)
                return None
            return _Response(fault.status, fault.body, dict(fault.headers))
        if path == "/rate_limit":
            return self._rate_limit()
        refusal = self._authorized(method, path, authorization)
        if refusal is not None:
            return refusal
        with self._lock:
            if self.rate_limit_remaining <= 0:
                return _Response(
                    403,
                    {"message": "API rate limit exceeded for installation ID 1."},
                    self._limit_headers(remaining=0),
                )
            self.rate_limit_remaining -= 1
            remaining = self.rate_limit_remaining
            try:
                response = self._route(method, path, query, body)
            except _NotFoundError:
                response = _Response(
                    404,
                    {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"},
                )
        response.headers = {**self._limit_headers(remaining=remaining), **response.headers}
        return response

    def _rate_limit(self) -> _Response:
        reset = int(time.time()) + self.rate_limit_reset_in
        core = {
            "limit": self.rate_limit_total,
            "remaining": self.rate_limit_remaining,
            "reset": reset,
            "used": self.rate_limit_total - self.rate_limit_remaining,
        }
        return _Response(200, {"resources": {"core": core}, "rate": core})

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> _Response:
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["users"] and len(parts) == 2 and method == "GET":
            if parts[1].lower() in self.missing_users:
                raise _NotFoundError
            return _Response(200, self._user_json(parts[1]))
        if (
            parts[:2] == ["app", "installations"]
            and len(parts) == 4
            and parts[3] == "access_tokens"
            and method == "POST"
        ):
            return self._issue_installation_token()
        if parts[:1] == ["repos"] and len(parts) >= 3:
            old_name = f"{parts[1]}/{parts[2]}"
            repo = self._by_name(old_name)
            rest = parts[3:]
            if repo is None and old_name.lower() in self._renamed:
                # GitHub's answer for a renamed or transferred repository.
                new_path = "/".join(
                    ["", "repositories", str(self._renamed[old_name.lower()]), *rest]
                )
                status = 301 if method == "GET" else 307
                location = f"{self.base_url}{new_path}"
                return _Response(
                    status,
                    {"message": "Moved Permanently", "url": location},
                    {"Location": location},
                )
        elif parts[:1] == ["repositories"] and len(parts) >= 2 and parts[1].isdigit():
            repo = self.repos.get(int(parts[1]))
            rest = parts[2:]
        else:
            raise _NotFoundError
        if repo is None:
            raise _NotFoundError
        return self._repo_route(method, repo, rest, query, body)

    def _repo_route(
        self, method: str, repo: FakeRepo, rest: list[str], query: dict[str, list[str]], body: bytes
    ) -> _Response:
        match method, rest:
            case "GET", []:
                return _Response(200, self._repo_json(repo))
            case "GET", ["readme"]:
                return self._readme(repo)
            case "GET", ["commits", sha]:
                return self._commit(repo, sha)
            case "GET", ["compare", basehead] if "..." in basehead:
                base, head = basehead.split("...", 1)
                return self._compare(repo, base, head)
            case "GET", ["collaborators"]:
                items = [
                    self._collaborator_json(login, perm)
                    for login, perm in sorted(repo.collaborators.items())
                ]
                return self._page(items, query, f"/repositories/{repo.id}/collaborators")
            case "GET", ["collaborators", login]:
                return _Response(204 if self._collaborator_key(repo, login) else 404)
            case "GET", ["collaborators", login, "permission"]:
                key = self._collaborator_key(repo, login)
                permission = repo.collaborators[key] if key else None
                return _Response(
                    200,
                    {
                        "permission": _LEGACY_PERMISSION.get(permission or "", "none"),
                        "role_name": _ROLE_NAME.get(permission or "", "none"),
                        "user": self._user_json(login),
                    },
                )
            case "PUT", ["collaborators", login]:
                return self._add_collaborator(repo, login, body)
            case "DELETE", ["collaborators", login]:
                key = self._collaborator_key(repo, login)
                if key:
                    del repo.collaborators[key]
                return _Response(204)
            case "GET", ["invitations"]:
                items = [
                    self._invitation_json(repo, inv)
                    for inv in sorted(repo.invitations.values(), key=lambda i: i.id)
                ]
                return self._page(items, query, f"/repositories/{repo.id}/invitations")
            case "GET", ["git", "trees", sha]:
                return self._tree(repo, sha, recursive=bool(query.get("recursive")))
            case "GET", ["git", "blobs", sha]:
                return self._blob(repo, sha)
            case "DELETE", ["invitations", invitation_id] if invitation_id.isdigit():
                if repo.invitations.pop(int(invitation_id), None) is None:
                    raise _NotFoundError
                return _Response(204)
        raise _NotFoundError

    @staticmethod
    def _collaborator_key(repo: FakeRepo, login: str) -> str | None:
        return next((k for k in repo.collaborators if k.lower() == login.lower()), None)

    def _readme(self, repo: FakeRepo) -> _Response:
        if repo.readme is None:
            raise _NotFoundError
        content = repo.readme.encode()
        sha = hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()  # noqa: S324 - git's blob id
        api = f"{self.base_url}/repos/{repo.full_name}"
        return _Response(
            200,
            {
                "type": "file",
                "encoding": "base64",
                "size": len(content),
                "name": "README.md",
                "path": "README.md",
                "content": base64.b64encode(content).decode(),
                "sha": sha,
                "url": f"{api}/contents/README.md?ref={repo.default_branch}",
                "git_url": f"{api}/git/blobs/{sha}",
                "html_url": f"{self.base_url}/{repo.full_name}/blob/{repo.default_branch}/README.md",
                "download_url": f"{self.base_url}/raw/{repo.full_name}/{repo.default_branch}/README.md",
            },
        )

    def _tree(self, repo: FakeRepo, sha: str, *, recursive: bool) -> _Response:
        """GitHub's git tree of a commit: blobs and the directories above them."""
        files = repo.trees.get(sha.lower())
        if files is None:
            if repo.commits and sha.lower() in repo.commits:
                files = {}
            else:
                return _Response(422, {"message": f"No commit found for SHA: {sha}"})
        api = f"{self.base_url}/repos/{repo.full_name}/git"
        entries: list[dict[str, Any]] = []
        dirs: set[str] = set()
        for path in sorted(files):
            parts = path.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if folder not in dirs and (recursive or depth == 1):
                    dirs.add(folder)
                    entries.append(
                        {
                            "path": folder,
                            "mode": "040000",
                            "type": "tree",
                            "sha": _blob_sha(folder.encode()),
                            "url": f"{api}/trees/{folder}",
                        }
                    )
            if recursive or len(parts) == 1:
                data = files[path]
                blob_id = _blob_sha(data)
                entries.append(
                    {
                        "path": path,
                        "mode": "100644",
                        "type": "blob",
                        "sha": blob_id,
                        "size": len(data),
                        "url": f"{api}/blobs/{blob_id}",
                    }
                )
        truncated = len(entries) > self.tree_limit
        return _Response(
            200,
            {
                "sha": sha,
                "url": f"{api}/trees/{sha}",
                "tree": entries[: self.tree_limit],
                "truncated": truncated,
            },
        )

    def _blob(self, repo: FakeRepo, sha: str) -> _Response:
        data = self.blobs.get(sha.lower())
        if data is None or sha.lower() not in repo.blob_ids:
            raise _NotFoundError
        return _Response(
            200,
            {
                "sha": sha,
                "size": len(data),
                "encoding": "base64",
                "content": base64.encodebytes(data).decode(),
                "url": f"{self.base_url}/repos/{repo.full_name}/git/blobs/{sha}",
            },
        )

    def _commit(self, repo: FakeRepo, sha: str) -> _Response:
        if not repo.commits:
            return _Response(409, {"message": "Git Repository is empty."})
        wanted = sha.lower()
        full = (
            next((c for c in sorted(repo.commits) if c.startswith(wanted)), None)
            if len(wanted) >= 7
            else None
        )
        if full is None:
            return _Response(422, {"message": f"No commit found for SHA: {sha}"})
        api = f"{self.base_url}/repos/{repo.full_name}"
        return _Response(
            200,
            {
                "sha": full,
                "node_id": f"C_{full[:12]}",
                "url": f"{api}/commits/{full}",
                "html_url": f"{self.base_url}/{repo.full_name}/commit/{full}",
                "commit": {"message": "Fake commit", "url": f"{api}/git/commits/{full}"},
                "parents": [],
                "files": [],
                "stats": {"additions": 0, "deletions": 0, "total": 0},
            },
        )

    def _compare(self, repo: FakeRepo, base: str, head: str) -> _Response:
        """GitHub's compare shape (the fields callers read): status, ahead/behind, total
        commits, commits with their messages, files with status and counts, the links.
        A commit the history does not hold (force-pushed away) is GitHub's bare 404."""
        index = {sha: i for i, (sha, _m, _f) in enumerate(repo.history)}

        def find(ref: str) -> int | None:
            ref = ref.lower()
            return next((i for sha, i in index.items() if sha.startswith(ref)), None)

        b, h = find(base), find(head)
        if b is None or h is None or len(base) < 7 or len(head) < 7:
            raise _NotFoundError
        web = f"{self.base_url}/{repo.full_name}"
        api = f"{self.base_url}/repos/{repo.full_name}"
        between = repo.history[b + 1 : h + 1] if h > b else []
        files: dict[str, str] = {}
        for _sha, _message, changed in between:
            files.update(changed)
        status = "identical" if h == b else ("ahead" if h > b else "behind")
        base_sha, head_sha = repo.history[b][0], repo.history[h][0]

        def commit_json(sha: str, message: str) -> dict[str, Any]:
            return {
                "sha": sha,
                "url": f"{api}/commits/{sha}",
                "html_url": f"{web}/commit/{sha}",
                "commit": {
                    "message": message,
                    "author": {"name": "Partner Dev", "date": "2026-01-01T00:00:00Z"},
                },
            }

        return _Response(
            200,
            {
                "url": f"{api}/compare/{base}...{head}",
                "html_url": f"{web}/compare/{base}...{head}",
                "permalink_url": f"{web}/compare/{repo.owner}:{base_sha}...{repo.owner}:{head_sha}",
                "diff_url": f"{web}/compare/{base}...{head}.diff",
                "patch_url": f"{web}/compare/{base}...{head}.patch",
                "base_commit": commit_json(base_sha, repo.history[b][1]),
                "merge_base_commit": commit_json(base_sha, repo.history[b][1]),
                "status": status,
                "ahead_by": max(h - b, 0),
                "behind_by": max(b - h, 0),
                "total_commits": len(between),
                "commits": [commit_json(sha, message) for sha, message, _f in between],
                "files": [
                    {
                        "sha": hashlib.sha1(path.encode()).hexdigest(),  # noqa: S324 - a fake blob id
                        "filename": path,
                        "status": state,
                        "additions": 0 if state == "removed" else 3,
                        "deletions": 0 if state == "added" else 1,
                        "changes": 4,
                        "blob_url": f"{web}/blob/{head_sha}/{path}",
                        "raw_url": f"{web}/raw/{head_sha}/{path}",
                        "contents_url": f"{api}/contents/{path}?ref={head_sha}",
                    }
                    for path, state in sorted(files.items())
                ],
            },
        )

    def _add_collaborator(self, repo: FakeRepo, login: str, body: bytes) -> _Response:
        payload = json.loads(body or b"{}") or {}
        permission = payload.get("permission", "push")
        if permission not in _ROLE_NAME:
            return _Response(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [f"{permission} is not a valid permission"],
                },
            )
        if login.lower() in self.missing_users:
            raise _NotFoundError
        if login.lower() == repo.owner.lower():
            return _Response(422, {"message": "Repository owner cannot be a collaborator"})
        key = self._collaborator_key(repo, login)
        if key:
            repo.collaborators[key] = permission
            return _Response(204)
        pending = next(
            (
                i
                for i in repo.invitations.values()
                if i.login.lower() == login.lower() and not i.expired
            ),
            None,
        )
        if pending is None:
            for stale in [
                i.id for i in repo.invitations.values() if i.login.lower() == login.lower()
            ]:
                del repo.invitations[stale]
            pending = FakeInvitation(
                next(self._invitation_ids), login, permission, datetime.now(UTC)
            )
            repo.invitations[pending.id] = pending
        pending.permission = permission
        return _Response(201, self._invitation_json(repo, pending))

    def _issue_installation_token(self) -> _Response:
        token = f"ghs_fake{next(self._invitation_ids)}"
        self.installation_tokens.add(token)
        expires = datetime.fromtimestamp(time.time() + 3600, UTC)
        return _Response(
            201,
            {
                "token": token,
                "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "permissions": {"administration": "write", "contents": "read"},
                "repository_selection": "all",
            },
        )

    def _page(
        self, items: list[dict[str, Any]], query: dict[str, list[str]], path: str
    ) -> _Response:
        """GitHub-style pagination: ``page``/``per_page`` and a ``Link`` header."""
        per_page = max(1, min(int(query.get("per_page", ["30"])[0]), 100))
        page = max(1, int(query.get("page", ["1"])[0]))
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []
        if page < last:
            links.append(f'<{self.base_url}{path}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{self.base_url}{path}?per_page={per_page}&page={last}>; rel="last"')
        if page > 1:
            links.append(f'<{self.base_url}{path}?per_page={per_page}&page={page - 1}>; rel="prev"')
            links.append(f'<{self.base_url}{path}?per_page={per_page}&page=1>; rel="first"')
        return _Response(200, chunk, {"Link": ", ".join(links)} if links else {})


def _blob_sha(data: bytes) -> str:
    """Git's blob id of ``data``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's id


_ROUTES: list[tuple[str, str]] = [
    ("/repos/*/*/git/trees/*", "/repos/{owner}/{repo}/git/trees/{sha}"),
    ("/repos/*/*/git/blobs/*", "/repos/{owner}/{repo}/git/blobs/{sha}"),
    (
        "/repos/*/*/collaborators/*/permission",
        "/repos/{owner}/{repo}/collaborators/{login}/permission",
    ),
    ("/repos/*/*/collaborators/*", "/repos/{owner}/{repo}/collaborators/{login}"),
    ("/repos/*/*/collaborators", "/repos/{owner}/{repo}/collaborators"),
    ("/repos/*/*/invitations/*", "/repos/{owner}/{repo}/invitations/{id}"),
    ("/repos/*/*/invitations", "/repos/{owner}/{repo}/invitations"),
    ("/repos/*/*/commits/*", "/repos/{owner}/{repo}/commits/{sha}"),
    ("/repos/*/*/readme", "/repos/{owner}/{repo}/readme"),
    ("/repos/*/*", "/repos/{owner}/{repo}"),
    ("/users/*", "/users/{login}"),
    ("/app/installations/*/access_tokens", "/app/installations/{id}/access_tokens"),
    ("/rate_limit", "/rate_limit"),
]


def _route_name(method: str, path: str) -> str:
    """The route template a request hits; ``/repositories/{id}/x`` counts as ``/repos/…/x``
    so benchmark counts do not depend on how the client addressed the repository."""
    parts = path.split("/")
    if len(parts) >= 3 and parts[1] == "repositories" and parts[2].isdigit():
        path = "/".join(["", "repos", "_", "_", *parts[3:]])
    segments = path.count("/")
    for pattern, name in _ROUTES:
        if pattern.count("/") == segments and fnmatch.fnmatchcase(path, pattern):
            return f"{method} {name}"
    return f"{method} {path}"


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub  # set on the per-server subclass
    protocol_version = "HTTP/1.1"  # keep-alive, like GitHub; every answer has Content-Length
    timeout = 30  # idle keep-alive connections end instead of pinning a thread forever

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm
        # holds the body until the client's delayed ACK (~40 ms per request on Linux).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response = self.fake.handle(
            self.command, self.path, body, self.headers.get("Authorization", "")
        )
        if response is None:
            self.close_connection = True
            return
        payload = (
            b""
            if response.body is None or response.status == 204
            else json.dumps(response.body).encode()
        )
        self.send_response(response.status)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging; use ``FakeGitHub.requests`` instead."""

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            # The client gave up (timeout test) or closed its pool; nothing to report.
            self.close_connection = True


@pytest.fixture
def fake_github(settings: Any) -> Iterator[FakeGitHub]:
    """A running fake GitHub with Django settings pointing at it (token auth, no throttle).

    Uses pytest-django's ``settings`` fixture, so everything is restored after the test;
    no database is needed.
    """
    fake = FakeGitHub().start()
    settings.GITHUB_API_URL = fake.base_url
    settings.GITHUB_TOKEN = fake.token
    settings.GITHUB_APP_ID = ""
    settings.GITHUB_APP_PRIVATE_KEY = ""
    settings.GITHUB_APP_INSTALLATION_ID = ""
    settings.GITHUB_TIMEOUT = 5
    # PyGithub spaces requests 0.25 s / writes 1 s by default; pointless against loopback.
    settings.GITHUB_SECONDS_BETWEEN_REQUESTS = None
    settings.GITHUB_SECONDS_BETWEEN_WRITES = None
    try:
        yield fake
    finally:
        fake.stop()
