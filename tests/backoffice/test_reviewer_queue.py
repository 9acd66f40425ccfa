"""The reviewers' queue, their landing page in the back office (issue 15): tabs and counts
across reviewers and tenants, order, filters, claiming, bulk assignment with a reason, the
reviewer settings page, the page cache, and a query count flat from 10 rows to 500."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certifications.enums import ProductArea, RequestKind, RequestState
from certifications.models import CertificationRequest, TransitionLog
from reviews.models import ReviewerProfile
from tests.backoffice.conftest import bulk_requests
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:review_queue")


def _row(integration, state, reviewer=None, days=5, version="1.0.0", kind=RequestKind.MINOR):
    now = timezone.now()
    return CertificationRequest.objects.create(
        integration=integration, version=version, kind=kind, state=state,
        assigned_reviewer=reviewer, submitted_at=now, sla_due_at=now + dt.timedelta(days=days),
    )  # fmt: skip


@pytest.fixture
def queue_rows(partner, other_partner, reviewer, other_reviewer):
    a = IntegrationFactory(partner=partner, name="Acme Captions")
    a2 = IntegrationFactory(
        partner=partner, name="Acme Module", product_area=ProductArea.KAF_MODULE
    )
    b = IntegrationFactory(partner=other_partner, name="Globex Quiz")
    return {
        "mine_late": _row(a, RequestState.CODE_REVIEW, reviewer, days=-2, version="1.1"),
        "mine_soon": _row(a2, RequestState.USER_TESTING, reviewer, days=1, version="1.2"),
        "mine_waiting": _row(a, RequestState.CHANGES_REQUESTED, reviewer, version="1.3"),
        "unassigned_a": _row(a, RequestState.SUBMITTED, None, days=9, version="1.4"),
        "theirs_b": _row(b, RequestState.USER_TESTING, other_reviewer, version="2.0"),
        "unassigned_b": _row(b, RequestState.SUBMITTED, None, days=3, version="2.1", kind=RequestKind.MAJOR),
        "draft": _row(a, RequestState.DRAFT, None, version="0.1"),
        "certified": _row(b, RequestState.CERTIFIED, reviewer, version="0.9"),
    }  # fmt: skip


def _counts(response):
    return {t["key"]: t["count"] for t in response.context["tabs"]}


def _shown(response):
    return [row.version for row in response.context["rows"]]


def test_tabs_counts_and_order_across_reviewers_and_tenants(
    client, reviewer, other_reviewer, manager, queue_rows
):
    client.force_login(reviewer)
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert _counts(response) == {"mine": 2, "unassigned": 2, "waiting": 1, "open": 6}
    assert _shown(response) == ["1.1", "1.2"]  # Mine by default, soonest due first
    body = response.content.decode()
    assert "2 days overdue" in body and "1 day left" in body
    assert _shown(client.get(QUEUE + "?tab=unassigned")) == ["2.1", "1.4"]
    assert _shown(client.get(QUEUE + "?tab=waiting")) == ["1.3"]
    everything = _shown(client.get(QUEUE + "?tab=open"))
    assert set(everything) == {"1.1", "1.2", "1.3", "1.4", "2.0", "2.1"}  # no draft, no final
    client.force_login(other_reviewer)
    assert _counts(client.get(QUEUE))["mine"] == 1
    client.force_login(manager)
    response = client.get(QUEUE)
    assert response.context["tab"] == "unassigned"  # managers start on the unassigned
    assert "Claim" not in response.content.decode()  # managers assign, they do not claim


def test_filters_narrow_counts_and_ignore_unknown_values(
    client, reviewer, other_reviewer, queue_rows
):
    client.force_login(reviewer)
    response = client.get(QUEUE + f"?tab=open&area={ProductArea.KAF_MODULE}")
    assert _shown(response) == ["1.2"] and _counts(response)["open"] == 1
    assert _shown(client.get(QUEUE + "?tab=open&kind=major")) == ["2.1"]
    assert _shown(client.get(QUEUE + f"?tab=open&reviewer={other_reviewer.pk}")) == ["2.0"]
    response = client.get(QUEUE + "?tab=nope&area=x&kind=%00&reviewer=999999&page=abc")
    assert response.status_code == 200
    assert response.context["tab"] == "mine"
    assert "Unknown filter values were ignored: area, kind, reviewer" in response.content.decode()


def test_queue_roles(client, support_agent, partner_admin, queue_rows):
    client.force_login(support_agent)
    assert client.get(QUEUE).status_code == 403
    client.force_login(partner_admin)
    response = client.get(QUEUE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_reviewers_land_on_the_queue(client, reviewer, manager):
    client.force_login(reviewer)
    assert client.get(reverse("admin:index"))["Location"] == QUEUE
    assert client.get(reverse("home"))["Location"] == QUEUE
    assert client.get(reverse("admin:index") + "?models=1").status_code == 200
    client.force_login(manager)
    assert client.get(reverse("admin:index")).status_code == 200


def test_claim_and_bulk_assign_with_a_reason(client, reviewer, other_reviewer, manager, queue_rows):
    client.force_login(reviewer)
    target = queue_rows["unassigned_a"]
    response = client.post(
        reverse("admin:review_queue_claim", args=[target.pk]),
        {"return_query": "tab=unassigned&x=1"},
    )
    assert response["Location"] == QUEUE + "?tab=unassigned"
    target.refresh_from_db()
    assert target.assigned_reviewer == reviewer
    log = TransitionLog.objects.filter(request=target, transition="assign").last()
    assert log.comment.startswith("Claimed by") and log.actor == reviewer
    assert client.get(reverse("admin:review_queue_claim", args=[target.pk])).status_code == 405
    client.force_login(manager)
    ids = [queue_rows["unassigned_b"].pk, target.pk, queue_rows["draft"].pk]
    url = reverse("admin:review_queue_assign")
    client.post(url, {"ids": ids, "reviewer": other_reviewer.pk, "reason": ""})
    target.refresh_from_db()
    assert target.assigned_reviewer == reviewer  # nothing without a reason
    response = client.post(
        url, {"ids": ids, "reviewer": other_reviewer.pk, "reason": "Balance"}, follow=True
    )
    body = response.content.decode()
    assert "Assigned 2 requests to" in body
    assert "Only submitted requests can be assigned." in body  # the draft
    target.refresh_from_db()
    assert target.assigned_reviewer == other_reviewer
    assert TransitionLog.objects.filter(request=target).last().comment.endswith(": Balance")


def test_reviewer_settings_page(client, reviewer, other_reviewer, manager, partner):
    url = reverse("admin:reviewer_settings")
    client.force_login(reviewer)
    page = client.get(url)
    assert page.status_code == 200 and "capacity" not in page.context["form"].fields
    response = client.post(url, {"away_from": "2030-01-10", "away_until": "2030-01-05"})
    assert response.status_code == 400
    response = client.post(url, {"away_from": "2030-01-10", "away_until": "2030-01-20",
                                 "conflicts": [partner.pk], "capacity": "50"})  # fmt: skip
    assert response.status_code == 302
    profile = ReviewerProfile.objects.get(user=reviewer)
    assert profile.capacity == 0  # reviewers cannot set their own capacity
    assert list(profile.conflicts.all()) == [partner]
    assert (
        client.get(reverse("admin:reviewer_settings_of", args=[other_reviewer.pk])).status_code
        == 403
    )
    client.force_login(manager)
    assert "Reviewers, their capacity and load" in client.get(url).content.decode()
    of = reverse("admin:reviewer_settings_of", args=[reviewer.pk])
    client.post(of, {"capacity": "3", "conflicts": [partner.pk]})
    profile.refresh_from_db()
    assert profile.capacity == 3


def _count(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_queue_queries_flat_from_10_to_500_rows(client, reviewer, page_cache_off):
    client.force_login(reviewer)
    bulk_requests(10, prefix="ten", reviewer=reviewer)
    at_10, response = _count(client, QUEUE)
    assert len(response.context["rows"]) == 10
    bulk_requests(490, prefix="more", reviewer=reviewer)
    at_500, response = _count(client, QUEUE)
    assert _counts(response)["mine"] == 500 and len(response.context["rows"]) == 50
    assert at_500 == at_10 <= 10


def test_queue_is_served_from_the_page_cache(client, reviewer, queue_rows, settings):
    settings.PAGE_CACHE_SECONDS = 60
    client.force_login(reviewer)
    client.get(QUEUE)
    assert client.get(QUEUE).get("X-Page-Cache") == "hit"
    client.post(reverse("admin:review_queue_claim", args=[queue_rows["unassigned_a"].pk]))
    fresh = client.get(QUEUE)
    assert fresh.get("X-Page-Cache") != "hit"
    assert _counts(fresh)["mine"] == 3
