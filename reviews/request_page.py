"""Reads of the reviewers' request page (the CertificationRequest page in the back office):
the package, test access and its reveal log, findings with their threads, GitHub access
grants and the timeline, plus the scoped lookups its actions make.

The page draws with a pinned number of queries (tests/backoffice/test_admin_request.py,
tests/perf/test_query_pins.py): each read here is one query, or none when it can be
skipped. The findings, documents, test access and timeline are read by hand
(certportal.sqlread, the same statements as the partner's request page): building and
compiling their querysets was a quarter of the page's CPU when drawn afresh. The
actions' lookups start from the certifications selectors, so an id typed into a URL
reaches only rows the user's scope already shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from certifications import selectors as cert_selectors
from certifications.models import (
    CertificationRequest,
    CredentialReveal,
    Document,
    Guideline,
    TestEnvironment,
    TransitionLog,
)
from reviews.access import repo_access_grants_for
from reviews.models import Finding, RepoAccessGrant
from reviews.selectors import findings_with_replies


def guideline_catalogue() -> list[Guideline]:
    """Every guideline, active or not: the checklist shows titles of retired ones too, and
    the finding form offers the active ones. The catalogue is small, so one query."""
    return list(Guideline.objects.all())


def findings_prefetched(request: CertificationRequest) -> list[Finding]:
    """The request's findings with their guideline, reply count and latest replies (and
    their authors, internal notes included); a longer thread is read on the replies list.
    Hand-written (reviews.selectors.findings_with_replies): one query, two with replies.

    They are also put in `request`'s prefetch cache, as prefetch_related would: the
    transition conditions (open findings per stage) read `request.findings`, the same
    rows, once."""
    findings = findings_with_replies(request, partner=False)
    cached = request.findings.all()
    cached._result_cache = findings
    cached._prefetch_done = True
    if not hasattr(request, "_prefetched_objects_cache"):
        request._prefetched_objects_cache = {}
    request._prefetched_objects_cache["findings"] = cached
    return findings


def findings_of(request: CertificationRequest) -> QuerySet[Finding]:
    """The request's findings, for looking one up by id (another request's is a 404)."""
    return request.findings.all()


def environments_of(request: CertificationRequest) -> list[TestEnvironment]:
    """The request's test environments, evaluated: the page also decides from them whether
    there is a reveal log to read (hand-written, as the partner's request page reads them)."""
    return cert_selectors.environments_list(request)


def credential_reveals_of(
    request: CertificationRequest, *, environments: list[TestEnvironment]
) -> QuerySet[CredentialReveal] | list[CredentialReveal]:
    """Who revealed which test password when, newest first. Without environments there is
    nothing to reveal, so the query is skipped."""
    if not environments:
        return []
    return (
        CredentialReveal.objects.filter(environment__request=request)
        .select_related("user", "environment")
        .order_by("-at")
    )


def documents_of(request: CertificationRequest) -> list[Document]:
    """The request's documents by type, newest version first (hand-written)."""
    return cert_selectors.documents_list(request)


def access_grants_of(request: CertificationRequest) -> list[RepoAccessGrant]:
    """GitHub access grants of the request's integration (access is per repository)."""
    return list(repo_access_grants_for(request=request))


def timeline_of(request: CertificationRequest) -> list[TransitionLog]:
    """The request's transition log, oldest first, with who did each step (hand-written)."""
    return cert_selectors.timeline_list(request)


@dataclass(frozen=True)
class RequestPageReads:
    """Everything the request page reads about one request, loaded by `request_page_reads`."""

    findings: list[Finding]
    environments: list[TestEnvironment]
    reveals: QuerySet[CredentialReveal] | list[CredentialReveal]
    guidelines: list[Guideline]
    documents: list[Document]
    grants: list[RepoAccessGrant]
    timeline: list[TransitionLog]


def request_page_reads(*, request: CertificationRequest) -> RequestPageReads:
    """Load the request page's data. Call it before asking for the available transitions:
    their conditions read the findings prefetched here."""
    environments = environments_of(request)
    return RequestPageReads(
        findings=findings_prefetched(request),
        environments=environments,
        reveals=credential_reveals_of(request, environments=environments),
        guidelines=guideline_catalogue(),
        documents=documents_of(request),
        grants=access_grants_of(request),
        timeline=timeline_of(request),
    )


# --- Scoped lookups of the page's actions --------------------------------------------------


def request_environments_for(
    *, user: Any, request: CertificationRequest
) -> QuerySet[TestEnvironment]:
    """Test environments of `request` that `user` may see, with their request and
    integration joined (the reveal service reads them)."""
    return (
        cert_selectors.environments_for(user=user)
        .select_related("request__integration")
        .filter(request_id=request.pk)
    )


def request_documents_for(*, user: Any, request: CertificationRequest) -> QuerySet[Document]:
    """Documents of `request` that `user` may download."""
    return cert_selectors.documents_for(user=user).filter(request_id=request.pk)
