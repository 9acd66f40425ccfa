"""A year of backdated program history for the demo, so every chart, ledger and renewal
list shows meaningful figures on a fresh `make run`.

Built through the real services with only the clock moved (django.utils.timezone.now is
patched while each step runs), so every record has its transition log, audit rows and
SLA bookkeeping exactly as if it had happened on that day. Idempotent: nothing is done
when the first history partner exists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from unittest import mock

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from certifications import services as cert_services
from certifications.enums import ProductArea, RequestKind
from certifications.models import Guideline
from certportal import roles
from partners import services as partner_services
from partners.enums import MemberRole
from partners.models import Partner
from reviews import services as review_services
from reviews.enums import FindingCategory, FindingSeverity

# A request's path: (transition, days after the previous step).
FAST = [("submit", 0), ("intake_ok", 1), ("ut_pass", 4), ("cr_pass", 5), ("publish", 2)]
BOUNCY = [
    ("submit", 0),
    ("intake_ok", 2),
    ("ut_changes", 9),
    ("resubmit", 6),
    ("ut_pass", 7),
    ("cr_changes", 12),
    ("resubmit", 5),
    ("ut_pass", 4),
    ("cr_pass", 10),
    ("publish", 3),
]
SLOW = [
    ("submit", 0),
    ("intake_incomplete", 4),
    ("resubmit", 3),
    ("ut_pass", 21),
    ("cr_pass", 30),
    ("publish", 5),
]
# a minor update whose review took 17 vendor days against the 14-day target
BREACH = [("submit", 0), ("intake_ok", 3), ("ut_pass", 8), ("cr_pass", 6)]
OPEN_CODE_REVIEW = [("submit", 0), ("intake_ok", 2), ("ut_pass", 8)]
ON_HOLD = [("submit", 0), ("intake_ok", 3), ("hold", 5)]
WITHDRAWN = [("submit", 0), ("withdraw", 2)]
IN_TESTING = [("submit", 0), ("intake_ok", 2)]

COMMENTS = {
    "intake_incomplete": "The QA guide lacks the test accounts; please add them.",
    "ut_changes": "Two user-testing issues; see the findings.",
    "cr_changes": "The code review found an unescaped query parameter.",
    "hold": "Waiting for the partner's refreshed test site.",
    "resubmit": "Fixed the findings; new commit.",
    "withdraw": "Postponed to the next release.",
}

# partner, days ago its first agreement was requested, agreement story, integrations:
# (name, area, [(version, kind, path, days after activation)])
HISTORY = [
    (
        "Initech",
        400,
        "renewed",
        [
            (
                "Initech Lecture Capture",
                ProductArea.MEDIASPACE_MODULE,
                [
                    ("1.0.0", RequestKind.INITIAL, BOUNCY, 10),
                    ("1.1.0", RequestKind.MINOR, FAST, 120),
                    ("1.2.0", RequestKind.MINOR, BREACH, 200),
                    ("2.0.0", RequestKind.MAJOR, OPEN_CODE_REVIEW, 370),
                ],
            ),
            (
                "Initech Player Stats",
                ProductArea.PLAYER_PLUGIN,
                [("0.9.0", RequestKind.INITIAL, SLOW, 40)],
            ),
        ],
    ),
    (
        "Hooli Video",
        260,
        "active",
        [
            (
                "Hooli Search for KAF",
                ProductArea.KAF_MODULE,
                [
                    ("3.0.0", RequestKind.INITIAL, FAST, 15),
                    ("3.1.0", RequestKind.MINOR, BREACH, 90),
                    ("3.2.0", RequestKind.MINOR, ON_HOLD, 220),
                ],
            ),
            (
                "Hooli Analytics API",
                ProductArea.API_WORKFLOW,
                [
                    ("1.0.0", RequestKind.INITIAL, BOUNCY, 30),
                    ("1.1.0", RequestKind.MINOR, WITHDRAWN, 150),
                ],
            ),
        ],
    ),
    (
        "Umbrella Media",
        340,
        "expiring",
        [
            (
                "Umbrella Transcripts",
                ProductArea.MEDIASPACE_MODULE,
                [
                    ("2.0.0", RequestKind.INITIAL, SLOW, 20),
                    ("2.1.0", RequestKind.MINOR, FAST, 160),
                    ("2.2.0", RequestKind.MINOR, IN_TESTING, 310),
                ],
            ),
        ],
    ),
    (
        "Vandelay Streams",
        385,
        "grace",
        [
            (
                "Vandelay Live Chapters",
                ProductArea.PLAYER_PLUGIN,
                [
                    ("1.0.0", RequestKind.INITIAL, FAST, 25),
                    ("1.1.0", RequestKind.MINOR, BOUNCY, 140),
                ],
            ),
        ],
    ),
    ("Massive Dynamic", 50, "signed", []),
    ("Stark Learning", 75, "sent", []),
    ("Wayne Video", 210, "cancelled", []),
    ("Soylent Streams", 6, "requested", []),
]


class _Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def set_days_ago(self, days: float) -> None:
        self.at = _real_now() - dt.timedelta(days=days)

    def advance(self, days: float) -> None:
        self.at += dt.timedelta(days=days)

    def past(self) -> bool:
        return self.at < _real_now() - dt.timedelta(hours=1)


_REAL_NOW = timezone.now


def _real_now() -> dt.datetime:
    return _REAL_NOW()


@contextmanager
def _at(clock: _Clock) -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", side_effect=lambda: clock.at):
        yield


def _agreement(partner: Partner, admin: Any, manager: Any, clock: _Clock, story: str):
    """The partner's agreement(s) as the story says, each step a few days after the last."""
    form = {
        "legal_name": f"{partner.name} Ltd",
        "billing_contact_name": "Accounts Payable",
        "billing_contact_email": f"ap@{partner.slug}.example",
        "billing_address": f"1 {partner.name} Way",
    }
    with _at(clock):
        agreement = partner_services.agreement_request(partner=partner, actor=admin, **form)
    if story == "requested":
        return agreement
    clock.advance(3)
    with _at(clock):
        agreement = partner_services.agreement_send(
            agreement=agreement, actor=manager, payment_instructions="Wire to IBAN XX00 DEMO 0000."
        )
    if story == "sent":
        return agreement
    if story == "cancelled":
        clock.advance(12)
        with _at(clock):
            return partner_services.agreement_cancel(
                agreement=agreement, actor=manager, reason="The partner postponed the program."
            )
    clock.advance(5)
    with _at(clock):
        agreement = partner_services.agreement_mark_signed(agreement=agreement, actor=manager)
    if story == "signed":
        clock.advance(4)
        with _at(clock):  # a first instalment only: payment outstanding
            partner_services.payment_record(
                agreement=agreement,
                actor=manager,
                amount=Decimal("3250"),
                paid_on=timezone.localdate(),
                reference="INV-DEMO-1/2",
            )
        return agreement
    clock.advance(6)
    with _at(clock):
        partner_services.payment_record(
            agreement=agreement,
            actor=manager,
            amount=agreement.fee,
            paid_on=timezone.localdate(),
            reference=f"INV-{partner.slug.upper()}-1",
        )
        return partner_services.agreement_activate(agreement=agreement, actor=manager)


def _qualify(partner: Partner, admin: Any, manager: Any) -> None:
    """The business review (approved) and the support plan; the agreement is the story's."""
    review = partner_services.business_review_save(
        partner=partner,
        actor=admin,
        use_cases=f"{partner.name} brings its media tools to Kaltura customers.",
        workflows="Upload → enrich → publish in MediaSpace and the LMS.",
        joint_solutions="Universities and enterprises.",
    )
    review = partner_services.business_review_submit(review=review, actor=admin)
    partner_services.business_review_decide(review=review, actor=manager, approve=True)
    partner_services.support_plan_save(
        partner=partner,
        actor=admin,
        partner_contact_name=admin.get_full_name(),
        partner_contact_email=admin.email,
        partner_contact_hours="Mon–Fri 08:00–18:00 UTC",
        technical_contact_name=admin.get_full_name(),
        technical_contact_email=admin.email,
        support_tool_url=f"https://support.{partner.slug}.example",
        vendor_access_instructions="Ask the escalation contact for an agent seat.",
    )


def _finding(request, reviewer, title: str):
    return review_services.finding_add(
        request=request,
        actor=reviewer,
        category=FindingCategory.FUNCTIONAL,
        severity=FindingSeverity.MAJOR,
        title=title,
        reviewer_note="Steps to reproduce are in the QA guide's second workflow.",
        guideline=Guideline.objects.filter(code="G01").first(),
    )


def _run(request, path, *, clock: _Clock, admin, reviewer, manager) -> None:
    findings = []
    for step, days in path:
        clock.advance(days + 0.3)
        if not clock.past():
            return  # the rest of the path lies in the future: leave it open
        with _at(clock):
            if step == "submit":
                request = cert_services.request_submit(request=request, actor=admin)
                request = cert_services.request_assign(
                    request=request, reviewer=reviewer, actor=reviewer
                )
                continue
            if step in ("ut_pass", "cr_pass"):
                for finding in findings:
                    review_services.finding_set_status(
                        finding=finding, actor=reviewer, status="verified"
                    )
                findings = []
            if step in ("ut_changes", "cr_changes"):
                findings.append(_finding(request, reviewer, f"Issue found in {step[:2].upper()}"))
            actor = {"withdraw": admin, "resubmit": admin, "publish": manager}.get(step, reviewer)
            if step == "cr_pass":  # the two-person rule: another demo reviewer approves
                second_approval(request, asked_by=reviewer)
            request = cert_services.request_transition(
                request=request, name=step, actor=actor, comment=COMMENTS.get(step, "")
            )


def _marketing(agreement, manager, clock: _Clock, spend: list[tuple[int, str, str]]) -> None:
    start = clock.at
    for days, title, amount in spend:
        clock.at = start + dt.timedelta(days=days)
        if not clock.past():
            return
        with _at(clock):
            partner_services.marketing_activity_record(
                agreement=agreement,
                actor=manager,
                title=title,
                amount=Decimal(amount),
                happened_on=timezone.localdate(),
            )


def seed_history(*, users: dict, stdout=None, package: Callable[[Any, Any], None]) -> None:
    """The history partners (idempotent: skipped when the first one exists); `package`
    fills a draft's package (devtools.demo's, passed in so the two modules form no cycle)."""

    if not settings.DEMO_HISTORY or Partner.objects.filter(name=HISTORY[0][0]).exists():
        return
    manager = users["manager"]
    reviewers = [users["reviewer"], users.get("reviewer2") or users["reviewer"]]
    User = get_user_model()
    clock = _Clock(_real_now())
    for n, (name, days_ago, story, integrations) in enumerate(HISTORY):
        clock.set_days_ago(days_ago)
        with _at(clock):
            partner = partner_services.partner_create(
                name=name, website=f"https://{name.split()[0].lower()}.example"
            )
            admin, _ = User.objects.get_or_create(
                username=f"{partner.slug}-admin",
                defaults={"first_name": name.split()[0], "last_name": "Admin"},
            )
            admin.set_unusable_password()  # history actors never sign in
            admin.email = f"admin@{partner.slug}.example"
            admin.save()
            partner_services.membership_add(partner=partner, user=admin, role=MemberRole.ADMIN)
            _qualify(partner, admin, manager)
        clock.advance(2)
        agreement = _agreement(
            partner,
            admin,
            manager,
            clock,
            "active" if story in ("renewed", "active", "expiring", "grace") else story,
        )
        if stdout is not None:
            stdout.write(f"Created history partner {name}")
        if agreement.state != "active":
            continue
        activated = clock.at
        reviewer = reviewers[n % 2]
        for integration_name, area, versions in integrations:
            clock.at = activated
            with _at(clock):
                integration = cert_services.integration_save(
                    partner_id=partner.pk,
                    actor=admin,
                    name=integration_name,
                    product_area=area,
                    github_repo=f"{partner.slug}/{integration_name.lower().replace(' ', '-')}",
                    description=f"{integration_name}: certified integration for joint customers.",
                )
            for version, kind, path, offset in versions:
                clock.at = activated + dt.timedelta(days=offset)
                if not clock.past():
                    continue
                with _at(clock):
                    request = cert_services.request_create(
                        integration=integration, actor=admin, version=version, kind=kind
                    )
                    package(request, admin)
                _run(request, path, clock=clock, admin=admin, reviewer=reviewer, manager=manager)
        clock.at = activated
        _marketing(
            agreement,
            manager,
            clock,
            [
                (45, "Joint webinar", "600"),
                (130, "Case study", "450"),
                (230, "Conference booth share", "300"),
            ],
        )
        if story == "active":
            clock.at = activated + dt.timedelta(days=100)
            with _at(clock):
                partner_services.quota_grant(
                    agreement=agreement,
                    actor=manager,
                    kind="minor",
                    units=2,
                    reason="Two extra minor updates for the platform migration.",
                )
        if story == "renewed":
            clock.at = dt.datetime.combine(
                agreement.term_end - dt.timedelta(days=45), dt.time(10), tzinfo=dt.UTC
            )
            with _at(clock):
                partner_services.agreement_expiry_reminders()
                renewal = partner_services.agreement_renew(agreement=agreement, actor=manager)
                renewal = partner_services.agreement_send(
                    agreement=renewal, actor=manager, payment_instructions="Wire to IBAN XX00 DEMO."
                )
                renewal = partner_services.agreement_mark_signed(agreement=renewal, actor=manager)
                partner_services.payment_record(
                    agreement=renewal,
                    actor=manager,
                    amount=renewal.fee,
                    paid_on=timezone.localdate(),
                    reference=f"INV-{partner.slug.upper()}-2",
                )
                partner_services.agreement_activate(agreement=renewal, actor=manager)
        if story == "expiring":
            clock.at = dt.datetime.combine(
                agreement.term_end - dt.timedelta(days=89), dt.time(6), tzinfo=dt.UTC
            )
            with _at(clock):
                partner_services.agreement_expiry_reminders()
    # today's housekeeping: expire what ended, remind what is due
    partner_services.agreements_expire_due()
    partner_services.agreement_expiry_reminders()


def second_approval(request, *, asked_by) -> None:
    """The two-person rule: another demo reviewer approves the certification."""
    second = (
        get_user_model()
        .objects.exclude(pk=asked_by.pk)
        .filter(is_staff=True, groups__name=roles.REVIEWER)
        .order_by("username")
        .first()
    )
    approval = cert_services.seal_approval_request(request=request, actor=asked_by)
    cert_services.seal_approval_decide(approval=approval, actor=second, approve=True)
