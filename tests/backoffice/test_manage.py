"""/manage/: access by role, the partners overview (constant queries), and the partner page's
agreement work through partners.services."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certifications.overview import overview_keys_refresh
from certportal.models import AuditEvent
from partners import services as partner_services
from partners.enums import AgreementState, BusinessReviewState, Standing
from partners.models import Agreement, BusinessReview, QuotaEntry
from tests.backoffice.conftest import bulk_requests
from tests.factories import qualify

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("manage:overview")
PAGES = [
    "manage:overview",
    "manage:metrics",
    "manage:export_partners",
    "manage:export_agreements",
    "manage:export_certifications",
]


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize(
    "role", ["reviewer", "support_agent", "partner_admin", "other_partner_admin"]
)
def test_manage_refuses_non_managers(client, request, eligible_partner, name, role):
    client.force_login(request.getfixturevalue(role))
    response = client.get(reverse(name))
    assert response.status_code == 403
    assert b"Acme Test" not in response.content


def test_partner_page_refuses_non_managers(client, eligible_partner, reviewer, partner_admin):
    url = reverse("manage:partner", args=[eligible_partner.pk])
    for user in (reviewer, partner_admin):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 403
        assert b"Acme Test" not in response.content
        response = client.post(url, {"action": "standing", "standing": "suspended", "note": "x"})
        assert response.status_code == 403
    eligible_partner.refresh_from_db()
    assert eligible_partner.standing == Standing.GOOD


@pytest.mark.parametrize("name", PAGES)
def test_manage_anonymous_goes_to_login(client, eligible_partner, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_unknown_partner_is_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse("manage:partner", args=[999999])).status_code == 404


def test_overview_shows_program_figures(client, manager, eligible_partner, other_partner, draft):
    from certifications import services as cert_services

    cert_services.request_submit(request=draft, actor=draft.created_by)
    client.force_login(manager)
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    rows = {row.name: row for row in response.context["rows"]}
    acme = rows["Acme Test"]
    assert acme.standing == Standing.GOOD
    assert acme.review_state == BusinessReviewState.APPROVED
    assert acme.has_support_plan
    assert acme.agreement_state == AgreementState.ACTIVE
    assert acme.fee_paid
    assert (acme.major_used, acme.major_left, acme.minor_used, acme.minor_left) == (1, 3, 0, 6)
    assert acme.credit_left == Decimal("1500")
    assert acme.open_requests == 1
    globex = rows["Globex Test"]
    assert globex.agreement_id is None
    assert not globex.has_support_plan
    body = response.content.decode()
    end = f"{acme.agreement_term_end.day} {acme.agreement_term_end:%b %Y}"
    for cell in [
        f'<a href="{reverse("manage:partner", args=[acme.pk])}">Acme Test</a>',
        '<span class="badge badge-ok">Good standing</span>',
        '<td data-label="Business review">approved</td>',
        '<td data-label="Support plan">yes</td>',
        f'<td data-label="Renewal">{end}</td>',
        '<td data-label="Fee"><span class="badge badge-ok">Paid</span></td>',
        '<td data-label="Major used / left" class="num">1 / 3</td>',
        '<td data-label="Minor used / left" class="num">0 / 6</td>',
        '<td data-label="Marketing used / left" class="num">USD 0.00 / USD 1,500.00</td>',
        '<td data-label="Open requests" class="num">1</td>',
        '<td data-label="Business review">none</td>',  # Globex: nothing yet
        '<td data-label="Agreement">none</td>',
        '<td data-label="Fee">—</td>',
    ]:
        assert cell in body, cell


def test_overview_matches_selectors(client, manager, eligible_partner):
    from partners import selectors

    agreement = selectors.agreement_current(partner=eligible_partner)
    partner_services.quota_grant(
        agreement=agreement, actor=manager, kind="minor", units=2, reason="Goodwill"
    )
    partner_services.marketing_activity_record(
        agreement=agreement,
        actor=manager,
        title="Webinar",
        amount=Decimal("400"),
        happened_on=timezone.localdate(),
    )
    client.force_login(manager)
    row = client.get(OVERVIEW).context["rows"][0]
    quota = selectors.quota_summary(agreement=agreement)
    money = selectors.money_summary(agreement=agreement)
    assert row.minor_left == quota["minor"].left == 8
    assert row.major_left == quota["major"].left
    assert row.credit_left == money.credit_left == Decimal("1100")
    assert row.outstanding == money.outstanding


def test_overview_filters_and_sorting(client, manager, eligible_partner, other_partner):
    Agreement.objects.filter(partner=eligible_partner).update(
        term_end=timezone.localdate() + dt.timedelta(days=20)
    )
    # update() sends no signal: the overview's stored keys follow on the daily refresh.
    overview_keys_refresh(partners=[eligible_partner.pk])
    partner_services.partner_set_standing(
        partner=other_partner, standing="suspended", note="Unpaid", actor=manager
    )
    client.force_login(manager)

    def names(params):
        return [r.name for r in client.get(OVERVIEW, params).context["rows"]]

    assert names({"renewal_due": "on"}) == ["Acme Test"]
    assert names({"standing": "suspended"}) == ["Globex Test"]
    assert names({"agreement": "none"}) == ["Globex Test"]
    assert names({"agreement": "active"}) == ["Acme Test"]
    assert names({"sort": "name", "desc": "on"}) == ["Globex Test", "Acme Test"]
    body = client.get(OVERVIEW).content.decode()
    assert "badge-warn" in body  # the renewal due within 60 days is highlighted


def test_overview_sort_keys_follow_service_changes(
    client, manager, eligible_partner, other_partner, other_partner_admin, draft
):
    """The stored sort and filter keys change with the services that change what they are
    computed from, in the same transaction: an agreement sent to the other partner puts it
    in "agreement: sent" and its unpaid fee first by "fee outstanding", the payment takes
    it back down, and its submitted request moves it up the "open requests" order."""
    from certifications import services as cert_services
    from tests.factories import IntegrationFactory, draft_request

    client.force_login(manager)

    def names(params):
        return [r.name for r in client.get(OVERVIEW, params).context["rows"]]

    by_outstanding = {"sort": "outstanding", "desc": "on"}
    by_open = {"sort": "open", "desc": "on"}
    cert_services.request_submit(request=draft, actor=draft.created_by)
    assert names(by_open) == ["Acme Test", "Globex Test"]
    assert names({"agreement": "none"}) == ["Globex Test"]

    agreement = partner_services.agreement_request(
        partner=other_partner,
        actor=other_partner_admin,
        legal_name="Globex Ltd",
        billing_contact_name="Bill Ing",
        billing_contact_email="billing@globex.example",
        billing_address="1 Globex Street",
    )
    agreement = partner_services.agreement_send(
        agreement=agreement, actor=manager, payment_instructions="Wire"
    )
    assert names({"agreement": "sent"}) == ["Globex Test"]
    assert names(by_outstanding) == ["Globex Test", "Acme Test"]

    agreement = partner_services.agreement_mark_signed(agreement=agreement, actor=manager)
    partner_services.payment_record(
        agreement=agreement,
        actor=manager,
        amount=agreement.fee,
        paid_on=timezone.localdate(),
        reference="INV-9",
    )
    assert names(by_outstanding) == ["Acme Test", "Globex Test"]  # both 0: by name
    partner_services.agreement_activate(agreement=agreement, actor=manager)
    assert names({"agreement": "active"}) == ["Acme Test", "Globex Test"]

    qualify(other_partner, manager=manager)  # its review and support plan, for submitting
    for version in ("1.0.0", "2.0.0"):
        other = draft_request(
            IntegrationFactory(partner=other_partner, name=f"Globex {version}"),
            actor=other_partner_admin,
            version=version,
        )
        cert_services.request_submit(request=other, actor=other_partner_admin)
    rows = client.get(OVERVIEW, by_open).context["rows"]
    assert [(r.name, r.open_requests) for r in rows] == [("Globex Test", 2), ("Acme Test", 1)]


def test_overview_deep_pages_and_sorts_cost_the_same(client, manager, eligible_partner):
    """Sorting by any offered column, on the first or a deep page: the same queries (the
    page is read from the stored keys; only its own rows get live figures)."""
    bulk_requests(120, prefix="deep")
    overview_keys_refresh()
    client.force_login(manager)
    counts = set()
    for params in [{}, {"page": 3}] + [
        {"sort": key, "desc": desc, "page": page}
        for key in ("renewal", "outstanding", "open", "certs", "standing", "name")
        for desc in ("", "on")
        for page in (1, 3)
    ]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(OVERVIEW, params)
        assert response.status_code == 200
        assert len(response.context["rows"]) == (21 if params.get("page") == 3 else 50)
        counts.add(len(ctx))
    assert len(counts) == 1, counts


def _agreement(partner, state, start, end, **fields):
    agreement = Agreement.objects.create(
        partner=partner,
        term_start=start,
        term_end=end,
        legal_name="x",
        billing_contact_name="b",
        billing_contact_email="b@example.com",
        billing_address="a",
        **fields,
    )
    Agreement.objects.filter(pk=agreement.pk).update(state=state)  # the field is protected
    return agreement


def test_overview_page_rows_match_the_orm_figures(manager, eligible_partner, draft):
    """The page's hand-written query (`page_rows`) gives every figure `partners_overview`
    and `PartnerRow` give, for each way of choosing the current agreement: in force,
    else the newest not cancelled, else the newest of all (ties: the newest row)."""
    from certifications import services as cert_services
    from certifications.overview import PartnerRow, page_rows, partners_overview
    from partners.enums import QuotaEntryKind
    from partners.models import MarketingActivity, Payment
    from tests.factories import PartnerFactory

    cert_services.request_submit(request=draft, actor=draft.created_by)
    today = timezone.localdate()
    day = dt.timedelta(days=1)
    current = eligible_partner.agreements.get(state=AgreementState.ACTIVE)
    Agreement.objects.filter(pk=current.pk).update(term_end=today + 20 * day)  # renewal due
    _agreement(eligible_partner, AgreementState.EXPIRED, today - 500 * day, today - 135 * day)
    _agreement(eligible_partner, AgreementState.REQUESTED, today + 30 * day, today + 395 * day)
    for kind, entry, units in [
        ("major", QuotaEntryKind.CONSUME, -1),
        ("major", QuotaEntryKind.REFUND, 1),
        ("major", QuotaEntryKind.GRANT, 3),
        ("minor", QuotaEntryKind.CONSUME, -1),
        ("minor", QuotaEntryKind.GRANT, 2),
    ]:
        QuotaEntry.objects.create(agreement=current, quota_kind=kind, entry_kind=entry, units=units)
    MarketingActivity.objects.create(
        agreement=current, title="Webinar", amount=Decimal("250.50"), happened_on=today
    )
    open_only = PartnerFactory(name="Open only")  # two open agreements: the newer one
    sent = _agreement(open_only, AgreementState.SENT, today + 10 * day, today + 375 * day)
    _agreement(open_only, AgreementState.REQUESTED, today + 40 * day, today + 405 * day)
    _agreement(open_only, AgreementState.CANCELLED, today + 90 * day, today + 455 * day)
    Payment.objects.create(agreement=sent, amount=Decimal("100"), paid_on=today, reference="r")
    cancelled = PartnerFactory(name="Cancelled only", standing=Standing.LAPSED)
    for _ in range(2):  # the same term twice: the newer row
        _agreement(cancelled, AgreementState.CANCELLED, today - 10 * day, today + 355 * day)
    lapsed = PartnerFactory(name="Term over")  # active but ended, and a newer expired one
    _agreement(lapsed, AgreementState.ACTIVE, today - 400 * day, today - 35 * day)
    overpaid = _agreement(
        lapsed, AgreementState.EXPIRED, today - 30 * day, today + 335 * day, fee=Decimal("10")
    )
    Payment.objects.create(agreement=overpaid, amount=Decimal("25"), paid_on=today, reference="r")
    PartnerFactory(name="Nothing yet")
    overview_keys_refresh()

    expected = {
        p.pk: PartnerRow(p, today) for p in partners_overview(today=today, stored_counts=True)
    }
    got = page_rows(sorted(expected), today=today)
    assert [row.pk for row in got] == sorted(expected)
    fields = [
        "name", "standing", "review_state", "has_support_plan", "agreement_id",
        "agreement_state", "agreement_term_start", "agreement_term_end", "agreement_currency",
        "paid", "credit_used", "outstanding", "fee_paid", "major_used", "major_extra",
        "major_total", "major_left", "minor_used", "minor_extra", "minor_total", "minor_left",
        "credit_left", "renewal_due", "certs_this_term", "open_requests",
    ]  # fmt: skip
    for row in got:
        want = expected[row.pk]
        assert {f: row[f] for f in fields} == {f: getattr(want, f) for f in fields}, row.name
    by_name = {row.name: row for row in got}
    assert by_name["Acme Test"].renewal_due
    assert by_name["Acme Test"].agreement_id == current.pk
    assert by_name["Open only"].agreement_state == AgreementState.REQUESTED
    assert by_name["Cancelled only"].agreement_id == (
        cancelled.agreements.order_by("-pk").values_list("pk", flat=True).first()
    )
    assert by_name["Term over"].agreement_id == overpaid.pk
    assert by_name["Term over"].fee_paid
    assert by_name["Nothing yet"].agreement_id is None


@pytest.mark.parametrize(
    "params",
    ["", "standing=good&agreement=active&renewal_due=on&sort=open&desc=on", "standing=x&sort=y"],
)
def test_overview_filter_form_drawn_as_django_draws_it(client, manager, params):
    """The filter form is drawn from plain data (OverviewFilterForm.controls): the same
    markup as Django's widgets, selected options, checked boxes and errors included."""
    import re

    from django.http import QueryDict

    from program.forms import OverviewFilterForm

    def flat(html):
        return re.sub(r"\s+", " ", html).replace("> <", "><")

    client.force_login(manager)
    body = flat(client.get(f"{OVERVIEW}?{params}").content.decode())
    form = OverviewFilterForm(QueryDict(params) or None)
    form.is_valid()
    for field in form:
        parts = [field.label_tag(), str(field)]
        if field.widget_type == "checkbox":
            parts.reverse()
        assert flat(" ".join(parts)) in body, field.name


def test_overview_empty_state(client, manager):
    client.force_login(manager)
    assert "No partner matches" in client.get(OVERVIEW, {"standing": "lapsed"}).content.decode()


def test_overview_query_count_constant(client, manager, eligible_partner):
    client.force_login(manager)
    bulk_requests(5, prefix="few")
    with CaptureQueriesContext(connection) as few:
        assert client.get(OVERVIEW).status_code == 200
    bulk_requests(195, prefix="many")
    for partner in list(eligible_partner.__class__.objects.filter(name__startswith="many")[:20]):
        Agreement.objects.create(
            partner=partner,
            term_start=timezone.localdate(),
            term_end=timezone.localdate() + dt.timedelta(days=365),
            legal_name="x",
            billing_contact_name="b",
            billing_contact_email="b@example.com",
            billing_address="a",
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(OVERVIEW)
    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- The partner page ---------------------------------------------------------------------------


@pytest.fixture
def requested(partner, partner_admin):
    return partner_services.agreement_request(
        partner=partner,
        actor=partner_admin,
        legal_name="Acme Ltd",
        billing_contact_name="Bill",
        billing_contact_email="bill@acme.example",
        billing_address="1 Street",
    )


def _post(client, partner, **data):
    return client.post(reverse("manage:partner", args=[partner.pk]), data)


def test_agreement_flow_through_the_page(client, manager, partner, requested):
    client.force_login(manager)
    page = client.get(reverse("manage:partner", args=[partner.pk]))
    assert "Send the agreement" in page.content.decode()
    r = _post(client, partner, action="send", agreement=requested.pk, payment_instructions="IBAN")
    assert r.status_code == 302
    r = _post(client, partner, action="mark_signed", agreement=requested.pk)
    assert r.status_code == 302
    # Activation without payment: refused, shown as a message, state unchanged.
    r = _post(client, partner, action="activate", agreement=requested.pk)
    assert r.status_code == 400
    assert "outstanding" in r.content.decode()
    requested.refresh_from_db()
    assert requested.state == AgreementState.SIGNED
    r = _post(
        client,
        partner,
        action="payment",
        agreement=requested.pk,
        amount="6500",
        paid_on=timezone.localdate().isoformat(),
        reference="INV-9",
    )
    assert r.status_code == 302
    r = _post(client, partner, action="activate", agreement=requested.pk)
    assert r.status_code == 302
    requested.refresh_from_db()
    assert requested.state == AgreementState.ACTIVE
    r = _post(
        client,
        partner,
        action="quota",
        agreement=requested.pk,
        kind="major",
        units=1,
        reason="Deal",
    )
    assert r.status_code == 302
    assert QuotaEntry.objects.filter(agreement=requested, entry_kind="grant").count() == 1
    r = _post(
        client,
        partner,
        action="marketing",
        agreement=requested.pk,
        title="Joint webinar",
        amount="300",
        happened_on=timezone.localdate().isoformat(),
    )
    assert r.status_code == 302
    r = _post(client, partner, action="renew", agreement=requested.pk)
    assert r.status_code == 302
    assert partner.agreements.count() == 2
    actions = set(
        AuditEvent.objects.filter(object_type="partners.agreement").values_list("action", flat=True)
    )
    assert {
        "agreement.send",
        "agreement.mark_signed",
        "agreement.activate",
        "agreement.payment",
    } <= actions


def test_cancel_needs_reason_and_keeps_input(client, manager, partner, requested):
    client.force_login(manager)
    r = _post(client, partner, action="cancel", agreement=requested.pk, reason="")
    assert r.status_code == 400
    requested.refresh_from_db()
    assert requested.state == AgreementState.REQUESTED
    r = _post(client, partner, action="cancel", agreement=requested.pk, reason="Duplicate")
    assert r.status_code == 302
    requested.refresh_from_db()
    assert requested.state == AgreementState.CANCELLED


def test_send_keeps_what_was_typed_on_error(client, manager, partner, requested):
    client.force_login(manager)
    r = _post(
        client,
        partner,
        action="send",
        agreement=requested.pk,
        payment_instructions="Wire to X",
        document_url="not a url",
    )
    assert r.status_code == 400
    assert "Wire to X" in r.content.decode()


def test_agreement_of_another_partner_is_rejected(
    client, manager, partner, other_partner, requested
):
    client.force_login(manager)
    r = _post(client, other_partner, action="mark_signed", agreement=requested.pk)
    assert r.status_code == 400
    requested.refresh_from_db()
    assert requested.state == AgreementState.REQUESTED


def test_business_review_decision_and_standing(client, manager, partner, partner_admin):
    review = partner_services.business_review_save(
        partner=partner, actor=partner_admin, use_cases="u", workflows="w", joint_solutions="j"
    )
    partner_services.business_review_submit(review=review, actor=partner_admin)
    client.force_login(manager)
    r = _post(client, partner, action="review", decision="return", comment="")
    assert r.status_code == 400
    r = _post(client, partner, action="review", decision="return", comment="More detail")
    assert r.status_code == 302
    assert BusinessReview.objects.get().state == BusinessReviewState.RETURNED
    r = _post(client, partner, action="standing", standing="suspended", note="Audit")
    assert r.status_code == 302
    partner.refresh_from_db()
    assert partner.standing == Standing.SUSPENDED


def test_extra_fields_are_ignored(client, manager, partner, requested):
    client.force_login(manager)
    _post(client, partner, action="mark_signed", agreement=requested.pk, state="active")
    requested.refresh_from_db()
    assert requested.state == AgreementState.REQUESTED  # wrong state: not sent yet


def test_qualified_partner_page_renders(client, manager, partner, partner_admin):
    qualify(partner, manager=manager)
    client.force_login(manager)
    body = client.get(reverse("manage:partner", args=[partner.pk])).content.decode()
    assert "Grant extra quota" in body
    assert "Record a marketing activity" in body
    assert "Create the renewal" in body


def test_deleting_a_partner_takes_its_overview_keys(manager, other_partner, other_partner_admin):
    """A partner deleted with its requests and agreements: the receivers of the cascade do
    not write keys for it again (the delete commits cleanly)."""
    from certifications.models import PartnerOverviewKeys
    from tests.factories import IntegrationFactory, draft_request

    draft_request(IntegrationFactory(partner=other_partner), actor=other_partner_admin)
    partner_services.agreement_request(
        partner=other_partner,
        actor=other_partner_admin,
        legal_name="Globex Ltd",
        billing_contact_name="Bill Ing",
        billing_contact_email="billing@globex.example",
        billing_address="1 Globex Street",
    )
    assert PartnerOverviewKeys.objects.filter(partner=other_partner).exists()
    pk = other_partner.pk
    other_partner.delete()
    assert not PartnerOverviewKeys.objects.filter(partner_id=pk).exists()
