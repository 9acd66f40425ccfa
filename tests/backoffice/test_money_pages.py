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
from partners.enums import AgreementState
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
