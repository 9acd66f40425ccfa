"""The portal's hand-written reads (certportal.sqlread, issue 19) return what the querysets
they stand in for return: the same rows, in the same order, scoped the same way."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.paginator import Paginator
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from certifications import selectors
from certifications import services as cert_services
from certifications.enums import BLOCKING_FINDING_STATUSES, WAITING_ON_PARTNER, RequestState
from certifications.models import CertificationRequest, TransitionLog
from partners import selectors as partner_selectors
from partners.enums import QuotaEntryKind, QuotaKind
from partners.models import Agreement, MarketingActivity, Membership, Payment, QuotaEntry
from portal.context import paginate_counted
from reviews import selectors as review_selectors
from reviews.models import Finding, FindingReply
from tests.factories import IntegrationFactory, PartnerFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(partner, partner_admin, other_partner, other_partner_admin):
    """13 integrations of partner A with requests in every arrangement the latest-request
    rule tells apart, and one of partner B."""
    integrations = []
    for n in range(13):
        integration = IntegrationFactory(partner=partner, name=f"Int {12 - n:02} <&>")
        integrations.append(integration)
        if n % 4 == 0:
            continue  # no request
        first = cert_services.request_create(
            integration=integration, actor=partner_admin, version=f"{n}.0"
        )
        if n % 4 >= 2:
            second = cert_services.request_create(
                integration=integration, actor=partner_admin, version=f"{n}.1"
            )
            # The newer one closed: the older live one is the latest.
            CertificationRequest.objects.filter(pk=second.pk).update(
                state=RequestState.WITHDRAWN, sla_due_at=timezone.now()
            )
        if n % 4 == 3:
            # Both closed: the newest closed one is the latest.
            CertificationRequest.objects.filter(pk=first.pk).update(state=RequestState.REJECTED)
        else:
            CertificationRequest.objects.filter(pk=first.pk).update(
                state=RequestState.CHANGES_REQUESTED if n % 2 else RequestState.DRAFT,
                sla_due_at=timezone.now() + dt.timedelta(days=n),
            )
    foreign = IntegrationFactory(partner=other_partner, name="Int 00 foreign")
    cert_services.request_create(integration=foreign, actor=other_partner_admin, version="9.9")
    return integrations


def latest_facts(rows):
    return [
        (i.pk, i.name, i.latest_request_id, i.latest_state, i.latest_version, i.latest_due)
        for i in rows
    ]


def test_integration_rows_match_the_queryset(shelf, partner, partner_admin, other_partner_admin):
    expected = list(
        selectors.integrations_with_latest_request(
            user=partner_admin, partner_id=partner.pk
        ).order_by("name")
    )
    for offset in (0, 10, 13):
        rows, total = selectors.integration_rows_with_latest(
            user=partner_admin, partner_id=partner.pk, offset=offset, limit=10
        )
        assert latest_facts(rows) == latest_facts(expected[offset : offset + 10])
        assert total == (13 if rows else None)
        assert all(r.get_product_area_display() for r in rows)
    # Another organisation's admin sees none of partner A's, even asking for them.
    assert selectors.integration_rows_with_latest(
        user=other_partner_admin, partner_id=partner.pk, offset=0, limit=10
    ) == ([], None)


@pytest.mark.parametrize("count", [0, 7, 10, 23])
def test_paginate_counted_gives_the_page_get_page_gives(count, partner, partner_admin):
    for n in range(count):
        IntegrationFactory(partner=partner, name=f"Int {n:02}")
    queryset = selectors.integrations_for(user=partner_admin, partner_id=partner.pk).order_by(
        "name", "pk"
    )
    factory = RequestFactory()
    for number in ("", "1", "2", "3", "4", "0", "-1", "x", "2.0", " 2", "9" * 30):
        request = factory.get("/", {"page": number})
        expected = Paginator(queryset, 10).get_page(request.GET.get("page"))
        got = paginate_counted(
            request,
            lambda offset, limit: selectors.integration_rows_with_latest(
                user=partner_admin, partner_id=partner.pk, offset=offset, limit=limit
            ),
            10,
        )
        assert got.number == expected.number, number
        assert got.paginator.num_pages == expected.paginator.num_pages
        assert got.paginator.count == expected.paginator.count
        assert (got.has_previous(), got.has_next()) == (
            expected.has_previous(),
            expected.has_next(),
        )
        assert [i.pk for i in got] == [i.pk for i in expected], number


def test_waiting_and_open_findings_match_the_querysets(
    shelf, partner, partner_admin, reviewer, other_partner_admin
):
    requests = list(CertificationRequest.objects.filter(integration__partner=partner))
    for n, request in enumerate(requests):
        CertificationRequest.objects.filter(pk=request.pk).update(
            updated_at=timezone.now() - dt.timedelta(hours=n)
        )
        Finding.objects.create(
            request=request,
            stage="user_testing",
            category="functional",
            severity="minor",
            status="open" if n % 3 else "verified",
            title=f"Finding <{n}>",
            reviewer_note="note",
        )
    scoped = selectors.requests_for(user=partner_admin, partner_id=partner.pk)
    expected = [
        {"pk": r.pk, "version": r.version, "state": r.state, "integration_name": r.integration.name}
        for r in scoped.filter(state__in=WAITING_ON_PARTNER).order_by("-updated_at")[:10]
    ]
    assert (
        selectors.requests_waiting_on_partner(user=partner_admin, partner_id=partner.pk, limit=10)
        == expected
    )
    findings = review_selectors.open_findings_for(scoped, limit=10)
    assert review_selectors.open_findings_brief(
        user=partner_admin, partner_id=partner.pk, limit=10
    ) == [
        {
            "pk": f.pk,
            "request_id": f.request_id,
            "title": f.title,
            "guideline_code": f.guideline.code if f.guideline else None,
            "version": f.request.version,
            "integration_name": f.request.integration.name,
        }
        for f in findings
    ]
    assert len(findings) == 10
    for read in (selectors.requests_waiting_on_partner, review_selectors.open_findings_brief):
        assert read(user=other_partner_admin, partner_id=partner.pk, limit=10) == []


def test_request_in_portal_is_scoped_and_complete(
    changes_requested, partner, partner_admin, other_partner, other_partner_admin
):
    own = selectors.request_in_portal(
        user=partner_admin, partner_ids=[partner.pk], pk=changes_requested.pk
    )
    expected = selectors.requests_for(user=partner_admin).get(pk=changes_requested.pk)
    fields = [f.attname for f in CertificationRequest._meta.concrete_fields]
    assert [getattr(own, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert own.integration == expected.integration
    assert own.integration.partner == partner
    assert own.assigned_reviewer == expected.assigned_reviewer is not None
    assert own.checklist == expected.checklist  # a JSON field, converted as the ORM does
    # Not through another organisation, nor outside the portal's organisations, nor a key
    # no column holds.
    for user, partner_ids, pk in (
        (other_partner_admin, [other_partner.pk], changes_requested.pk),
        (other_partner_admin, [partner.pk], changes_requested.pk),
        (partner_admin, [other_partner.pk], changes_requested.pk),
        (partner_admin, [], changes_requested.pk),
        (partner_admin, [partner.pk], 10**30),
        (partner_admin, [partner.pk], -1),
    ):
        assert selectors.request_in_portal(user=user, partner_ids=partner_ids, pk=pk) is None


def test_request_page_reads_match_the_querysets(changes_requested, partner_admin, reviewer):
    request = changes_requested
    TransitionLog.objects.create(
        request=request,
        actor=None,
        transition="note",
        from_state="x",
        to_state="y",
        at=timezone.now(),
    )
    assert selectors.timeline_list(request) == list(selectors.timeline(request))
    assert [e.actor for e in selectors.timeline_list(request)] == [
        e.actor for e in selectors.timeline(request)
    ]
    assert selectors.documents_list(request) == list(selectors.documents_of(request))
    environments = selectors.environments_list(request)
    assert environments == list(selectors.environments_of(request))
    assert [e.password for e in environments] == [
        e.password for e in selectors.environments_of(request)
    ]
    finding = request.finding
    for n in range(3):
        FindingReply.objects.create(finding=finding, author=partner_admin, body=f"r{n}")
    FindingReply.objects.create(finding=finding, author=reviewer, body="secret", internal=True)
    (read,) = review_selectors.findings_with_replies(request)
    assert read == finding and read.reply_count == 3 and read.earlier_replies == 0
    assert [r.body for r in read.latest_replies] == ["r0", "r1", "r2"]
    assert read.latest_replies[0].author == partner_admin


def test_agreement_totals_match_the_summaries(eligible_partner, partner_admin, manager):
    agreement = eligible_partner.agreements.get(state="active")
    QuotaEntry.objects.create(
        agreement=agreement, quota_kind=QuotaKind.MAJOR, entry_kind=QuotaEntryKind.CONSUME, units=-1
    )
    QuotaEntry.objects.create(
        agreement=agreement, quota_kind=QuotaKind.MINOR, entry_kind=QuotaEntryKind.GRANT, units=2
    )
    Payment.objects.create(
        agreement=agreement, amount=Decimal("10.50"), paid_on=timezone.localdate(), reference="r"
    )
    MarketingActivity.objects.create(
        agreement=agreement,
        title="Webinar",
        amount=Decimal("99.99"),
        happened_on=timezone.localdate(),
    )
    annotated = partner_selectors.agreement_in_force_with_totals(partner=eligible_partner)
    plain = Agreement.objects.get(pk=agreement.pk)
    assert annotated == plain
    assert partner_selectors.quota_summary(agreement=annotated) == partner_selectors.quota_summary(
        agreement=plain
    )
    assert partner_selectors.money_summary(agreement=annotated) == partner_selectors.money_summary(
        agreement=plain
    )
    assert (annotated.review_state, annotated.has_plan) == ("approved", True)
    assert annotated.reminders_sent == plain.reminders_sent  # a JSON field
    assert partner_selectors.agreement_in_force_with_totals(partner=PartnerFactory()) is None


def test_memberships_list_matches_the_queryset(partner, partner_admin, other_partner):
    Membership.objects.create(user=partner_admin, partner=other_partner, role="viewer")
    member(other_partner)
    listed = partner_selectors.memberships_list(user_id=partner_admin.pk)
    expected = list(partner_selectors.memberships_for(user=partner_admin))
    assert listed == expected
    assert [(m.role, m.partner.name) for m in listed] == [
        (m.role, m.partner.name) for m in expected
    ]


@pytest.mark.parametrize("long_thread", [False, True])
def test_request_page_names_a_deleted_author_someone(
    client, changes_requested, partner_admin, reviewer, long_thread
):
    """A reply whose author's account was deleted (author set to NULL) is shown as
    "Someone" on the partner's request page and its thread page, not a server error;
    both ways of reading the newest replies (short threads, the windowed prefetch)."""
    finding = changes_requested.finding
    gone = member(changes_requested.integration.partner, username="left-the-company")
    FindingReply.objects.create(finding=finding, author=gone, body="from a former colleague")
    for n in range(5 if long_thread else 0):
        FindingReply.objects.create(finding=finding, author=reviewer, body=f"later {n}")
    gone.delete()
    assert FindingReply.objects.filter(finding=finding, author__isnull=True).exists()
    client.force_login(partner_admin)
    page = client.get(reverse("portal:request_detail", args=[changes_requested.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    if not long_thread:
        assert "<strong>Someone</strong>" in html and "from a former colleague" in html
    thread = client.get(reverse("portal:finding_thread", args=[finding.pk]))
    assert thread.status_code == 200
    assert "<strong>Someone</strong>" in thread.content.decode()


@pytest.mark.parametrize("replies", [0, 3, 12])
def test_reviewer_page_findings_include_internal_notes(
    changes_requested, partner_admin, reviewer, replies
):
    """The reviewers' request page reads its findings by hand too (partner=False): the
    same findings as the ORM, every reply counted and shown newest-last, internal notes
    included, and the rows put in the request's prefetch cache for the transition
    conditions."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reviews import request_page

    finding = changes_requested.finding
    for n in range(replies):
        FindingReply.objects.create(
            finding=finding,
            author=reviewer if n % 2 else partner_admin,
            body=f"r{n}",
            internal=bool(n % 2),
        )
    request = CertificationRequest.objects.get(pk=changes_requested.pk)
    findings = request_page.findings_prefetched(request)
    assert findings == list(Finding.objects.filter(request=request))
    (read,) = findings
    assert read.reply_count == replies
    shown = min(replies, review_selectors.REPLIES_SHOWN)
    newest = [f"r{n}" for n in range(replies - shown, replies)]
    assert [r.body for r in read.latest_replies] == newest
    assert read.earlier_replies == replies - shown
    with CaptureQueriesContext(connection) as ctx:
        assert request.open_findings(stage=finding.stage) == (
            [finding.pk] if finding.status in BLOCKING_FINDING_STATUSES else []
        )
        assert list(request.findings.all()) == findings
    assert len(ctx.captured_queries) == 0
