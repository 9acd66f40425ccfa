"""Demo program data for `make run`, built through the real services so every record has
its transition log. Idempotent: a partner that exists is left as it is."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from certifications import services as cert_services
from certifications.enums import (
    ChecklistAnswer,
    DocumentType,
    EnvironmentKind,
    ProductArea,
    RequestKind,
    RequestState,
)
from certifications.models import Guideline
from devtools.demo_applications import seed_applications
from devtools.demo_history import second_approval
from partners import services as partner_services
from partners.enums import MemberRole
from partners.models import Partner
from reviews import services as review_services
from reviews.enums import FindingCategory, FindingSeverity

DOC_TEXT = {
    DocumentType.USER_GUIDE: "# User guide\n\nCompany overview, value proposition and a walkthrough.\n",
    DocumentType.SUPPORT_PROCESS: "# Support process\n\nEscalation contacts and hours.\n",
    DocumentType.INSTALLATION_GUIDE: "# Installation & DevOps guide\n\nComponents, deployment, permissions.\n",
    DocumentType.QA_GUIDE: "# QA guide\n\nWorkflows, user stories, test accounts.\n",
    DocumentType.RELEASE_NOTES: "# CHANGELOG\n\n- Fixes and improvements.\n",
}

# (integration name, product area, repo, [(version, kind, path to its final state)])
ACME = [
    (
        "Acme Captions for MediaSpace",
        ProductArea.MEDIASPACE_MODULE,
        "acme/captions-mediaspace",
        [
            (
                "1.0.0",
                RequestKind.INITIAL,
                ["submit", "intake_ok", "ut_pass", "cr_pass", "publish"],
            ),
            ("1.1.0", RequestKind.MINOR, ["submit", "intake_ok", "ut_pass", "cr_pass"]),
            ("2.0.0", RequestKind.MAJOR, ["submit", "intake_ok", "ut_pass"]),
        ],
    ),
    (
        "Acme Player Chapters",
        ProductArea.PLAYER_PLUGIN,
        "acme/player-chapters",
        [
            ("0.9.0", RequestKind.INITIAL, ["submit", "intake_ok", "ut_changes"]),
            ("1.0.0", RequestKind.INITIAL, ["submit", "intake_ok"]),
        ],
    ),
    (
        "Acme Analytics Workflow",
        ProductArea.API_WORKFLOW,
        "acme/analytics-workflow",
        [
            ("3.2.0", RequestKind.INITIAL, ["submit"]),
            ("3.3.0", RequestKind.INITIAL, []),
            ("3.1.0", RequestKind.INITIAL, ["submit", "withdraw"]),
        ],
    ),
]
GLOBEX = [
    (
        "Globex KAF Quizzes",
        ProductArea.KAF_MODULE,
        "globex/kaf-quizzes",
        [
            ("1.0.0", RequestKind.INITIAL, ["submit", "intake_ok", "hold"]),
            ("0.5.0", RequestKind.INITIAL, ["submit", "intake_ok", "ut_pass", "reject"]),
        ],
    ),
]


def _upload(doc_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{doc_type}.md", DOC_TEXT.get(doc_type, "# Notes\n").encode())


def _qualify(partner: Partner, admin: Any, manager: Any) -> None:
    review = partner_services.business_review_save(
        partner=partner,
        actor=admin,
        use_cases=f"{partner.name} adds captions, quizzes and analytics to video libraries.",
        workflows="Upload → process → publish in MediaSpace and LMS (KAF).",
        joint_solutions="Universities and enterprises using Kaltura.",
    )
    review = partner_services.business_review_submit(review=review, actor=admin)
    partner_services.business_review_decide(
        review=review, actor=manager, approve=True, comment="Welcome aboard."
    )
    partner_services.support_plan_save(
        partner=partner,
        actor=admin,
        partner_contact_name=admin.get_full_name(),
        partner_contact_email=admin.email,
        partner_contact_phone="+1 555 0100",
        partner_contact_hours="Mon–Fri 08:00–18:00 UTC",
        technical_contact_name=admin.get_full_name(),
        technical_contact_email=admin.email,
        vendor_contact_name="Sam Support",
        vendor_contact_email="sam@vendor.example",
        support_tool_url=f"https://support.{partner.slug}.example",
        vendor_access_instructions="Ask the escalation contact for an agent seat.",
    )
    agreement = partner_services.agreement_request(
        partner=partner,
        actor=admin,
        legal_name=f"{partner.name} Inc.",
        billing_contact_name=admin.get_full_name(),
        billing_contact_email=admin.email,
        billing_address="1 Demo Street, Springfield",
    )
    agreement = partner_services.agreement_send(
        agreement=agreement,
        actor=manager,
        payment_instructions="Wire USD 6,500 to IBAN XX00 DEMO 0000; reference your partner name.",
    )
    agreement = partner_services.agreement_mark_signed(agreement=agreement, actor=manager)
    partner_services.payment_record(
        agreement=agreement,
        actor=manager,
        amount=Decimal("6500"),
        paid_on=timezone.localdate(),
        reference="INV-DEMO-1",
    )
    agreement = partner_services.agreement_activate(agreement=agreement, actor=manager)
    partner_services.quota_grant(
        agreement=agreement,
        actor=manager,
        kind="major",
        units=3,
        reason="Demo: launch bonus for three integrations",
    )
    partner_services.marketing_activity_record(
        agreement=agreement,
        actor=manager,
        title="Joint webinar",
        amount=Decimal("500"),
        happened_on=timezone.localdate(),
    )


def _package(request, actor) -> None:
    cert_services.request_update_draft(
        request=request,
        actor=actor,
        commit_sha=f"{abs(hash((request.integration_id, request.version))) % 16**12:012x}abcdef0123456789abcdef01"[
            :40
        ],
        readme_confirmed=True,
        checklist={
            code: ChecklistAnswer.YES
            for code in Guideline.objects.filter(active=True).values_list("code", flat=True)
        },
    )
    for doc_type in request.required_documents():
        cert_services.document_add(
            request=request, actor=actor, doc_type=doc_type, upload=_upload(doc_type)
        )
    if request.integration.is_module:
        for kind in (EnvironmentKind.MS_ADMIN, EnvironmentKind.MS_USER):
            cert_services.environment_save(
                request=request,
                actor=actor,
                kind=kind,
                url=f"https://test-{request.integration.partner.slug}.mediaspace.example",
                username=f"{kind}@demo",
                password=f"Demo-{kind}-Pass!",
                notes="Clean test site for certification.",
            )
        cert_services.environment_save(
            request=request,
            actor=actor,
            kind=EnvironmentKind.KMC,
            url="https://kmc.example/index.php/kmcng/login",
            username="kmc@demo",
            password="Demo-KMC-Pass!",  # noqa: S106 - demo test account
        )


def _run(request, steps: list[str], *, admin, reviewer, manager) -> None:
    for step in steps:
        if step == "submit":
            request = cert_services.request_submit(request=request, actor=admin)
            request = cert_services.request_assign(
                request=request, reviewer=reviewer, actor=reviewer
            )
            continue
        actor = {"withdraw": admin, "publish": manager}.get(step, reviewer)
        if step in ("ut_changes", "cr_changes", "intake_incomplete"):
            finding = review_services.finding_add(
                request=request,
                actor=reviewer,
                category=FindingCategory.FUNCTIONAL,
                severity=FindingSeverity.MAJOR,
                title="Captions do not appear for private entries",
                reviewer_note="Steps: upload a private entry, open it as a user: no captions track.",
                guideline=Guideline.objects.get(code="G01"),
            )
            comment = "One functional issue to fix; see the finding."
        elif step in ("reject", "hold"):
            comment = (
                "Waiting for the partner's new test site."
                if step == "hold"
                else "The integration modifies the product core (G06)."
            )
        else:
            comment = ""
        if step == "cr_pass":
            second_approval(request, asked_by=reviewer)  # the two-person rule
        request = cert_services.request_transition(
            request=request, name=step, actor=actor, comment=comment
        )
        if step in ("ut_changes",):
            review_services.finding_reply(
                finding=finding,
                actor=admin,
                body="Fixed in the next commit; private entries now load captions.",
                mark_addressed=False,
            )


def seed_program(*, users: dict, stdout=None) -> None:
    """Create the demo partners and their program records (idempotent)."""
    manager, reviewer = users["manager"], users["reviewer"]
    for partner_name, admin_name, team, integrations in (
        (
            "Acme",
            "acme-admin",
            [("acme-dev", MemberRole.DEVELOPER), ("acme-viewer", MemberRole.VIEWER)],
            ACME,
        ),
        ("Globex", "globex-admin", [], GLOBEX),
    ):
        if Partner.objects.filter(name=partner_name).exists():
            continue
        admin = users[admin_name]
        partner = partner_services.partner_create(
            name=partner_name, website=f"https://{partner_name.lower()}.example"
        )
        partner_services.membership_add(partner=partner, user=admin, role=MemberRole.ADMIN)
        for username, role in team:
            partner_services.membership_add(partner=partner, user=users[username], role=role)
        _qualify(partner, admin, manager)
        for name, area, repo, versions in integrations:
            integration = cert_services.integration_save(
                partner_id=partner.pk,
                actor=admin,
                name=name,
                product_area=area,
                github_repo=repo,
                description=f"{name}: certified integration for joint customers.",
            )
            for version, kind, steps in versions:
                request = cert_services.request_create(
                    integration=integration, actor=admin, version=version, kind=kind
                )
                _package(request, admin)
                _run(request, steps, admin=admin, reviewer=reviewer, manager=manager)
        if stdout is not None:
            stdout.write(f"Created demo partner {partner_name}")
    from devtools.demo_history import seed_history  # a year of backdated activity (issue 18)

    seed_history(users=users, stdout=stdout, package=_package)
    _ensure_every_state(stdout)
    seed_support(users)
    seed_applications()
    seed_reviewers_workspace(users)


def seed_reviewers_workspace(users: dict) -> None:
    """Issue 15: reviewer capacities (so new submissions are assigned automatically) and a
    few canned responses (idempotent)."""
    from reviews.models import CannedResponse, ReviewerProfile

    for username, capacity in (("reviewer", 6), ("reviewer2", 4)):
        if username in users:
            ReviewerProfile.objects.get_or_create(
                user=users[username], defaults={"capacity": capacity}
            )
    if not CannedResponse.objects.exists():
        CannedResponse.objects.create(
            title="Steps to reproduce, please",
            body="Could you send the exact steps, the browser and the account you used?",
        )
        CannedResponse.objects.create(
            guideline=Guideline.objects.filter(code="G01").first(),
            title="Critical bug blocks certification",
            body="Guideline G01: certification cannot pass with a critical or major bug open.",
        )


def _ensure_every_state(stdout) -> None:
    from certifications.models import CertificationRequest

    present = set(CertificationRequest.objects.values_list("state", flat=True).distinct())
    missing = [s for s in RequestState.values if s not in present]
    if missing and stdout is not None:
        stdout.write(f"Demo data lacks states: {', '.join(missing)}")


def seed_support(users: dict) -> None:
    """A demo ticket routed to Acme, the support meetings of certified versions, and one
    deployed cycle (idempotent)."""
    from certifications import deployments
    from certifications.models import CertificationRequest
    from support import services as support_services
    from support.enums import Classification, Severity
    from support.models import DeploymentCycle, Ticket

    agent = users.get("support")
    if agent is None:
        return
    for request_id in CertificationRequest.objects.filter(
        state__in=[RequestState.CERTIFIED, RequestState.PUBLISHED]
    ).values_list("pk", flat=True):
        support_services.meeting_ensure(request_id=request_id)
    acme = Partner.objects.filter(name="Acme").first()
    certified = (
        CertificationRequest.objects.filter(
            integration__partner=acme, state__in=[RequestState.CERTIFIED, RequestState.PUBLISHED]
        )
        .select_related("integration")
        .first()
    )
    if certified is not None and not Ticket.objects.filter(partner=acme).exists():
        ticket = support_services.ticket_create(
            integration=certified.integration,
            actor=agent,
            severity=Severity.HIGH,
            subject="Captions do not appear after publishing",
            description="A university customer reports captions missing on newly published entries.",
            customer_name="Example University",
        )
        support_services.ticket_triage(
            ticket=ticket,
            actor=agent,
            classification=Classification.PARTNER,
            comment="The captioning job never starts on the partner's side.",
        )
        support_services.ticket_note(
            ticket=ticket, actor=agent, body="Customer is on the enterprise plan; watch closely."
        )
    today = timezone.localdate()
    past = deployments.cycle_days_between(today - dt.timedelta(days=28), today)
    if past and not DeploymentCycle.objects.filter(deploy_on=past[-1]).exists():
        support_services.deployment_mark_deployed(
            deploy_on=past[-1], actor=agent, notes="Demo: shipped on schedule."
        )


__all__ = ["dt", "seed_program", "seed_support"]
