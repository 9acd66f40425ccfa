"""Authorization matrix generated from the URLconf: every `portal:` pattern × every role.

A pattern without a declared expectation fails the test, so a new page cannot ship
without deciding who may use it."""

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from certifications.models import Document
from partners.models import Membership
from partners.services import invitation_create as invite_token

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "other_admin", "viewer", "developer", "admin", "reviewer", "manager"]

# name: (method, expected status per role, in ROLES order)
# 302 for anonymous is the login redirect; reviewer/manager are vendor staff without a
# membership: they get the friendly "not a member" page (403) and no partner data.
EXPECTED = {
    "dashboard": ("get", [302, 200, 200, 200, 200, 403, 403]),
    "switch_partner": ("post", [302, 404, 302, 302, 302, 403, 403]),
    "integration_list": ("get", [302, 200, 200, 200, 200, 403, 403]),
    "integration_create": ("get", [302, 200, 403, 200, 200, 403, 403]),
    "integration_detail": ("get", [302, 404, 200, 200, 200, 403, 403]),
    "integration_edit": ("get", [302, 404, 403, 200, 200, 403, 403]),
    "request_new": ("get", [302, 404, 403, 200, 200, 403, 403]),
    "request_detail": ("get", [302, 404, 200, 200, 200, 403, 403]),
    "request_step": ("get", [302, 404, 403, 200, 200, 403, 403]),
    "request_submit": ("post", [302, 404, 403, 403, 302, 403, 403]),
    "request_resubmit": ("post", [302, 404, 403, 403, 200, 403, 403]),
    "request_withdraw": ("post", [302, 404, 403, 403, 302, 403, 403]),
    "request_intake_rerun": ("post", [302, 404, 403, 302, 302, 403, 403]),
    "finding_thread": ("get", [302, 404, 200, 200, 200, 403, 403]),
    "finding_reply": ("post", [302, 404, 403, 200, 200, 403, 403]),
    "finding_dispute": ("post", [302, 404, 403, 302, 302, 403, 403]),
    "document_download": ("get", [302, 404, 200, 200, 200, 403, 403]),
    "agreement": ("get", [302, 200, 200, 200, 200, 403, 403]),
    "business_review": ("get", [302, 200, 200, 200, 200, 403, 403]),
    "support_plan": ("get", [302, 200, 200, 200, 200, 403, 403]),
    "team": ("get", [302, 200, 200, 200, 200, 403, 403]),
    "team_invite": ("post", [302, 200, 403, 403, 200, 403, 403]),
    "member_role": ("post", [302, 404, 403, 403, 302, 403, 403]),
    "member_remove": ("post", [302, 404, 403, 403, 302, 403, 403]),
    "invite_accept": ("get", [200, 200, 200, 200, 200, 200, 200]),
    "verify": ("get", [200, 200, 200, 200, 200, 200, 200]),
    # Issue 14: joining the program (public), the site icon, asking for extra quota.
    "apply": ("get", [200, 200, 200, 200, 200, 200, 200]),
    "apply_thanks": ("get", [200, 200, 200, 200, 200, 200, 200]),
    "apply_answer": ("get", [200, 200, 200, 200, 200, 200, 200]),
    "favicon": ("get", [302, 302, 302, 302, 302, 302, 302]),
    "quota_request": ("get", [302, 200, 403, 403, 200, 403, 403]),
    "seal_badge": ("get", [200, 200, 200, 200, 200, 200, 200]),
    "verify_json": ("get", [200, 200, 200, 200, 200, 200, 200]),
    "marketplace": ("get", [200, 200, 200, 200, 200, 200, 200]),
    "agreement_ledger_csv": ("get", [302, 404, 200, 200, 200, 403, 403]),
    # Issue 17: API access (partner admins only; another organisation's objects are 404).
    "api_tokens": ("get", [302, 200, 403, 403, 200, 403, 403]),
    "api_token_revoke": ("post", [302, 404, 403, 403, 302, 403, 403]),
    "api_webhooks": ("get", [302, 200, 403, 403, 200, 403, 403]),
    "api_webhook": ("get", [302, 404, 403, 403, 200, 403, 403]),
    "api_webhook_resume": ("post", [302, 404, 403, 403, 302, 403, 403]),
    "api_webhook_delete": ("post", [302, 404, 403, 403, 302, 403, 403]),
    "api_delivery_redeliver": ("post", [302, 404, 403, 403, 302, 403, 403]),
}


def _names(patterns):
    """The names of `patterns`, with those of any include() inside them."""
    for p in patterns:
        if hasattr(p, "url_patterns"):
            yield from _names(p.url_patterns)
        else:
            yield p.name


def portal_pattern_names():
    resolver = get_resolver()
    for pattern in resolver.url_patterns:
        if getattr(pattern, "namespace", None) == "portal":
            return sorted(_names(pattern.url_patterns))
    raise AssertionError("the portal namespace is not mounted")


def test_every_portal_url_has_an_expectation():
    names = portal_pattern_names()
    missing = [n for n in names if n not in EXPECTED]
    assert not missing, f"declare the authorization expectation of: {missing}"
    assert not set(EXPECTED) - set(names), "expectations for URLs that no longer exist"


@pytest.fixture
def world(
    changes_requested,
    certificate,
    partner,
    partner_admin,
    partner_developer,
    partner_viewer,
    other_partner_admin,
    reviewer,
    manager,
):
    draft = certificate.request
    return {
        "users": {
            "anonymous": None,
            "other_admin": other_partner_admin,
            "viewer": partner_viewer,
            "developer": partner_developer,
            "admin": partner_admin,
            "reviewer": reviewer,
            "manager": manager,
        },
        "args": {
            "integration_detail": [draft.integration_id],
            "integration_edit": [draft.integration_id],
            "request_new": [draft.integration_id],
            "request_detail": [draft.pk],
            "request_step": [draft.pk, "details"],
            "request_submit": [draft.pk],
            "request_resubmit": [changes_requested.pk],
            "request_withdraw": [draft.pk],
            "request_intake_rerun": [draft.pk],
            "finding_thread": [changes_requested.finding.pk],
            "finding_reply": [changes_requested.finding.pk],
            "finding_dispute": [changes_requested.finding.pk],
            "document_download": [Document.objects.filter(request=draft).first().pk],
            "member_role": [Membership.objects.get(user=partner_viewer).pk],
            "member_remove": [Membership.objects.get(user=partner_viewer).pk],
            "invite_accept": [
                invite_token(partner_id=partner.pk, email="new@example.com", role="viewer")
            ],
            "verify": [certificate.verification_code],
            "apply_answer": [_answer_token()],
            "seal_badge": [certificate.verification_code],
            "verify_json": [certificate.verification_code],
            "agreement_ledger_csv": [partner.agreements.first().pk, "quota"],
            **_api_access_args(partner, partner_admin),
        },
        "data": {"switch_partner": {"partner": partner.pk}},
    }


def _api_access_args(partner, admin) -> dict:
    """Partner A's token, webhook endpoint and one delivery (issue 17)."""
    from django.utils import timezone

    from certportal.webhook_models import WebhookDelivery
    from partners.services import api_access

    token, _ = api_access.api_token_create(
        actor=admin, name="CI", scope="write", expires_in_days=30, partner_id=partner.pk
    )
    hook, _ = api_access.webhook_endpoint_create(
        actor=admin, partner_id=partner.pk, url="http://127.0.0.1:9/hook", events=["finding.added"]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=hook, event="finding.added", payload={}, next_attempt_at=timezone.now()
    )
    return {
        "api_token_revoke": [token.pk],
        "api_webhook": [hook.pk],
        "api_webhook_resume": [hook.pk],
        "api_webhook_delete": [hook.pk],
        "api_delivery_redeliver": [delivery.pk],
    }


def _answer_token() -> str:
    from partners import services

    application = services.application_submit(
        company="Applicant Co",
        website="https://applicant.example",
        contact_name="Ann",
        contact_email="ann@applicant.example",
        not_yet_partner=True,
        product_areas=["other"],
        integration_summary="Something.",
    )
    return services.application_answer_token(application)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_authorization_matrix(world, name):
    """Roles run in ROLES order on one set of rows: only the admin's turn may change
    state, and the roles after it (staff non-members) are refused whatever the state."""
    method, statuses = EXPECTED[name]
    url = reverse(f"portal:{name}", args=world["args"].get(name, []))
    data = world["data"].get(name, {})
    failures = []
    for role, expected in zip(ROLES, statuses, strict=True):
        client = Client()
        user = world["users"][role]
        if user is not None:
            client.force_login(user)
        response = getattr(client, method)(url, data)
        if response.status_code != expected:
            failures.append((role, expected, response.status_code))
        if expected in (403, 404) or (role == "anonymous" and expected == 302):
            # Refusals never leak partner A's data.
            body = response.content.decode()
            assert "Acme Captions" not in body, (name, role)
            assert "Acme Test" not in body, (name, role)
    assert not failures, f"{name}: (role, expected, got) {failures}"
