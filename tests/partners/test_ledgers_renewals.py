"""Ledgers with running balances, fees by year, renewals, reminders and the grace period."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from certportal.models import Notification
from partners import ledgers, renewals, selectors, services
from partners.enums import AgreementState, QuotaEntryKind, QuotaKind
from partners.models import Agreement, QuotaEntry
from partners.services.eligibility import grace_period_check
from tests.factories import PartnerFactory, member, qualify, staff_user

pytestmark = pytest.mark.django_db

# one step: ("consume" | "return" | "grant", quota kind, units for a grant)
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["consume", "return", "grant"]),
        st.sampled_from(QuotaKind.values),
        st.integers(min_value=1, max_value=3),
    ),
    max_size=25,
)


class TestQuotaLedgerBalances(HypothesisTestCase):
    """For any sequence of consumes, returns and grants, each running balance is the
    included quota plus the entries so far, and the last one is what quota_summary
    reports as left."""

    @classmethod
    def setUpTestData(cls):
        from certportal import roles

        cls.manager = staff_user("manager-h", roles.PARTNER_MANAGER)
        cls.partner = PartnerFactory()
        cls.admin = member(cls.partner)
        cls.agreement = qualify(cls.partner, manager=cls.manager, major=2, minor=1)

    @hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(STEPS)
    def test_balances_equal_the_sum_of_entries(self, steps):
        agreement = self.agreement
        QuotaEntry.objects.filter(agreement=agreement).delete()
        next_request = 1
        consumed: list[tuple[int, str]] = []  # (request id, kind) not yet returned
        for action, kind, units in steps:
            if action == "grant":
                services.quota_grant(
                    agreement=agreement, actor=self.manager, kind=kind, units=units, reason="x"
                )
            elif action == "consume":
                if selectors.quota_left(agreement=agreement, kind=kind) < 1:
                    continue  # the service refuses; nothing is written
                services.quota_consume(
                    agreement=agreement, kind=kind, request_id=next_request, actor=self.admin
                )
                consumed.append((next_request, kind))
                next_request += 1
            elif consumed:
                request_id, _kind = consumed.pop(0)
                services.quota_refund(request_id=request_id, actor=self.admin, reason="withdrawn")
        ledger = ledgers.quota_ledger(agreement=agreement)
        summary = selectors.quota_summary(agreement=agreement)
        for kind, lines in ledger.items():
            included = lines[0].units
            running = included
            for line in lines[1:]:
                running += line.units
                assert line.balance == running
            entries = QuotaEntry.objects.filter(agreement=agreement, quota_kind=kind)
            assert lines[-1].balance == included + sum(e.units for e in entries)
            assert lines[-1].balance == summary[kind].left
            assert len(lines) == 1 + entries.count()


def test_quota_ledger_names_requests_and_grants(eligible_partner, manager, partner_admin):
    agreement = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
    services.quota_grant(
        agreement=agreement, actor=manager, kind="major", units=2, reason="launch bonus"
    )
    services.quota_consume(agreement=agreement, kind="major", request_id=77, actor=partner_admin)
    services.quota_refund(request_id=77, actor=partner_admin, reason="withdrawn")
    major = ledgers.quota_ledger(agreement=agreement)["major"]
    assert [(x.what, x.units, x.balance) for x in major] == [
        ("Included in the agreement", 4, 4),
        (QuotaEntryKind.GRANT.label, 2, 6),
        (QuotaEntryKind.CONSUME.label, -1, 5),
        (QuotaEntryKind.REFUND.label, 1, 6),
    ]
    assert major[1].reason == "launch bonus"
    assert major[2].request_id == 77


def test_marketing_ledger_running_credit(eligible_partner, manager):
    agreement = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
    for title, amount in (("Webinar", "500"), ("Case study", "250.50")):
        services.marketing_activity_record(
            agreement=agreement,
            actor=manager,
            title=title,
            amount=Decimal(amount),
            happened_on=timezone.localdate(),
        )
    lines = ledgers.marketing_ledger(agreement=agreement)
    assert [(x.title, x.balance) for x in lines] == [
        ("Marketing credit included", Decimal("1500.00")),
        ("Webinar", Decimal("1000.00")),
        ("Case study", Decimal("749.50")),
    ]
    assert lines[1].amount == Decimal("-500.00")
    assert lines[1].approved_by == manager.get_full_name() or manager.username
    assert lines[-1].balance == selectors.money_summary(agreement=agreement).credit_left


def test_fees_by_year_and_overdue(eligible_partner, other_partner, manager):
    paid = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
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
    services.payment_record(
        agreement=owing,
        actor=manager,
        amount=Decimal("1000"),
        paid_on=owing.term_start,
        reference="P",
    )
    years = {y.year: y for y in ledgers.fees_by_year()}
    year = paid.term_start.year
    assert years[year].invoiced == Decimal("13000.00")
    assert years[year].paid == Decimal("7500.00")
    assert years[year].outstanding == Decimal("5500.00")
    today = timezone.localdate()
    assert list(ledgers.overdue_agreements(today=today)) == []
    later = today + dt.timedelta(days=ledgers.PAYMENT_DUE_DAYS + 1)
    assert list(ledgers.overdue_agreements(today=later)) == [owing]


def test_renewal_creates_next_agreement_with_the_program_defaults(eligible_partner, manager):
    current = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
    Agreement.objects.filter(pk=current.pk).update(
        fee=Decimal("5000"), major_quota=9, marketing_credit=Decimal("100")
    )
    current.refresh_from_db()
    renewal = services.agreement_renew(agreement=current, actor=manager)
    assert renewal.renewal_of == current
    assert renewal.state == AgreementState.REQUESTED
    assert renewal.term_start == current.term_end + dt.timedelta(days=1)
    assert renewal.fee == Decimal(settings.PROGRAM_FEE_USD) == Decimal("6500")
    assert (renewal.major_quota, renewal.minor_quota) == (4, 6)
    assert renewal.marketing_credit == Decimal("1500")
    assert renewal.legal_name == current.legal_name
    assert list(renewals.renewals_due(today=current.term_end)) == []


def test_reminders_once_per_threshold_even_when_the_task_runs_twice(eligible_partner):
    agreement = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
    sent = []
    for days in (95, 90, 89, 30, 30, 7, 6, 1):
        today = agreement.term_end - dt.timedelta(days=days)
        first = services.agreement_expiry_reminders(today=today)
        second = services.agreement_expiry_reminders(today=today)  # the beat task again
        assert second == 0
        sent.append(first)
    assert sent == [0, 1, 0, 1, 0, 1, 0, 0]
    agreement.refresh_from_db()
    assert agreement.reminders_sent == [7, 30, 90]
    rows = Notification.objects.filter(event="agreement_expiring")
    keys = {r.dedupe_key for r in rows}
    assert keys == {f"agreement-expiring:{agreement.pk}:{t}" for t in (90, 30, 7)}
    # each threshold once per recipient: the partner's admins get the partner-facing
    # reminder, the managers their own notice (never the partner's copy)
    recipients = {r.recipient_id for r in rows}
    assert recipients and rows.count() == 3 * len(recipients)
    staff = Notification.objects.filter(event="agreement_expiring_staff")
    assert staff.exists() and not recipients & {r.recipient_id for r in staff}
    assert staff.count() == 3 * len({r.recipient_id for r in staff})


def test_renewals_due_lists_window_and_grace(eligible_partner):
    agreement = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
    assert list(renewals.renewals_due(today=agreement.term_end - dt.timedelta(days=91))) == []
    assert list(renewals.renewals_due(today=agreement.term_end - dt.timedelta(days=90))) == [
        agreement
    ]
    in_grace = agreement.term_end + dt.timedelta(days=settings.AGREEMENT_GRACE_DAYS)
    assert list(renewals.renewals_due(today=in_grace)) == [agreement]
    assert list(renewals.renewals_due(today=in_grace + dt.timedelta(days=1))) == []


def test_grace_period_then_submissions_refused(eligible_partner, settings):
    agreement = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
    settings.AGREEMENT_GRACE_DAYS = 10
    in_grace = agreement.term_end + dt.timedelta(days=10)
    assert selectors.agreement_in_force(partner=eligible_partner, on=in_grace) == agreement
    after = in_grace + dt.timedelta(days=1)
    assert selectors.agreement_in_force(partner=eligible_partner, on=after) is None
    assert grace_period_check(partner=eligible_partner, today=in_grace) is not None  # caller's job
    unmet = grace_period_check(partner=eligible_partner, today=after)
    assert unmet.code == "grace_period"
    assert "grace period" in unmet.message
    assert services.agreements_expire_due(today=in_grace) == 0
    assert services.agreements_expire_due(today=after) == 1


def test_eligibility_refuses_after_the_grace_period(eligible_partner):
    agreement = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
    in_grace = agreement.term_end + dt.timedelta(days=settings.AGREEMENT_GRACE_DAYS)
    Agreement.objects.filter(pk=agreement.pk).update(
        term_start=agreement.term_start - (in_grace - timezone.localdate()),
        term_end=timezone.localdate() - dt.timedelta(days=settings.AGREEMENT_GRACE_DAYS),
    )
    # the last day of grace: still eligible
    assert services.eligibility_check(partner=eligible_partner, quota_kind="major") == []
    Agreement.objects.filter(pk=agreement.pk).update(
        term_end=timezone.localdate() - dt.timedelta(days=settings.AGREEMENT_GRACE_DAYS + 1)
    )
    codes = [
        u.code for u in services.eligibility_check(partner=eligible_partner, quota_kind="major")
    ]
    assert codes == ["grace_period"]
