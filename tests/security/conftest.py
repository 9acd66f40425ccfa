"""The security suite's world: partner A with data in every state a URL can point at, each
piece carrying a unique canary string, partner B with its own admin, and the staff roles.

Built through the real services (one build per test that asks for it; about a second)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from certifications import deployments
from certifications import services as cert_services
from certifications.enums import ProductArea
from certifications.models import Certificate, CertificationRequest
from certportal import roles
from certportal.models import Notification
from partners import services as partner_services
from partners.models import Membership
from partners.services import invitation_create as invite_token
from reviews import services as review_services
from reviews.models import IntakeReport, IntakeReportItem, WebhookDelivery
from support import services as support_services
from support.enums import Severity
from tests.factories import (
    PDF_BYTES,
    IntegrationFactory,
    PartnerFactory,
    complete_package,
    member,
    qualify,
    second_approval,
    staff_user,
)

CANARY = "zqxcanary"
CANARIES = {
    "integration": f"{CANARY}-integration-description",
    "comment": f"{CANARY}-transition-comment",
    "finding": f"{CANARY}-finding-note",
    "ticket": f"{CANARY}-ticket-text",
    "password": f"{CANARY}-test-site-password",
    "document": f"{CANARY}-document-name",
}

ROLES = (
    "anonymous",
    "viewer",
    "developer",
    "admin",
    "admin_b",
    "reviewer",
    "reviewer_other",
    "manager",
    "support",
)


@dataclass
class World:
    users: dict[str, Any]
    objects: dict[str, Any]
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, role: str, *, csrf: bool = False) -> Client:
        key = f"{role}:{csrf}"
        if key not in self.clients:
            client = Client(enforce_csrf_checks=csrf, raise_request_exception=False)
            if self.users[role] is not None:
                client.force_login(self.users[role])
            self.clients[key] = client
        return self.clients[key]


def _certify(request, *, admin, reviewer):
    request = cert_services.request_submit(request=request, actor=admin)
    request = cert_services.request_assign(request=request, reviewer=reviewer, actor=reviewer)
    for name in ("intake_ok", "ut_pass", "cr_pass"):
        if name == "cr_pass":
            second_approval(request)  # the two-person rule
        request = cert_services.request_transition(request=request, name=name, actor=reviewer)
    return request


def build_world() -> World:
    manager = staff_user("sec-manager", roles.PARTNER_MANAGER)
    reviewer = staff_user("sec-reviewer", roles.REVIEWER)
    reviewer_other = staff_user("sec-reviewer2", roles.REVIEWER)
    support = staff_user("sec-support", roles.SUPPORT_AGENT)

    partner = PartnerFactory(name="Acme Security", slug="acme-security")
    admin = member(partner, "admin", "sec-acme-admin")
    developer = member(partner, "developer", "sec-acme-dev")
    viewer = member(partner, "viewer", "sec-acme-viewer")
    partner_b = PartnerFactory(name="Globex Security", slug="globex-security")
    admin_b = member(partner_b, "admin", "sec-globex-admin")
    qualify(partner, manager=manager)
    qualify(partner_b, manager=manager)

    # A certified integration (tickets, meetings, certificate, "submit an update").
    integration = IntegrationFactory(
        partner=partner,
        name="Acme Captions",
        github_repo="acme/captions",
        description=f"Captions for lectures. {CANARIES['integration']}",
    )
    first = cert_services.request_create(integration=integration, actor=admin, version="1.0.0")
    cert_services.document_add(
        request=first,
        actor=admin,
        doc_type=first.required_documents()[0],
        upload=SimpleUploadedFile(f"{CANARIES['document']}.pdf", PDF_BYTES, "application/pdf"),
    )
    first = complete_package(first, actor=admin)
    certified = _certify(first, admin=admin, reviewer=reviewer)
    meeting = support_services.meeting_ensure(request_id=certified.pk)
    certificate = Certificate.objects.get(request=certified)

    # A module integration whose request waits on the partner (changes requested), with
    # test access (the password canary), a transition comment and a finding.
    module = IntegrationFactory(
        partner=partner,
        name="Acme MediaSpace Module",
        product_area=ProductArea.MEDIASPACE_MODULE,
        github_repo="acme/ms-module",
    )
    in_review = cert_services.request_create(integration=module, actor=admin, version="2.0.0")
    in_review = complete_package(in_review, actor=admin)
    environment = in_review.environments.order_by("pk").first()
    cert_services.environment_save(
        request=in_review,
        actor=admin,
        environment=environment,
        kind=environment.kind,
        url=environment.url,
        username=environment.username,
        password=CANARIES["password"],
    )
    in_review = cert_services.request_submit(request=in_review, actor=admin)
    in_review = cert_services.request_assign(request=in_review, reviewer=reviewer, actor=reviewer)
    in_review = cert_services.request_transition(
        request=in_review, name="intake_ok", actor=reviewer
    )
    finding = review_services.finding_add(
        request=in_review,
        actor=reviewer,
        category="functional",
        severity="major",
        title="Upload fails",
        reviewer_note=CANARIES["finding"],
    )
    in_review = cert_services.request_transition(
        request=in_review, name="ut_changes", actor=reviewer, comment=CANARIES["comment"]
    )

    # The intake report of the module's commit, with one problem (the intake panel's URLs),
    # and a GitHub webhook delivery (the deliveries list).
    report = IntakeReport.objects.create(
        integration=module,
        commit_sha=in_review.commit_sha,
        version=in_review.version,
        status="done",
        repo_private=True,
    )
    intake_item = IntakeReportItem.objects.create(
        report=report,
        rule_id="debug-log-js",
        guideline_code="G08",
        severity="minor",
        outcome="fail",
        path="assets/player.js",
        line=3,
        excerpt="console.log(entry)",
        message="Debug logging left in JavaScript.",
    )
    WebhookDelivery.objects.create(
        delivery_id="sec-delivery-1",
        payload_sha256="0" * 64,
        event="push",
        integration=module,
        repository_full_name="acme/ms-module",
        head_sha="c" * 40,
        status="processed",
    )

    # A draft on a third integration (submit / withdraw / wizard steps).
    api = IntegrationFactory(partner=partner, name="Acme Quiz", github_repo="acme/quiz")
    draft = complete_package(
        cert_services.request_create(integration=api, actor=admin, version="3.0.0"), actor=admin
    )

    ticket = support_services.ticket_create(
        integration=integration,
        actor=developer,
        severity=Severity.HIGH,
        subject="Captions missing",
        description=CANARIES["ticket"],
        uploads=[SimpleUploadedFile("trace.pdf", PDF_BYTES, "application/pdf")],
    )
    notification = Notification.objects.filter(recipient=admin).order_by("pk").first()
    if notification is None:  # pragma: no cover - services notify admins on every step
        notification = Notification.objects.create(
            recipient=admin, event="test", subject="Hello", body_text="Hello"
        )

    # A program application (issue 14): the managers' pages and the applicant's answer link.
    application = partner_services.application_submit(
        company="Applicant Co",
        website="https://applicant.example",
        contact_name="Ann Applicant",
        contact_email="ann@applicant.example",
        not_yet_partner=True,
        product_areas=["other"],
        integration_summary="An integration.",
    )

    # API access of partner A: a token, a webhook endpoint and one delivery (issue 17).
    from certportal.webhook_models import WebhookDelivery as PartnerWebhookDelivery
    from partners.services import api_access

    api_token, _ = api_access.api_token_create(
        actor=admin, name="CI", scope="write", expires_in_days=30, partner_id=partner.pk
    )
    webhook, _ = api_access.webhook_endpoint_create(
        actor=admin, partner_id=partner.pk, url="http://127.0.0.1:9/hook", events=["finding.added"]
    )
    delivery = PartnerWebhookDelivery.objects.create(
        endpoint=webhook, event="finding.added", payload={}, next_attempt_at=timezone.now()
    )

    objects = {
        "application": application,
        "answer_token": partner_services.application_answer_token(application),
        "api_token": api_token,
        "webhook": webhook,
        "delivery": delivery,
        "partner": partner,
        "partner_b": partner_b,
        "integration": integration,
        "module": module,
        "certified": certified,
        "certificate": certificate,
        "meeting": meeting,
        "in_review": in_review,
        "environment": environment,
        "finding": finding,
        "intake_item": intake_item,
        "draft": draft,
        "document": first.documents.get(original_name=f"{CANARIES['document']}.pdf"),
        "ticket": ticket,
        "attachment": ticket.attachments.get(),
        "notification": notification,
        "viewer_membership": Membership.objects.get(user=viewer),
        "reviewer_user": reviewer,
        "seal_approval": certified.seal_approvals.get(),
        "invite_token": invite_token(partner_id=partner.pk, email="new@example.com", role="viewer"),
        "deploy_day": deployments.cycle_days_between(
            timezone.localdate(), timezone.localdate() + dt.timedelta(days=60)
        )[0].isoformat(),
    }
    users = {
        "anonymous": None,
        "viewer": viewer,
        "developer": developer,
        "admin": admin,
        "admin_b": admin_b,
        "reviewer": reviewer,
        "reviewer_other": reviewer_other,
        "manager": manager,
        "support": support,
    }
    return World(users=users, objects=objects)


@pytest.fixture(autouse=True)
def _workers_alive(settings):
    """No Celery worker runs beside these tests: record a fresh heartbeat for every queue so
    /healthz/ answers as in a healthy deployment (tests/workers/test_worker_health.py checks
    the stale case with real workers)."""
    from certportal import health

    for queue in settings.WORKER_HEARTBEAT_QUEUES:
        health.heartbeat_record(queue=queue, worker="celery@tests")


@pytest.fixture
def world(db) -> World:
    assert CertificationRequest.objects.count() == 0
    return build_world()
