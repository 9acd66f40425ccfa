"""Review rounds and what changed between them: each submit and resubmit records the
commit under review; comparisons come from GitHub's compare API (`reviews.github`), stored
once per commit pair (commits never change, so neither does their comparison)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from certifications.models import CertificationRequest
from reviews import github
from reviews.models import CompareCache, ReviewRound

ROUND_TRANSITIONS = frozenset({"submit", "resubmit"})


def review_round_record(*, request_id: int, transition: str) -> ReviewRound | None:
    """Record the commit of a new review round (a submit or a resubmit of `request_id`).
    Safe to call twice for the same commit: a round repeating the last one's commit is not
    recorded again."""
    if transition not in ROUND_TRANSITIONS:
        return None
    with transaction.atomic():
        request = CertificationRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            return None
        last = request.rounds.order_by("-number").first()
        if (
            last is not None
            and last.commit_sha == request.commit_sha
            and (transition == "submit" or last.transition == transition)
        ):
            return last
        number = (request.rounds.aggregate(n=Max("number"))["n"] or 0) + 1
        return ReviewRound.objects.create(
            request=request,
            number=number,
            commit_sha=request.commit_sha,
            transition=transition,
            started_at=timezone.now(),
        )


@dataclass(frozen=True)
class CompareOutcome:
    """A comparison for a page: `comparison` when GitHub answered, otherwise `message`
    says why not in words (not configured, a commit force-pushed away, GitHub down)."""

    base: str
    head: str
    comparison: github.Comparison | None = None
    message: str = ""
    web_url: str = ""
    files: tuple[str, ...] = field(default=())


def _to_payload(c: github.Comparison) -> dict[str, Any]:
    return {
        "status": c.status,
        "ahead_by": c.ahead_by,
        "behind_by": c.behind_by,
        "total_commits": c.total_commits,
        "html_url": c.html_url,
        "commits": [[x.sha, x.message, x.html_url] for x in c.commits],
        "files": [[f.filename, f.status, f.additions, f.deletions] for f in c.files],
    }


def _from_payload(data: dict[str, Any]) -> github.Comparison:
    return github.Comparison(
        status=data.get("status", ""),
        ahead_by=data.get("ahead_by", 0),
        behind_by=data.get("behind_by", 0),
        total_commits=data.get("total_commits", 0),
        html_url=data.get("html_url", ""),
        commits=tuple(github.ComparedCommit(*row) for row in data.get("commits", [])),
        files=tuple(github.ChangedFile(*row) for row in data.get("files", [])),
    )


def _outcome(repo: str, base: str, head: str, row: CompareCache) -> CompareOutcome:
    web = f"https://github.com/{repo}/compare/{base}...{head}"
    if not row.ok:
        return CompareOutcome(base, head, message=row.payload.get("message", ""), web_url=web)
    comparison = _from_payload(row.payload)
    return CompareOutcome(
        base,
        head,
        comparison=comparison,
        web_url=comparison.html_url or web,
        files=tuple(f.filename for f in comparison.files),
    )


def compare_commits_cached(
    *, repo: str, base: str, head: str, cached: dict[tuple[str, str], CompareCache] | None = None
) -> CompareOutcome:
    """What changed from `base` to `head` in `repo`, from the cache or (once per pair)
    from GitHub. A missing commit (GitHub's 404) is stored as a clear message; GitHub
    being unreachable, refusing access or not configured is said but not stored, so the
    next view tries again. `cached` holds rows a page already loaded in one query."""
    web = f"https://github.com/{repo}/compare/{base}...{head}"
    if not (repo and base and head):
        return CompareOutcome(base, head, message="There is no earlier commit to compare with.")
    if base == head:
        return CompareOutcome(base, head, message="The same commit as before: nothing changed.")
    row = (cached or {}).get((base, head))
    if row is None:
        row = CompareCache.objects.filter(repo=repo, base=base, head=head).first()
    if row is not None:
        return _outcome(repo, base, head, row)
    if not github.is_configured():
        return CompareOutcome(
            base,
            head,
            message="GitHub is not configured here, so the changes cannot be listed; "
            "compare the two commits on GitHub.",
            web_url=web,
        )
    try:
        comparison = github.compare_commits(repo, base, head)
    except github.CommitNotFound as exc:
        row = _store(repo, base, head, ok=False, payload={"message": exc.reason})
        return _outcome(repo, base, head, row)
    except github.GitHubError as exc:
        return CompareOutcome(base, head, message=str(exc), web_url=web)
    row = _store(repo, base, head, ok=True, payload=_to_payload(comparison))
    return _outcome(repo, base, head, row)


def _store(repo: str, base: str, head: str, *, ok: bool, payload: dict) -> CompareCache:
    try:
        with transaction.atomic():
            return CompareCache.objects.create(
                repo=repo, base=base, head=head, ok=ok, payload=payload
            )
    except IntegrityError:  # another page stored the same pair first
        return CompareCache.objects.get(repo=repo, base=base, head=head)
