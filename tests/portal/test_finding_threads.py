"""A finding's replies paginate (issue 20): the request page shows the latest REPLIES_SHOWN
replies of each finding with a link to the whole thread, at the same query count however
long the threads are; the thread page pages through the rest, newest first."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviews.models import Finding, FindingReply
from reviews.selectors import REPLIES_SHOWN

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_off")]


def add_replies(finding, author, count, *, start=0):
    replies = FindingReply.objects.bulk_create(
        FindingReply(finding=finding, author=author, body=f"Reply number {n:04}.")
        for n in range(start, start + count)
    )
    # `at` is auto_now_add: spread the replies out so their order is their number.
    base = timezone.now() - dt.timedelta(days=10)
    for reply, n in zip(replies, range(start, start + count), strict=True):
        FindingReply.objects.filter(pk=reply.pk).update(at=base + dt.timedelta(minutes=n))


def queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_request_page_shows_the_latest_replies_and_links_to_the_thread(
    client, changes_requested, partner_admin
):
    finding = changes_requested.finding
    add_replies(finding, partner_admin, REPLIES_SHOWN + 5)
    client.force_login(partner_admin)
    html = client.get(reverse("portal:request_detail", args=[changes_requested.pk])).content
    html = html.decode()
    assert f"Reply number {REPLIES_SHOWN + 4:04}." in html
    assert "Reply number 0004." not in html
    assert "Reply number 0005." in html
    assert html.index("Reply number 0006.") > html.index("Reply number 0005.")
    assert "Show 5 earlier replies" in html
    assert reverse("portal:finding_thread", args=[finding.pk]) in html


def test_request_page_queries_do_not_grow_with_the_threads(
    client, changes_requested, partner_admin, reviewer
):
    finding = changes_requested.finding
    second = Finding.objects.create(
        request=changes_requested,
        stage=finding.stage,
        category="functional",
        severity="minor",
        title="Second",
        reviewer_note="note",
    )
    client.force_login(partner_admin)
    url = reverse("portal:request_detail", args=[changes_requested.pk])
    add_replies(finding, partner_admin, 2)
    few = queries(client, url)
    add_replies(finding, partner_admin, 3 * REPLIES_SHOWN, start=2)
    add_replies(second, reviewer, 3 * REPLIES_SHOWN)
    assert queries(client, url) == few


def test_thread_page_pages_newest_first(client, changes_requested, partner_viewer):
    finding = changes_requested.finding
    add_replies(finding, partner_viewer, 60)
    client.force_login(partner_viewer)
    url = reverse("portal:finding_thread", args=[finding.pk])
    first = client.get(url).content.decode()
    assert "Reply number 0059." in first and "Reply number 0010." in first
    assert "Reply number 0009." not in first
    assert "Show earlier replies" in first
    earlier = client.get(url, {"page": 2}).content.decode()
    assert "Reply number 0000." in earlier and "Reply number 0010." not in earlier
    assert "Show later replies" in earlier


def test_thread_page_of_another_organisation_is_404(client, changes_requested, other_partner_admin):
    client.force_login(other_partner_admin)
    url = reverse("portal:finding_thread", args=[changes_requested.finding.pk])
    assert client.get(url).status_code == 404


def test_admin_request_page_shows_the_latest_replies_and_links_to_the_rest(
    client, changes_requested, partner_admin, reviewer
):
    finding = changes_requested.finding
    add_replies(finding, partner_admin, REPLIES_SHOWN + 3)
    client.force_login(reviewer)
    url = reverse("admin:certifications_certificationrequest_change", args=[changes_requested.pk])
    html = client.get(url).content.decode()
    assert f"Reply number {REPLIES_SHOWN + 2:04}." in html
    assert "Reply number 0002." not in html
    replies = reverse("admin:reviews_findingreply_changelist")
    assert f"{replies}?finding={finding.pk}" in html
    listing = client.get(replies, {"finding": finding.pk})
    assert listing.status_code == 200
    assert "Reply number 0000." in listing.content.decode()
