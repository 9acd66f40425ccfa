"""The certification reads of the partner portal's most drawn pages (the dashboard, the
request page), written by hand (certportal.sqlread, issue 19): each is one statement
scoped as its queryset counterpart in `certifications.selectors` (`requests_for`,
`integrations_for`: the person's memberships and the current partner), returning what
that queryset returns."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from certifications.enums import FINAL_STATES, WAITING_ON_PARTNER
from certifications.models import (
    Certificate,
    CertificationRequest,
    Document,
    Integration,
    Listing,
    TestEnvironment,
    TransitionLog,
)
from certportal import sqlread
from partners.models import Partner

# The person's organisations, as `_member_partner_ids` reads them: hand-written reads
# (certportal.sqlread) are scoped by this and by the current partner, like the querysets.
MEMBER_PARTNERS_SQL = (
    '(SELECT "u"."partner_id" FROM "partners_membership" "u" WHERE "u"."user_id" = %s)'
)


def integration_rows_with_latest(
    *, user: Any, partner_id: int, offset: int, limit: int
) -> tuple[list[Integration], int | None]:
    """One page of the partner's integrations by name (`integrations_for`), each with
    `latest_request_id`, `latest_state`, `latest_version` and `latest_due` of its latest
    request (the `_latest_request` rule: the newest live one, else the newest), and how
    many integrations the page was cut from (None when the page is empty): one statement,
    written by hand (certportal.sqlread) because the queryset, its count and the latest
    requests' query cost several times the CPU of running them."""
    final = list(FINAL_STATES)
    sql = (
        f"SELECT {sqlread.columns(Integration, 'p')}, "  # noqa: S608 (no values in the SQL)
        '"r"."id", "r"."state", "r"."version", "r"."sla_due_at", "p"."total" '
        f'FROM (SELECT {sqlread.columns(Integration, "i")}, COUNT(*) OVER () AS "total" '
        'FROM "certifications_integration" "i" '
        f'WHERE "i"."partner_id" IN {MEMBER_PARTNERS_SQL} AND "i"."partner_id" = %s '
        'ORDER BY "i"."name" ASC, "i"."id" ASC LIMIT %s OFFSET %s) "p" '
        'LEFT OUTER JOIN "certifications_certificationrequest" "r" ON "r"."id" = ('
        'SELECT "l"."id" FROM "certifications_certificationrequest" "l" '
        'WHERE "l"."integration_id" = "p"."id" '
        f'ORDER BY CASE WHEN "l"."state" IN ({sqlread.placeholders(final)}) THEN 1 ELSE 0 END, '
        '"l"."created_at" DESC, "l"."id" DESC LIMIT 1) '
        'ORDER BY "p"."name" ASC, "p"."id" ASC'
    )
    rows = sqlread.fetch_all(sql, [user.pk, partner_id, limit, offset, *final])
    start = sqlread.width(Integration)
    due_field = CertificationRequest._meta.get_field("sla_due_at")
    integrations = []
    for row in rows:
        integration = sqlread.instance(Integration, row)
        latest = sqlread.typed([row[start : start + 4]], (None, None, None, due_field))[0]
        (
            integration.latest_request_id,
            integration.latest_state,
            integration.latest_version,
            integration.latest_due,
        ) = latest
        integrations.append(integration)
    return integrations, (rows[0][-1] if rows else None)


def requests_waiting_on_partner(*, user: Any, partner_id: int, limit: int) -> list[dict]:
    """The partner's requests waiting on them (draft or changes requested), most recently
    changed first, as plain rows (`pk`, `version`, `state`, `integration_name`): the
    dashboard's to-do list, scoped as `requests_for`, written by hand (certportal.sqlread)."""
    waiting = list(WAITING_ON_PARTNER)
    sql = (
        'SELECT "r"."id", "r"."version", "r"."state", "i"."name" '  # noqa: S608 (no values in the SQL)
        'FROM "certifications_certificationrequest" "r" '
        'INNER JOIN "certifications_integration" "i" ON ("r"."integration_id" = "i"."id") '
        f'WHERE "i"."partner_id" IN {MEMBER_PARTNERS_SQL} AND "i"."partner_id" = %s '
        f'AND "r"."state" IN ({sqlread.placeholders(waiting)}) '
        'ORDER BY "r"."updated_at" DESC, "r"."id" DESC LIMIT %s'
    )
    return [
        {"pk": pk, "version": version, "state": state, "integration_name": name}
        for pk, version, state, name in sqlread.fetch_all(
            sql, [user.pk, partner_id, *waiting, limit]
        )
    ]


def request_in_portal(*, user: Any, partner_ids: list[int], pk: int) -> CertificationRequest | None:
    """Request `pk` if `user` may see it (`requests_for`) and it belongs to one of
    `partner_ids` (the portal's memberships), with its integration, partner and assigned
    reviewer loaded as `requests_for` joins them; None otherwise. One hand-written
    statement (certportal.sqlread): the portal's request pages and actions start here."""
    if not partner_ids or not sqlread.fits(pk):
        return None
    User = get_user_model()
    sql = (
        f"SELECT {sqlread.columns(CertificationRequest, 'r')}, "  # noqa: S608 (no values in the SQL)
        f"{sqlread.columns(Integration, 'i')}, {sqlread.columns(Partner, 'p')}, "
        f"{sqlread.columns(User, 'a')} "
        'FROM "certifications_certificationrequest" "r" '
        'INNER JOIN "certifications_integration" "i" ON ("r"."integration_id" = "i"."id") '
        'INNER JOIN "partners_partner" "p" ON ("i"."partner_id" = "p"."id") '
        f'LEFT OUTER JOIN "{User._meta.db_table}" "a" ON ("r"."assigned_reviewer_id" = "a"."id") '
        f'WHERE "i"."partner_id" IN {MEMBER_PARTNERS_SQL} '
        f'AND "i"."partner_id" IN ({sqlread.placeholders(partner_ids)}) AND "r"."id" = %s'
    )
    row = sqlread.fetch_one(sql, [user.pk, *partner_ids, pk])
    if row is None:
        return None
    request = sqlread.instance(CertificationRequest, row)
    start = sqlread.width(CertificationRequest)
    integration = sqlread.instance(Integration, row, start)
    start += sqlread.width(Integration)
    integration.partner = sqlread.instance(Partner, row, start)
    start += sqlread.width(Partner)
    request.integration = integration
    request.assigned_reviewer = (
        sqlread.instance(User, row, start) if request.assigned_reviewer_id else None
    )
    return request


def timeline_list(request: CertificationRequest) -> list[TransitionLog]:
    """`timeline` as a list, in one hand-written statement (certportal.sqlread)."""
    User = get_user_model()
    sql = (
        f"SELECT {sqlread.columns(TransitionLog, 't')}, {sqlread.columns(User, 'a')} "  # noqa: S608 (no values in the SQL)
        'FROM "certifications_transitionlog" "t" '
        f'LEFT OUTER JOIN "{User._meta.db_table}" "a" ON ("t"."actor_id" = "a"."id") '
        'WHERE "t"."request_id" = %s ORDER BY "t"."at" ASC, "t"."id" ASC'
    )
    start = sqlread.width(TransitionLog)
    entries = []
    for row in sqlread.fetch_all(sql, [request.pk]):
        entry = sqlread.instance(TransitionLog, row)
        entry.actor = sqlread.instance(User, row, start) if entry.actor_id else None
        entries.append(entry)
    return entries


def documents_list(request: CertificationRequest) -> list[Document]:
    """`documents_of` as a list, in one hand-written statement (certportal.sqlread)."""
    sql = (
        f'SELECT {sqlread.columns(Document, "d")} FROM "certifications_document" "d" '  # noqa: S608 (no values in the SQL)
        'WHERE "d"."request_id" = %s ORDER BY "d"."doc_type" ASC, "d"."version" DESC'
    )
    return [sqlread.instance(Document, row) for row in sqlread.fetch_all(sql, [request.pk])]


def environments_list(request: CertificationRequest) -> list[TestEnvironment]:
    """`environments_of` as a list, in one hand-written statement (certportal.sqlread)."""
    sql = (
        f"SELECT {sqlread.columns(TestEnvironment, 'e')} "  # noqa: S608 (no values in the SQL)
        'FROM "certifications_testenvironment" "e" '
        'WHERE "e"."request_id" = %s ORDER BY "e"."kind" ASC, "e"."id" ASC'
    )
    return [sqlread.instance(TestEnvironment, row) for row in sqlread.fetch_all(sql, [request.pk])]


def listing_of(*, integration_id: int) -> Listing | None:
    """The integration's marketplace listing, if published, with the seal it shows: one
    hand-written statement (certportal.sqlread; the request page reads it every time)."""
    sql = (
        f"SELECT {sqlread.columns(Listing, 'l')}, {sqlread.columns(Certificate, 'c')} "  # noqa: S608 (no values in the SQL)
        'FROM "certifications_listing" "l" '
        'INNER JOIN "certifications_certificate" "c" ON ("l"."certificate_id" = "c"."id") '
        'WHERE "l"."integration_id" = %s ORDER BY "l"."id" ASC LIMIT 1'
    )
    row = sqlread.fetch_one(sql, [integration_id])
    if row is None:
        return None
    listing = sqlread.instance(Listing, row)
    listing.certificate = sqlread.instance(Certificate, row, sqlread.width(Listing))
    return listing
