"""Tenant scoping lives in the selectors (SECURITY-CHECKS row 4).

Approach (chosen over a scoped default manager, which would change every service, task and
admin query): every partner-facing page is requested as partner A's admin while
`connection.execute_wrapper` records each SQL statement. Every statement that reads a
tenant table (certifications_*, partners_*, reviews_*, support_*; the guideline catalogue
and the deployment calendar are global reference data) must carry a tenant predicate:

* `partner_id` (the row's own partner, or through a join), or
* the membership subquery (`partners_membership` … `user_id`), or
* a key lookup (`id` / `<fk>_id` equal to, or IN, bound values): a related row fetched
  by the key of a row that was itself read through a scoped query. That the first row
  of every object URL is scoped is proven by the matrix (partner B gets 404 there).

A statement without a WHERE clause, or whose filters name no key and no partner (for
example `WHERE state = ...` alone), is an unscoped read and fails the test. The checker
itself is tested against known scoped and unscoped querysets."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from certifications import selectors
from certifications.models import CertificationRequest, Integration
from tests.security.matrix import concrete_url, expectation
from tests.security.urlwalk import walk

pytestmark = pytest.mark.django_db

TENANT_TABLE = re.compile(r'"((?:certifications|partners|reviews|support)_[a-z_]+)"')
GLOBAL_TABLES = {"certifications_guideline", "support_deploymentcycle"}
TENANT_PREDICATE = re.compile(
    r'"partner_id"|"partners_membership"|"(?:id|[a-z_]+_id)"\s*(?:=|IN\s*\()', re.IGNORECASE
)
# Partner-facing pages (the public verification page, its badge and JSON look a
# certificate up by its code; the marketplace lists every partner's published listings).
PARTNER_NAMESPACES = ("portal:", "support:", "notifications:")
PUBLIC = {
    "portal:verify",
    "portal:invite_accept",
    "portal:seal_badge",
    "portal:verify_json",
    "portal:marketplace",
}


def unscoped_reason(sql: str) -> str | None:
    tables = set(TENANT_TABLE.findall(sql)) - GLOBAL_TABLES
    if not tables:
        return None
    if not sql.lstrip(" (").upper().startswith(("SELECT", "WITH")):
        return f"writes to {sorted(tables)} on a GET"
    # A UNION (one round trip for several reads) is scoped when each of its branches is.
    for branch in re.split(r"\)?\s*\bUNION(?:\s+ALL)?\s*\(?", sql, flags=re.IGNORECASE):
        branch_tables = set(TENANT_TABLE.findall(branch)) - GLOBAL_TABLES
        if not branch_tables:
            continue
        where = branch.upper().find(" WHERE ")
        if where < 0:
            return f"reads {sorted(branch_tables)} without a WHERE clause"
        if not TENANT_PREDICATE.search(branch[where:]):
            return f"reads {sorted(branch_tables)} without a tenant or key predicate"
    return None


def test_the_checker_tells_scoped_from_unscoped(world):
    admin = world.users["admin"]
    unscoped = [
        Integration.objects.all(),
        CertificationRequest.objects.filter(state="draft"),
        Integration.objects.filter(name__icontains="acme"),
    ]
    scoped = [
        selectors.integrations_for(user=admin),
        selectors.requests_for(user=admin, partner_id=world.objects["partner"].pk),
        Integration.objects.filter(pk=world.objects["integration"].pk),
    ]
    mine = Integration.objects.filter(pk=world.objects["integration"].pk).values("pk").order_by()
    everyone = Integration.objects.values("pk").order_by()
    unscoped.append(mine.union(everyone, all=True))  # one branch unscoped is enough
    scoped.append(mine.union(mine, all=True))
    for qs in unscoped:
        sql, _params = qs.query.sql_with_params()
        assert unscoped_reason(sql), sql
    for qs in scoped:
        sql, _params = qs.query.sql_with_params()
        assert unscoped_reason(sql) is None, sql


def test_partner_pages_read_tenant_tables_only_through_scoped_queries(world):
    statements: list[tuple[str, str]] = []
    current = {"url": ""}

    def record(execute, sql, params, many, context):
        statements.append((current["url"], sql))
        return execute(sql, params, many, context)

    client = world.client("admin")
    pages = []
    for route in walk():
        if not route.key.startswith(PARTNER_NAMESPACES) and route.key != "home":
            continue
        expect = expectation(route)
        if route.key in PUBLIC or "admin" not in expect.get:
            continue
        pages.append(concrete_url(route, world.objects))
    assert len(pages) >= 15, pages
    # Warm the session (portal partner choice) so the hook sees only page reads.
    client.get(pages[0])
    with connection.execute_wrapper(record):
        for url in pages:
            current["url"] = url
            response = client.get(url)
            assert response.status_code in (200, 302), (url, response.status_code)
    tenant_statements = [(u, s) for u, s in statements if TENANT_TABLE.search(s)]
    assert len(tenant_statements) > 50, "the hook recorded too little"
    problems = []
    for url, sql in tenant_statements:
        if "django_session" in sql:
            continue
        reason = unscoped_reason(sql)
        if reason:
            problems.append(f"{url}: {reason}: {sql[:300]}")
    assert not problems, "\n".join(problems)
