"""Ledgers on the manager's partner page and the partner's agreement page, their CSV
exports, the fees and renewals pages: access by role and tenant, pinned query counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partners import services
from partners.enums import AgreementState, QuotaEntryKind
from partners.models import MarketingActivity, QuotaEntry
from tests.factories import PartnerFactory, member, qualify

pytestmark = pytest.mark.django_db


def _spend(agreement, manager, admin, n):
    for i in range(n):
        services.marketing_activity_record(
            agreement=agreement,
            actor=manager,
            title=f"Activity {i}",
            amount=Decimal("10"),
            happened_on=timezone.localdate(),
        )
        services.quota_grant(
            agreement=agreement, actor=manager, kind="minor", units=1, reason=f"r{i}"
        )


def _count(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_ledgers_on_both_pages_with_csv(
    client, eligible_partner, partner_admin, manager, page_cache_off
):
    agreement = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
    services.quota_consume(agreement=agreement, kind="major", request_id=9999, actor=partner_admin)
    _spend(agreement, manager, partner_admin, 2)
    client.force_login(manager)
    page = client.get(reverse("manage:partner", args=[eligible_partner.pk])).content.decode()
    assert "Certification quota ledger" in page and "Marketing credit ledger" in page
    assert "USD 1,480.00" in page  # credit left after two activities of 10
    csv = client.get(
        reverse("manage:ledger_csv", args=[eligible_partner.pk, agreement.pk, "marketing"])
    )
    text = b"".join(csv.streaming_content).decode()
    assert text.splitlines()[0] == "date,activity,amount,credit_left,approved_by,currency"
    assert "Activity 1,-10.00,1480.00" in text
    client.force_login(partner_admin)
    page = client.get(reverse("portal:agreement")).content.decode()
    assert "Certification quota ledger" in page and "r1" in page
    csv = client.get(reverse("portal:agreement_ledger_csv", args=[agreement.pk, "quota"]))
    rows = b"".join(csv.streaming_content).decode().splitlines()
    assert rows[0] == "date,quota,entry,request,units,balance,by,reason"
    assert any(",major,Used by a submission,,-1,3," in r for r in rows)


def test_ledger_csv_other_tenant_is_404(
    client, eligible_partner, other_partner, other_partner_admin, manager
):
    agreement = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
    client.force_login(other_partner_admin)
    assert (
        client.get(reverse("portal:agreement_ledger_csv", args=[agreement.pk, "quota"])).status_code
        == 404
    )
    client.force_login(manager)
    wrong_partner = reverse("manage:ledger_csv", args=[other_partner.pk, agreement.pk, "quota"])
    assert client.get(wrong_partner).status_code == 404
    bad = reverse("manage:ledger_csv", args=[eligible_partner.pk, agreement.pk, "nope"])
    assert client.get(bad).status_code == 404


@pytest.mark.parametrize("name", ["manage:fees", "manage:renewals"])
def test_money_pages_need_a_manager(client, name, reviewer, partner_admin):
    for user in (reviewer, partner_admin):
        client.force_login(user)
        assert client.get(reverse(name)).status_code == 403


def test_fees_page_highlights_overdue(client, manager, other_partner):
    admin = member(other_partner)
    owing = services.agreement_request(
        partner=other_partner,
        actor=admin,
        legal_name="B",
        billing_contact_name="B",
        billing_contact_email="b@b.example",
        billing_address="B",
    )
    owing = services.agreement_send(agreement=owing, actor=manager, payment_instructions="Wire")
    type(owing).objects.filter(pk=owing.pk).update(sent_at=timezone.now() - dt.timedelta(days=45))
    client.force_login(manager)
    body = client.get(reverse("manage:fees")).content.decode()
    assert 'class="overdue"' in body and other_partner.name in body
    assert "USD 6,500.00" in body


def test_money_pages_queries_flat(client, manager, page_cache_off):
    def grow(n, start):
        for i in range(start, start + n):
            partner = PartnerFactory(name=f"Flat {i}")
            member(partner)
            agreement = qualify(partner, manager=manager)
            type(agreement).objects.filter(pk=agreement.pk).update(
                term_end=timezone.localdate() + dt.timedelta(days=20 + i)
            )

    client.force_login(manager)
    grow(2, 0)
    pages = [reverse("manage:fees"), reverse("manage:renewals")]
    few = [_count(client, u) for u in pages]
    first = PartnerFactory._meta.model.objects.get(name="Flat 0")
    detail = reverse("manage:partner", args=[first.pk])
    agreement = first.agreements.get(state=AgreementState.ACTIVE)
    partner_few = _count(client, detail)
    grow(4, 2)
    _spend(agreement, manager, None, 5)
    assert [_count(client, u) for u in pages] == few
    assert _count(client, detail) == partner_few
    assert max(few) <= 12


def _entries(agreement, manager, n, start=0):
    """`n` quota entries (consumed by requests and granted, both kinds) and `n` marketing
    activities, written straight to the ledgers' tables."""
    QuotaEntry.objects.bulk_create(
        QuotaEntry(
            agreement=agreement,
            quota_kind=("major", "minor")[i % 2],
            entry_kind=QuotaEntryKind.CONSUME if i % 3 else QuotaEntryKind.GRANT,
            units=-1 if i % 3 else 2,
            request_id=900_000 + i if i % 3 else None,
            reason="" if i % 3 else f"grant {i}",
            actor=manager,
        )
        for i in range(start, start + n)
    )
    MarketingActivity.objects.bulk_create(
        MarketingActivity(
            agreement=agreement,
            title=f"Webinar {i}",
            amount=Decimal("5"),
            happened_on=timezone.localdate(),
            recorded_by=manager,
        )
        for i in range(start, start + n)
    )


def _count_streamed(client, url) -> int:
    """Queries of one GET, the streamed body (a CSV) read inside the count."""

    def body(response) -> bytes:
        return b"".join(response.streaming_content) if response.streaming else response.content

    body(client.get(url))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200, url
        content = body(response)
    assert content, url
    return len(ctx.captured_queries)


def test_ledger_pages_and_csv_queries_flat_with_entries(
    client, eligible_partner, partner_admin, manager, page_cache_off
):
    """Both ledgers on the manager's partner page and the partner's agreement page, and
    their four CSV exports: the same number of queries with 3 entries as with 60."""
    agreement = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
    pages = {
        manager: [
            reverse("manage:partner", args=[eligible_partner.pk]),
            *(
                reverse("manage:ledger_csv", args=[eligible_partner.pk, agreement.pk, which])
                for which in ("quota", "marketing")
            ),
        ],
        partner_admin: [
            reverse("portal:agreement"),
            *(
                reverse("portal:agreement_ledger_csv", args=[agreement.pk, which])
                for which in ("quota", "marketing")
            ),
        ],
    }

    def counts():
        out = []
        for user, urls in pages.items():
            client.force_login(user)
            out += [_count_streamed(client, url) for url in urls]
        return out

    _entries(agreement, manager, 3)
    few = counts()
    _entries(agreement, manager, 57, start=3)
    assert QuotaEntry.objects.filter(agreement=agreement).count() == 60
    assert counts() == few
    # The exports and the partner's page within the page budget (the manager's partner
    # page carries the whole partner file: its own pin is test_money_pages_queries_flat).
    assert max(few[1:]) <= 12
    client.force_login(manager)
    csv = client.get(
        reverse("manage:ledger_csv", args=[eligible_partner.pk, agreement.pk, "quota"])
    )
    assert len(b"".join(csv.streaming_content).decode().splitlines()) == 1 + 2 + 60
