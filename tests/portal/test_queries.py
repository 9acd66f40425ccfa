"""Pinned query counts: the pages do not issue per-row queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certifications import services
from certifications.models import TransitionLog
from reviews.models import Finding, FindingReply
from tests.factories import IntegrationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_off")]

# request_detail: +1 for issue 15's "what changed" (review rounds and the last seal, one query);
# issue 19: the dashboard reads its agreement, money and eligibility facts in one query, and
# the request page reads no certificate before certification (12 -> 11, 13 -> 12); then its
# quota in that query too, and a page of integrations with their latest requests and their
# total in one (11 -> 7; the request page 12 -> 11 with replies: the count came with the
# findings before).
MAX_QUERIES = {"dashboard": 7, "integration_list": 6, "request_detail": 11}
# The dashboard asked for a page past the last: the empty page, then the first for the
# total, then the last (Paginator.get_page's answer), two queries more.
PAST_LAST_PAGE = MAX_QUERIES["dashboard"] + 2


def add_integrations(partner, actor, count, start=0):
    for n in range(start, start + count):
        integration = IntegrationFactory(partner=partner, name=f"Int {n:03}")
        services.request_create(integration=integration, actor=actor, version="1.0")


def add_findings(request, author, count):
    for n in range(count):
        finding = Finding.objects.create(
            request=request,
            stage="user_testing" if n % 2 else "code_review",
            category="functional",
            severity="minor",
            title=f"Finding {n}",
            reviewer_note="note",
        )
        FindingReply.objects.create(finding=finding, author=author, body=f"reply {n}")
        TransitionLog.objects.create(
            request=request,
            actor=author,
            transition="note",
            from_state=request.state,
            to_state=request.state,
            at=timezone.now(),
        )


def count_queries(client, url, limit, django_assert_max_num_queries):
    client.get(url)  # warm up: the first visit stores the current partner in the session
    with django_assert_max_num_queries(limit), CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["dashboard", "integration_list"])
def test_list_pages_constant_queries(
    client, eligible_partner, partner_admin, name, django_assert_max_num_queries
):
    client.force_login(partner_admin)
    url = reverse(f"portal:{name}")
    add_integrations(eligible_partner, partner_admin, 3)
    few = count_queries(client, url, MAX_QUERIES[name], django_assert_max_num_queries)
    add_integrations(eligible_partner, partner_admin, 30, start=3)
    many = count_queries(client, url, MAX_QUERIES[name], django_assert_max_num_queries)
    assert many == few


def test_dashboard_past_the_last_page_constant_queries(
    client, eligible_partner, partner_admin, django_assert_max_num_queries
):
    client.force_login(partner_admin)
    url = reverse("portal:dashboard") + "?page=99"
    add_integrations(eligible_partner, partner_admin, 13)
    few = count_queries(client, url, PAST_LAST_PAGE, django_assert_max_num_queries)
    add_integrations(eligible_partner, partner_admin, 30, start=13)
    many = count_queries(client, url, PAST_LAST_PAGE, django_assert_max_num_queries)
    assert many == few
    body = client.get(url).content.decode()
    assert "Page 5 of 5" in body and "Int 042" in body


def test_request_detail_constant_queries(
    client, changes_requested, partner_admin, reviewer, django_assert_max_num_queries
):
    client.force_login(partner_admin)
    url = reverse("portal:request_detail", args=[changes_requested.pk])
    add_findings(changes_requested, reviewer, 2)  # 3 findings with the fixture's
    few = count_queries(client, url, MAX_QUERIES["request_detail"], django_assert_max_num_queries)
    add_findings(changes_requested, reviewer, 30)
    many = count_queries(client, url, MAX_QUERIES["request_detail"], django_assert_max_num_queries)
    assert many == few
