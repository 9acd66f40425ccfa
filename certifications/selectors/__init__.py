"""Reads of the certifications app, scoped to the user. Partner members see their own
organisations' rows; vendor staff see all; everybody else sees nothing."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from certifications.enums import CERTIFIED_STATES, FINAL_STATES, RequestState
from certifications.models import (
    Certificate,
    CertificationRequest,
    CredentialReveal,
    Document,
    Guideline,
    Integration,
    SealAction,
    SealApproval,
    TestEnvironment,
    TransitionLog,
)
from certifications.selectors.portal import (  # noqa: F401 (the portal's hand-written reads)
    MEMBER_PARTNERS_SQL,
    documents_list,
    environments_list,
    integration_rows_with_latest,
    listing_of,
    request_in_portal,
    requests_waiting_on_partner,
    timeline_list,
)
from certportal import roles


def _member_partner_ids(user: Any) -> QuerySet:
    from partners.models import Membership

    return Membership.objects.filter(user=user).values("partner_id")


def integrations_for(*, user: Any, partner_id: int | None = None) -> QuerySet[Integration]:
    """The integrations `user` may see, optionally of one partner."""
    if roles.is_vendor_staff(user):
        qs = Integration.objects.all()
    elif getattr(user, "is_authenticated", False):
        qs = Integration.objects.filter(partner_id__in=_member_partner_ids(user))
    else:
        return Integration.objects.none()
    if partner_id is not None:
        qs = qs.filter(partner_id=partner_id)
    return qs


def requests_for(*, user: Any, partner_id: int | None = None) -> QuerySet[CertificationRequest]:
    """The requests `user` may see, with what every page shows of them joined in."""
    if roles.is_vendor_staff(user):
        qs = CertificationRequest.objects.all()
    elif getattr(user, "is_authenticated", False):
        qs = CertificationRequest.objects.filter(
            integration__partner_id__in=_member_partner_ids(user)
        )
    else:
        return CertificationRequest.objects.none()
    if partner_id is not None:
        qs = qs.filter(integration__partner_id=partner_id)
    return qs.select_related("integration", "integration__partner", "assigned_reviewer")


def documents_for(*, user: Any) -> QuerySet[Document]:
    """Documents of the requests `user` may see (downloads are scoped through this)."""
    return Document.objects.filter(request__in=requests_for(user=user).values("pk"))


def environments_for(*, user: Any) -> QuerySet[TestEnvironment]:
    """Test access of the requests `user` may see."""
    return TestEnvironment.objects.filter(request__in=requests_for(user=user).values("pk"))


def _latest_request() -> QuerySet[CertificationRequest]:
    """An integration's requests, its latest first: the newest live one, else the newest."""
    return (
        CertificationRequest.objects.filter(integration=OuterRef("pk"))
        .annotate(
            is_closed=Case(
                When(state__in=FINAL_STATES, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("is_closed", "-created_at", "-pk")
    )


def integrations_with_latest_request_id(*, user: Any, partner_id: int) -> QuerySet[Integration]:
    """Integrations annotated with their latest request's id only (one subquery, the same
    rule as `integrations_with_latest_request`); `with_latest_requests` fills in the rest
    for the rows of a page."""
    return integrations_for(user=user, partner_id=partner_id).annotate(
        latest_request_id=Subquery(_latest_request().values("pk")[:1])
    )


def with_latest_requests(integrations: Any) -> Any:
    """Give each integration (of a page, annotated by `integrations_with_latest_request_id`)
    `latest_state`, `latest_version` and `latest_due`, in one query by primary key:
    cheaper to build than three more correlated subqueries."""
    rows = list(integrations)
    ids = [i.latest_request_id for i in rows if i.latest_request_id]
    latest = (
        {
            pk: (state, version, due)
            for pk, state, version, due in CertificationRequest.objects.filter(pk__in=ids)
            .order_by()
            .values_list("pk", "state", "version", "sla_due_at")
        }
        if ids
        else {}
    )
    for item in rows:
        item.latest_state, item.latest_version, item.latest_due = latest.get(
            item.latest_request_id, (None, None, None)
        )
    return integrations


def integrations_with_latest_request(*, user: Any, partner_id: int) -> QuerySet[Integration]:
    """Integrations annotated with their latest request's id, state, version and due date,
    in one query (no per-row lookups). The latest is the newest live one: a withdrawn or
    rejected request is shown only when the integration has no other (issue 14)."""
    latest = _latest_request()
    return integrations_for(user=user, partner_id=partner_id).annotate(
        latest_request_id=Subquery(latest.values("pk")[:1]),
        latest_state=Subquery(latest.values("state")[:1]),
        latest_version=Subquery(latest.values("version")[:1]),
        latest_due=Subquery(latest.values("sla_due_at")[:1]),
    )


def timeline(request: CertificationRequest) -> QuerySet[TransitionLog]:
    """A request's transition log, oldest first, with who did each step."""
    return request.log.select_related("actor").order_by("at", "id")


# A verification code as `_verification_code` makes them (URL-safe base64, 22 characters
# today, at most the column's 32).
VERIFICATION_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")


def certificate_by_code(code: str) -> Certificate | None:
    """Public verification: no login, only the certificate's own facts. A value that cannot
    be a code finds nothing without asking the database (PostgreSQL refuses NUL in it)."""
    if not VERIFICATION_CODE.fullmatch(code):
        return None
    return (
        Certificate.objects.select_related("request__integration__partner", "superseded_by")
        .filter(verification_code=code)
        .first()
    )


def certificates_of(integration: Integration) -> QuerySet[Certificate]:
    """Every seal an integration was issued, newest first."""
    return Certificate.objects.filter(request__integration=integration).order_by("-issued_at")


def requests_of(integration: Integration) -> QuerySet[CertificationRequest]:
    """Every request of one integration, newest first (a stable order for paging)."""
    return integration.requests.order_by("-created_at", "-pk")


def latest_certified(integration: Integration) -> CertificationRequest | None:
    """The newest certified version: the one an update starts from."""
    return (
        integration.requests.filter(state__in=[RequestState.CERTIFIED, RequestState.PUBLISHED])
        .order_by("-closed_at", "-pk")
        .first()
    )


def credential_reveals() -> QuerySet[CredentialReveal]:
    """Every reveal of a test-account password, newest first (the managers' audit page)."""
    return CredentialReveal.objects.select_related(
        "user", "environment__request__integration__partner"
    ).order_by("-at", "-pk")


def certificates_issued(*, start: dt.date | None, end: dt.date | None) -> QuerySet[Certificate]:
    """Certificates issued between `start` and `end` (either may be open), oldest first."""
    qs = Certificate.objects.select_related("request__integration__partner").order_by(
        "issued_at", "pk"
    )
    if start:
        qs = qs.filter(issued_at__date__gte=start)
    if end:
        qs = qs.filter(issued_at__date__lte=end)
    return qs


def certificate_of(request: CertificationRequest) -> Certificate | None:
    """The seal of one request, if it was certified, with the seal that superseded it (the
    request page says when a later version replaced it). Only a request that reached
    certified holds one: no query for the others."""
    if request.state not in (*CERTIFIED_STATES, RequestState.REVOKED):
        return None
    return Certificate.objects.filter(request=request).select_related("superseded_by").first()


def active_guidelines() -> QuerySet[Guideline]:
    """The guidelines partners attest against now; retired ones are kept for old findings
    but no longer asked."""
    return Guideline.objects.filter(active=True)


def documents_of(request: CertificationRequest) -> QuerySet[Document]:
    """A request's documents, grouped by type, newest version first."""
    return request.documents.order_by("doc_type", "-version")


def environments_of(request: CertificationRequest) -> QuerySet[TestEnvironment]:
    """A request's test access, in the model's order (kind, then when added)."""
    return request.environments.all()


def request_labels(ids) -> dict[int, str]:
    """ "Integration version" of each request id (the quota ledger names its requests),
    in one query."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {
        pk: f"{name} {version}"
        for pk, name, version in CertificationRequest.objects.filter(pk__in=ids).values_list(
            "pk", "integration__name", "version"
        )
    }


def certificates_of_partner(*, partner_id: int, limit: int = 50) -> list[Certificate]:
    """The partner's newest certificates with their integrations (managers' partner page),
    each with `pending_revocation`: the revocation waiting for a second person, or None
    (one query for all of them, none without certificates)."""
    certificates = list(
        Certificate.objects.filter(request__integration__partner_id=partner_id)
        .select_related("request__integration")
        .order_by("-issued_at", "-pk")[:limit]
    )
    pending = pending_revocations([c.request_id for c in certificates if c.revoked_at is None])
    for certificate in certificates:
        certificate.pending_revocation = pending.get(certificate.request_id)
    return certificates


def pending_revocations(request_ids: list[int]) -> dict[int, SealApproval]:
    """The pending revocation (waiting for a second person) of each of these requests that
    has one, in one query."""
    if not request_ids:
        return {}
    rows = (
        SealApproval.objects.filter(
            request_id__in=request_ids, action=SealAction.REVOKE, approved__isnull=True
        )
        .select_related("requested_by")
        .order_by("request_id", "-requested_at", "-id")
    )
    out: dict[int, SealApproval] = {}
    for row in rows:
        out.setdefault(row.request_id, row)
    return out


# How many integrations one search word may match and still be looked up by id; a word
# matching more is common enough that walking the queue in its order finds a page fast.
SEARCH_ID_CAP = 2000
# A word naming more than this share of all integrations is common too: walking the queue
# finds its rows sooner than looking up all of theirs.
COMMON_SHARE = 0.1
# The shortest word a trigram index can answer; a shorter one is taken to match versions.
TRIGRAM_MIN = 3


class _EqualsAny(Func):
    """`<column> = ANY(<array>)`, a condition usable in filter()."""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def _integration_in(ids: QuerySet) -> Q:
    """`integration_id = ANY(ARRAY(<ids>))` on PostgreSQL: an array the planner looks up
    in the foreign-key index (and, under an OR, ORs with the version's trigram index; a
    plain `IN (subquery)` under an OR becomes a filter checked on every row). Elsewhere
    IN."""
    if connection.vendor != "postgresql":
        return Q(integration_id__in=ids)
    return Q(_EqualsAny(F("integration_id"), ArraySubquery(ids)))


def _word_reach(integrations: QuerySet, word: str, cap: int) -> tuple[int, bool, float | None]:
    """How many integrations (at most `cap + 1`; one found by both names counts twice) the
    word finds by name or partner name, whether any request's version contains it, and
    (PostgreSQL) the planner's estimate of all integrations, in one query (the parts
    answered by trigram indexes and pg_class)."""
    counted_sql, counted_params = integrations[: cap + 1].query.sql_with_params()
    versions = CertificationRequest.objects.filter(version__icontains=word).order_by()
    version_sql, version_params = versions.values("pk")[:1].query.sql_with_params()
    total_sql, total_params = "NULL", ()
    if connection.vendor == "postgresql":
        total_sql = "(SELECT reltuples FROM pg_class WHERE oid = %s::regclass)"
        total_params = (Integration._meta.db_table,)
    sql = (
        f"SELECT (SELECT COUNT(*) FROM ({counted_sql}) AS found), EXISTS({version_sql}), "  # noqa: S608 (SQL built by the ORM, values as params)
        f"{total_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*counted_params, *version_params, *total_params))
        found, in_versions, total = cursor.fetchone()
    return found, bool(in_versions), total


def requests_matching(
    requests: QuerySet[CertificationRequest], words: list[str], *, id_cap: int = SEARCH_ID_CAP
) -> QuerySet[CertificationRequest]:
    """`requests` whose partner name, integration name or version contains every word
    (case-insensitive), the review queue's search box (issue 19).

    The admin's own search is one OR over three joined tables, which no index can answer:
    a scan of every request per search. Here one query per word finds how many
    integrations it names (by name or by partner name, each branch served by a trigram
    index) and whether any version contains it. The rarest word (naming at most `id_cap`
    integrations and at most COMMON_SHARE of them all) leads: its requests are
    `integration_id = ANY(…)`, an index lookup, or with `… OR version LIKE …` when some
    version contains the word, two index lookups ORed. Every other word is then compared on the joined names of the few rows found.
    When every word is common, all are compared on the joined rows: they match so much
    that the queue's ordered index walk fills a page quickly."""
    reach = []
    for word in words:
        by_name = Integration.objects.filter(name__icontains=word).order_by().values_list("pk")
        by_partner = (
            Integration.objects.filter(partner__name__icontains=word).order_by().values_list("pk")
        )
        # UNION ALL: a LIMIT stops it early (UNION's de-duplication first reads every
        # match: 250 ms for a word in every partner name at 2,000,000 requests). An
        # integration found by both names counts twice, which only errs towards the walk.
        integrations = by_name.union(by_partner, all=True)
        found, in_versions, total = _word_reach(integrations, word, id_cap)
        # A word naming a large share of all integrations is common however few they are.
        cap = min(id_cap, total * COMMON_SHARE) if total and total > 0 else id_cap
        reach.append((word, found, in_versions or len(word) < TRIGRAM_MIN, integrations, cap))
    rare = [r for r in reach if r[1] <= r[4]]
    lead = min(rare, key=lambda r: r[1])[0] if rare else None
    for word, _found, in_versions, integrations, _cap in reach:
        if word == lead:
            match = _integration_in(integrations)
        else:
            match = Q(integration__partner__name__icontains=word) | Q(
                integration__name__icontains=word
            )
        if in_versions:
            match |= Q(version__icontains=word)
        requests = requests.filter(match)
    return requests
