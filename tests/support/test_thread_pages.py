"""Long ticket threads paginate (issue 20): the ticket page shows the newest
EVENTS_PER_PAGE events with a "Show earlier messages" link, and costs the same queries
with a long thread as with a short one, on the portal and on the support desk."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from support.enums import EventKind
from support.models import TicketEvent
from support.web import EVENTS_PER_PAGE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_off")]


def add_replies(ticket, actor, count, *, start=0, internal=False):
    base = timezone.now() - dt.timedelta(days=30)
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket=ticket,
            actor=actor,
            kind=EventKind.NOTE if internal else EventKind.REPLY,
            body=f"Message number {n:04}.",
            internal=internal,
            at=base + dt.timedelta(minutes=n),
        )
        for n in range(start, start + count)
    )


def queries(client, url) -> int:
    client.get(url)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_portal_ticket_page_shows_the_newest_page_and_links_to_earlier(
    client, ticket, partner_developer
):
    add_replies(ticket, partner_developer, EVENTS_PER_PAGE + 30)
    client.force_login(partner_developer)
    url = reverse("support:ticket_detail", args=[ticket.pk])
    html = client.get(url).content.decode()
    assert f"Message number {EVENTS_PER_PAGE + 29:04}." in html  # the newest
    assert "Message number 0000." not in html  # the oldest is on page 2
    assert "Show earlier messages" in html
    assert f'href="{url}?page=2"' in html
    # Within a page the thread reads oldest to newest.
    assert html.index("Message number 0079.") > html.index("Message number 0078.")

    earlier = client.get(url, {"page": 2}).content.decode()
    assert "Message number 0000." in earlier
    assert f"Message number {EVENTS_PER_PAGE + 29:04}." not in earlier
    assert "Show later messages" in earlier


def test_portal_ticket_page_queries_do_not_grow_with_the_thread(client, ticket, partner_developer):
    client.force_login(partner_developer)
    url = reverse("support:ticket_detail", args=[ticket.pk])
    add_replies(ticket, partner_developer, 5)
    few = queries(client, url)
    add_replies(ticket, partner_developer, 3 * EVENTS_PER_PAGE, start=5)
    assert queries(client, url) == few
    assert queries(client, f"{url}?page=3") == few


def test_portal_ticket_page_size_is_bounded_by_the_page(client, ticket, partner_developer):
    # The report: 100,000-character replies made a 1.2 MB page. Replies are capped at
    # 10,000 characters now, and a page holds EVENTS_PER_PAGE of them.
    client.force_login(partner_developer)
    url = reverse("support:ticket_detail", args=[ticket.pk])
    add_replies(ticket, partner_developer, 3 * EVENTS_PER_PAGE)
    size = len(client.get(url).content)
    add_replies(ticket, partner_developer, 3 * EVENTS_PER_PAGE, start=3 * EVENTS_PER_PAGE)
    assert len(client.get(url).content) == pytest.approx(size, rel=0.02)


def test_portal_ticket_page_never_counts_internal_notes(client, ticket, partner_developer):
    client.force_login(partner_developer)
    add_replies(ticket, partner_developer, EVENTS_PER_PAGE + 5, internal=True)
    html = client.get(reverse("support:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Message number" not in html
    assert "Show earlier messages" not in html


def test_desk_ticket_page_paginates_and_queries_do_not_grow(client, ticket, support_agent):
    client.force_login(support_agent)
    url = reverse("support_staff:ticket", args=[ticket.pk])
    add_replies(ticket, support_agent, 5, internal=True)
    few = queries(client, url)
    add_replies(ticket, support_agent, 2 * EVENTS_PER_PAGE, start=5, internal=True)
    assert queries(client, url) == few
    html = client.get(url).content.decode()
    assert "Show earlier messages" in html
    assert f"Message number {2 * EVENTS_PER_PAGE + 4:04}." in html
    assert "Message number 0004." not in html


@pytest.mark.parametrize("page_number", ["0", "-1", "9" * 30, "abc", "\x00"])
def test_a_bad_page_number_shows_a_page_not_an_error(
    client, ticket, partner_developer, page_number
):
    client.force_login(partner_developer)
    add_replies(ticket, partner_developer, EVENTS_PER_PAGE + 1)
    url = reverse("support:ticket_detail", args=[ticket.pk])
    assert client.get(url, {"page": page_number}).status_code == 200


def test_a_failed_action_renders_links_to_the_ticket_page(client, ticket, partner_developer):
    client.force_login(partner_developer)
    add_replies(ticket, partner_developer, EVENTS_PER_PAGE + 1)
    response = client.post(reverse("support:ticket_action", args=[ticket.pk, "reply"]), {})
    assert response.status_code == 400
    detail = reverse("support:ticket_detail", args=[ticket.pk])
    assert f'href="{detail}?page=2"' in response.content.decode()
