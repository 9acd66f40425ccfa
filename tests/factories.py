"""factory-boy factories and helpers that build real program states through services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from certifications import services as cert_services
from certifications.enums import (
    CORE_DOCUMENTS,
    UPDATE_DOCUMENTS,
    ChecklistAnswer,
    EnvironmentKind,
    ProductArea,
    RequestKind,
)
from certifications.models import CertificationRequest, Guideline, Integration
from certportal import roles
from partners import services as partner_services
from partners.enums import AgreementState, BusinessReviewState, MemberRole
from partners.models import Agreement, BusinessReview, Membership, Partner, SupportPlan

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("pw-for-tests-123")


def staff_user(username: str, group: str) -> User:
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")
    slug = factory.Sequence(lambda n: f"partner-{n}")
    website = "https://partner.example"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    partner = factory.SubFactory(PartnerFactory)
    role = MemberRole.ADMIN


class IntegrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Integration

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"Integration {n}")
    product_area = ProductArea.API_WORKFLOW
    github_repo = factory.Sequence(lambda n: f"partner/integration-{n}")
    description = "Does useful things for joint customers."


def member(partner: Partner, role: str = MemberRole.ADMIN, username: str | None = None) -> User:
    user = UserFactory(username=username) if username else UserFactory()
    Membership.objects.create(user=user, partner=partner, role=role)
    return user


def qualify(partner: Partner, *, manager: User, major: int = 4, minor: int = 6) -> Agreement:
    """Bring a partner to eligibility through the real services: approved business review,
    support plan, and an active paid agreement."""
    admin = Membership.objects.filter(partner=partner, role=MemberRole.ADMIN).first()
    admin_user = admin.user if admin else member(partner)
    review = BusinessReview.objects.filter(partner=partner).first()
    if review is None or review.state != BusinessReviewState.APPROVED:
        review = partner_services.business_review_save(
            partner=partner,
            actor=admin_user,
            use_cases="Captions for lectures",
            workflows="Upload → caption → publish",
            joint_solutions="Universities",
        )
        review = partner_services.business_review_submit(review=review, actor=admin_user)
        partner_services.business_review_decide(review=review, actor=manager, approve=True)
    if not SupportPlan.objects.filter(partner=partner).exists():
        partner_services.support_plan_save(
            partner=partner,
            actor=admin_user,
            partner_contact_name="Esca Lation",
            partner_contact_email="escalation@partner.example",
            partner_contact_hours="Mon–Fri 9–17 CET",
            technical_contact_name="Tech Person",
            technical_contact_email="tech@partner.example",
            support_tool_url="https://support.partner.example",
            vendor_access_instructions="Request an agent seat from escalation@partner.example.",
        )
    agreement = partner.agreements.filter(state=AgreementState.ACTIVE).first()
    if agreement:
        return agreement
    agreement = partner_services.agreement_request(
        partner=partner,
        actor=admin_user,
        legal_name=f"{partner.name} Ltd",
        billing_contact_name="Bill Ing",
        billing_contact_email="billing@partner.example",
        billing_address="1 Partner Street",
    )
    Agreement.objects.filter(pk=agreement.pk).update(major_quota=major, minor_quota=minor)
    agreement.refresh_from_db()
    agreement = partner_services.agreement_send(
        agreement=agreement, actor=manager, payment_instructions="Wire to IBAN XX00 0000"
    )
    agreement = partner_services.agreement_mark_signed(agreement=agreement, actor=manager)
    partner_services.payment_record(
        agreement=agreement,
        actor=manager,
        amount=Decimal("6500"),
        paid_on=timezone.localdate(),
        reference="INV-1",
    )
    return partner_services.agreement_activate(agreement=agreement, actor=manager)


# An update's answer "unchanged, because …" for every document it could touch.
UNCHANGED_DOCS = {d: "This version does not change it." for d in UPDATE_DOCUMENTS}


def update_form_docs(updated=()):
    """The update page's per-document answers as POST data."""
    data = {}
    for doc_type in UPDATE_DOCUMENTS:
        if doc_type in updated:
            data[f"doc_{doc_type}"] = "updated"
        else:
            data[f"doc_{doc_type}"] = "unchanged"
            data[f"why_{doc_type}"] = "This version does not change it."
    return data


def complete_package(request: CertificationRequest, *, actor: User) -> CertificationRequest:
    """Fill a draft's package: commit, README, checklist, the four documents, test access."""
    request = cert_services.request_update_draft(
        request=request,
        actor=actor,
        commit_sha=request.commit_sha or "a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0",
        readme_confirmed=True,
        checklist={g.code: ChecklistAnswer.YES for g in Guideline.objects.filter(active=True)},
    )
    for doc_type in request.required_documents():
        if not request.documents.filter(doc_type=doc_type).exists():
            cert_services.document_add(
                request=request,
                actor=actor,
                doc_type=doc_type,
                upload=SimpleUploadedFile(f"{doc_type}.pdf", PDF_BYTES, "application/pdf"),
            )
    if request.integration.is_module:
        for kind in (EnvironmentKind.MS_ADMIN, EnvironmentKind.MS_USER, EnvironmentKind.KMC):
            cert_services.environment_save(
                request=request,
                actor=actor,
                kind=kind,
                url="https://test-site.partner.example",
                username=f"{kind}-user",
                password=f"secret-{kind}-pw",
            )
    return request


def draft_request(
    integration: Integration,
    *,
    actor: User,
    version: str = "1.0.0",
    kind: str = RequestKind.INITIAL,
) -> CertificationRequest:
    request = cert_services.request_create(
        integration=integration, actor=actor, version=version, kind=kind
    )
    return complete_package(request, actor=actor)


def second_approval(request: CertificationRequest, *, approver: User | None = None) -> None:
    """The two-person rule's second approval of certifying `request` (in code review),
    asked by its assigned reviewer and given by `approver` (by default a second reviewer
    made for it): call before firing `cr_pass`."""
    request.refresh_from_db()
    approver = approver or staff_user("second-approver-t", roles.REVIEWER)
    approval = cert_services.seal_approval_request(request=request, actor=request.assigned_reviewer)
    cert_services.seal_approval_decide(approval=approval, actor=approver, approve=True)


def certify(
    request: CertificationRequest, *, reviewer: User, comment: str = ""
) -> CertificationRequest:
    """Fire `cr_pass` on a request in code review with the second approval it needs."""
    second_approval(request)
    return cert_services.request_transition(
        request=request, name="cr_pass", actor=reviewer, comment=comment
    )


def revoke_seal(
    request: CertificationRequest,
    *,
    asker: User,
    reason: str = "Security issue",
    confirmer: User | None = None,
) -> CertificationRequest:
    """Revoke the seal of a certified or published `request` under the one revocation
    rule: `asker` asks with `reason`, `confirmer` (by default a second partner manager
    made for it) confirms."""
    confirmer = confirmer or staff_user("second-revoker-t", roles.PARTNER_MANAGER)
    pending = cert_services.seal_revoke(request=request, actor=asker, reason=reason)
    return cert_services.seal_revoke_confirm(approval=pending, actor=confirmer)


__all__ = [
    "CORE_DOCUMENTS",
    "PDF_BYTES",
    "IntegrationFactory",
    "MembershipFactory",
    "PartnerFactory",
    "UserFactory",
    "certify",
    "complete_package",
    "draft_request",
    "dt",
    "member",
    "qualify",
    "revoke_seal",
    "roles",
    "second_approval",
    "staff_user",
]
