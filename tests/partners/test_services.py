import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from certportal.errors import ProgramError
from certportal.models import AuditEvent
from partners import selectors, services
from partners.enums import AgreementState, BusinessReviewState, MemberRole, Standing
from partners.models import Agreement, QuotaEntry
from tests.factories import member, qualify

pytestmark = pytest.mark.django_db

FORM = {
    "legal_name": "Acme Inc.",
    "billing_contact_name": "Bill",
    "billing_contact_email": "bill@acme.example",
    "billing_address": "1 Street",
}


def _requested(partner, admin):
    return services.agreement_request(partner=partner, actor=admin, **FORM)


def test_agreement_request_uses_program_defaults(partner, partner_admin):
    agreement = _requested(partner, partner_admin)
    assert agreement.state == AgreementState.REQUESTED
    assert agreement.fee == Decimal("6500")
    assert (agreement.major_quota, agreement.minor_quota) == (4, 6)
    assert agreement.marketing_credit == Decimal("1500")
    assert agreement.term_end == agreement.term_start.replace(
        year=agreement.term_start.year + 1
    ) - dt.timedelta(days=1)
    assert (
        AuditEvent.objects.filter(action="agreement.request", object_id=agreement.pk).count() == 1
    )


@pytest.mark.parametrize("role", [MemberRole.DEVELOPER, MemberRole.VIEWER])
def test_agreement_request_refused_for_non_admins(partner, role):
    user = member(partner, role)
    with pytest.raises(ProgramError) as exc:
        _requested(partner, user)
    assert exc.value.code == "not_allowed"
    assert not Agreement.objects.exists()


def test_agreement_request_refused_for_other_tenant_admin(partner, other_partner_admin):
    with pytest.raises(ProgramError):
        _requested(partner, other_partner_admin)


def test_second_request_while_one_is_pending_is_refused(partner, partner_admin):
    _requested(partner, partner_admin)
    with pytest.raises(ProgramError, match="already requested"):
        _requested(partner, partner_admin)


def test_agreement_full_flow_and_activation_needs_payment(
    partner, partner_admin, manager, mailoutbox
):
    agreement = _requested(partner, partner_admin)
    agreement = services.agreement_send(
        agreement=agreement, actor=manager, payment_instructions="Wire it"
    )
    agreement = services.agreement_mark_signed(agreement=agreement, actor=manager)
    with pytest.raises(ProgramError, match="outstanding") as exc:
        services.agreement_activate(agreement=agreement, actor=manager)
    assert exc.value.code == "unmet"
    agreement.refresh_from_db()
    assert agreement.state == AgreementState.SIGNED
    services.payment_record(
        agreement=agreement,
        actor=manager,
        amount=Decimal("6000"),
        paid_on=timezone.localdate(),
        reference="A",
    )
    with pytest.raises(ProgramError, match=r"500\.00 is outstanding"):
        services.agreement_activate(agreement=agreement, actor=manager)
    services.payment_record(
        agreement=agreement,
        actor=manager,
        amount=Decimal("500"),
        paid_on=timezone.localdate(),
        reference="B",
    )
    agreement = services.agreement_activate(agreement=agreement, actor=manager)
    assert agreement.state == AgreementState.ACTIVE
    events = list(
        AuditEvent.objects.filter(object_id=agreement.pk, object_type="partners.agreement")
        .order_by("at", "id")
        .values_list("action", "from_state", "to_state")
    )
    assert ("agreement.send", "requested", "sent") in events
    assert ("agreement.activate", "signed", "active") in events


def test_agreement_transitions_refused_for_partner_and_reviewer(partner, partner_admin, reviewer):
    agreement = _requested(partner, partner_admin)
    for actor in (partner_admin, reviewer):
        with pytest.raises(ProgramError) as exc:
            services.agreement_send(agreement=agreement, actor=actor, payment_instructions="x")
        assert exc.value.code == "not_allowed"
    agreement.refresh_from_db()
    assert agreement.state == AgreementState.REQUESTED


def test_agreement_wrong_state_is_refused(partner, partner_admin, manager):
    agreement = _requested(partner, partner_admin)
    with pytest.raises(ProgramError) as exc:
        services.agreement_mark_signed(agreement=agreement, actor=manager)
    assert exc.value.code == "wrong_state"
    assert exc.value.status_code == 409


def test_renewal_is_a_separate_term_in_force_after_the_current_one(eligible_partner, manager):
    current = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
    renewal = services.agreement_renew(agreement=current, actor=manager)
    assert renewal.term_start == current.term_end + dt.timedelta(days=1)
    renewal = services.agreement_send(agreement=renewal, actor=manager, payment_instructions="Wire")
    renewal = services.agreement_mark_signed(agreement=renewal, actor=manager)
    services.payment_record(
        agreement=renewal,
        actor=manager,
        amount=Decimal("6500"),
        paid_on=timezone.localdate(),
        reference="R",
    )
    renewal = services.agreement_activate(agreement=renewal, actor=manager)
    assert renewal.state == AgreementState.ACTIVE
    assert selectors.agreement_in_force(partner=eligible_partner) == current
    assert selectors.agreement_in_force(partner=eligible_partner, on=renewal.term_start) == renewal
    assert services.agreements_expire_due(today=renewal.term_start) == 1
    current.refresh_from_db()
    assert current.state == AgreementState.EXPIRED
    with pytest.raises(ProgramError, match="already been renewed"):
        services.agreement_renew(agreement=current, actor=manager)


def test_expire_due_and_reminders_once_per_threshold(eligible_partner, mailoutbox):
    agreement = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
    today = agreement.term_end - dt.timedelta(days=59)
    assert services.agreement_expiry_reminders(today=today) == 1
    assert services.agreement_expiry_reminders(today=today) == 0
    assert services.agreement_expiry_reminders(today=agreement.term_end - dt.timedelta(days=7)) == 1
    assert services.agreements_expire_due(today=agreement.term_end) == 0
    # the renewal grace period (AGREEMENT_GRACE_DAYS, 30) keeps it in force, then it expires
    assert services.agreements_expire_due(today=agreement.term_end + dt.timedelta(days=30)) == 0
    assert services.agreements_expire_due(today=agreement.term_end + dt.timedelta(days=31)) == 1
    agreement.refresh_from_db()
    assert agreement.state == AgreementState.EXPIRED


def test_marketing_credit_cannot_be_exceeded(eligible_partner, manager):
    agreement = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
    services.marketing_activity_record(
        agreement=agreement,
        actor=manager,
        title="Webinar",
        amount=Decimal("1000"),
        happened_on=timezone.localdate(),
    )
    with pytest.raises(ProgramError, match=r"Only USD 500\.00"):
        services.marketing_activity_record(
            agreement=agreement,
            actor=manager,
            title="Ad",
            amount=Decimal("600"),
            happened_on=timezone.localdate(),
        )
    services.marketing_activity_record(
        agreement=agreement,
        actor=manager,
        title="Ad",
        amount=Decimal("500"),
        happened_on=timezone.localdate(),
    )
    money = selectors.money_summary(agreement=agreement)
    assert money.credit_left == Decimal("0")
    assert money.credit_percent_used == 100


def test_quota_grant_is_audited_and_adds_units(eligible_partner, manager, partner_admin):
    agreement = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
    with pytest.raises(ProgramError):
        services.quota_grant(
            agreement=agreement, actor=partner_admin, kind="minor", units=2, reason="please"
        )
    with pytest.raises(ProgramError, match="reason"):
        services.quota_grant(agreement=agreement, actor=manager, kind="minor", units=2, reason=" ")
    services.quota_grant(
        agreement=agreement, actor=manager, kind="minor", units=2, reason="Conference launch"
    )
    line = selectors.quota_summary(agreement=agreement)["minor"]
    assert (line.included, line.extra, line.used, line.left) == (6, 2, 0, 8)
    assert AuditEvent.objects.filter(action="quota.grant", comment="Conference launch").count() == 1


def test_quota_ledger_consume_refund_once(eligible_partner, partner_admin):
    agreement = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
    services.quota_consume(agreement=agreement, kind="major", request_id=101, actor=partner_admin)
    assert selectors.quota_left(agreement=agreement, kind="major") == 3
    services.quota_refund(request_id=101, actor=partner_admin, reason="withdrawn")
    assert services.quota_refund(request_id=101, actor=partner_admin, reason="again") is None
    assert selectors.quota_left(agreement=agreement, kind="major") == 4
    assert QuotaEntry.objects.filter(request_id=101).count() == 2


def test_quota_consume_refuses_when_exhausted(partner, partner_admin, manager):
    agreement = qualify(partner, manager=manager, major=1)
    services.quota_consume(agreement=agreement, kind="major", request_id=1, actor=partner_admin)
    with pytest.raises(ProgramError, match="No major certifications are left"):
        services.quota_consume(agreement=agreement, kind="major", request_id=2, actor=partner_admin)


def test_eligibility_lists_every_unmet_requirement(partner, partner_admin, manager):
    services.partner_set_standing(
        partner=partner, standing=Standing.SUSPENDED, note="Overdue invoice", actor=manager
    )
    partner.refresh_from_db()
    unmet = services.eligibility_check(partner=partner, quota_kind="major")
    codes = [u.code for u in unmet]
    assert codes == ["standing", "business_review", "support_plan", "agreement"]
    assert "suspended" in unmet[0].message
    assert unmet[1].fix_url_name == "portal:business_review"
    assert "has not been started" in unmet[1].message


def test_eligibility_reports_unpaid_and_no_quota(partner, partner_admin, manager):
    agreement = qualify(partner, manager=manager, major=1, minor=0)
    assert services.eligibility_check(partner=partner, quota_kind="major") == []
    unmet = services.eligibility_check(partner=partner, quota_kind="minor")
    assert [u.code for u in unmet] == ["quota_minor"]
    assert services.eligibility_check(partner=partner, quota_kind=None) == []
    assert agreement.state == AgreementState.ACTIVE


def test_business_review_flow_and_return_needs_comment(
    partner, partner_admin, manager, partner_developer
):
    with pytest.raises(ProgramError):
        services.business_review_save(
            partner=partner,
            actor=partner_developer,
            use_cases="a",
            workflows="b",
            joint_solutions="c",
        )
    review = services.business_review_save(
        partner=partner, actor=partner_admin, use_cases="a", workflows="b", joint_solutions="c"
    )
    review = services.business_review_submit(review=review, actor=partner_admin)
    with pytest.raises(ProgramError, match="Say what"):
        services.business_review_decide(review=review, actor=manager, approve=False)
    with pytest.raises(ProgramError):
        services.business_review_decide(review=review, actor=partner_admin, approve=True)
    review = services.business_review_decide(
        review=review, actor=manager, approve=False, comment="Add workflows"
    )
    assert review.state == BusinessReviewState.RETURNED
    review = services.business_review_save(
        partner=partner, actor=partner_admin, use_cases="a", workflows="better", joint_solutions="c"
    )
    review = services.business_review_submit(review=review, actor=partner_admin)
    review = services.business_review_decide(review=review, actor=manager, approve=True)
    assert review.state == BusinessReviewState.APPROVED
    with pytest.raises(ProgramError, match="can no longer be edited"):
        services.business_review_save(
            partner=partner, actor=partner_admin, use_cases="x", workflows="y", joint_solutions="z"
        )


def test_last_admin_cannot_be_removed_or_demoted(partner, partner_admin, partner_viewer):
    membership = partner_admin.memberships.get(partner=partner)
    with pytest.raises(ProgramError, match="at least one admin"):
        services.membership_change_role(
            membership=membership, role=MemberRole.VIEWER, actor=partner_admin
        )
    with pytest.raises(ProgramError, match="at least one admin"):
        services.membership_remove(membership=membership, actor=partner_admin)
    viewer_membership = partner_viewer.memberships.get(partner=partner)
    with pytest.raises(ProgramError):
        services.membership_remove(membership=membership, actor=partner_viewer)
    services.membership_change_role(
        membership=viewer_membership, role=MemberRole.DEVELOPER, actor=partner_admin
    )
    viewer_membership.refresh_from_db()
    assert viewer_membership.role == MemberRole.DEVELOPER


def test_selectors_scope_partners_to_members(partner, other_partner, partner_admin, manager):
    assert list(selectors.partners_for(user=partner_admin)) == [partner]
    assert set(selectors.partners_for(user=manager)) == {partner, other_partner}
