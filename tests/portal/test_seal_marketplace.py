"""The seal (badge, JSON verification, revocation) and the public marketplace."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certifications import services as cert_services
from certifications.enums import ProductArea, RequestKind, RequestState
from certifications.marketplace import marketplace_listings
from certifications.models import Certificate, CertificationRequest, Integration, Listing
from certportal.errors import ProgramError
from certportal.models import AuditEvent
from partners.enums import AgreementState, Standing
from partners.models import Agreement
from tests.factories import PartnerFactory, roles, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(certificate):
    """The conftest's certificate, its request published (a seal is revoked from there)."""
    CertificationRequest.objects.filter(pk=certificate.request_id).update(
        state=RequestState.PUBLISHED
    )
    certificate.request.refresh_from_db()
    return certificate


@pytest.fixture
def second_manager(db):
    return staff_user("manager2-t", roles.PARTNER_MANAGER)


def _revoke(certificate, manager, reason="Security issue CVE-1", confirmer=None):
    """The manager asks; a second manager confirms (the one revocation rule)."""
    pending = cert_services.certificate_revoke(
        certificate=certificate, actor=manager, reason=reason
    )
    confirmer = confirmer or staff_user("manager3-t", roles.PARTNER_MANAGER)
    return cert_services.seal_revoke_confirm(approval=pending, actor=confirmer)


def test_badge_and_json_of_a_valid_certificate(certificate):
    code = certificate.verification_code
    badge = Client().get(reverse("portal:seal_badge", args=[code]))
    assert badge.status_code == 200
    assert badge["Content-Type"].startswith("image/svg+xml")
    assert "max-age=86400" in badge["Cache-Control"] and "public" in badge["Cache-Control"]
    body = badge.content.decode()
    assert "Certified" in body and certificate.version in body and "Acme Test" in body
    # a second load with the ETag is a 304 without the body
    again = Client().get(
        reverse("portal:seal_badge", args=[code]), HTTP_IF_NONE_MATCH=badge["ETag"]
    )
    assert again.status_code == 304 and again.content == b""
    data = Client().get(reverse("portal:verify_json", args=[code])).json()
    assert data["status"] == "valid" and data["valid"] is True
    assert data["version"] == certificate.version
    assert data["verification_url"].endswith(reverse("portal:verify", args=[code]))


def test_revoked_certificate_badge_json_and_page_say_so(certificate, manager):
    code = certificate.verification_code
    before = Client().get(reverse("portal:seal_badge", args=[code]))
    _revoke(certificate, manager)
    badge = Client().get(
        reverse("portal:seal_badge", args=[code]), HTTP_IF_NONE_MATCH=before["ETag"]
    )
    assert badge.status_code == 200  # the ETag changed with the status
    assert "revoked" in badge.content.decode().lower()
    data = json.loads(Client().get(reverse("portal:verify_json", args=[code])).content)
    assert data["status"] == "revoked" and data["valid"] is False
    assert data["revoked_reason"] == "Security issue CVE-1"
    page = Client().get(reverse("portal:verify", args=[code])).content.decode()
    assert "Revoked" in page and "Security issue CVE-1" in page
    assert (
        AuditEvent.objects.filter(action="certificate.revoke", object_id=certificate.pk).count()
        == 1
    )


def test_expired_certificate_badge_says_expired(certificate):
    Certificate.objects.filter(pk=certificate.pk).update(
        valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    badge = Client().get(reverse("portal:seal_badge", args=[certificate.verification_code]))
    assert "Certification expired" in badge.content.decode()
    data = Client().get(reverse("portal:verify_json", args=[certificate.verification_code])).json()
    assert data["status"] == "expired"


def test_unknown_code_is_404(db):
    assert Client().get(reverse("portal:seal_badge", args=["nope"])).status_code == 404
    assert Client().get(reverse("portal:verify_json", args=["nope"])).status_code == 404


def test_revoking_needs_a_second_person(
    certificate, reviewer, partner_admin, manager, second_manager
):
    for actor in (reviewer, partner_admin):  # not the request's reviewer, not staff
        with pytest.raises(ProgramError, match="revoke a seal"):
            cert_services.certificate_revoke(certificate=certificate, actor=actor, reason="x")
    with pytest.raises(ProgramError, match="reason"):
        cert_services.certificate_revoke(certificate=certificate, actor=manager, reason="  ")
    pending = cert_services.certificate_revoke(
        certificate=certificate, actor=manager, reason="Security issue CVE-1"
    )
    certificate.refresh_from_db()
    assert pending.pending and certificate.revoked_at is None  # not yet: one person acted
    for again in (
        lambda: cert_services.seal_revoke_confirm(approval=pending, actor=manager),
        lambda: cert_services.certificate_revoke(
            certificate=certificate, actor=manager, reason="y"
        ),
    ):
        with pytest.raises(ProgramError, match="different reviewer or manager must confirm"):
            again()
    with pytest.raises(ProgramError, match="confirm a revocation"):
        cert_services.seal_revoke_confirm(approval=pending, actor=partner_admin)
    # A different person revoking while one is pending confirms it; the first reason stands.
    cert_services.certificate_revoke(certificate=certificate, actor=second_manager, reason="z")
    request = CertificationRequest.objects.get(pk=certificate.request_id)
    assert request.state == RequestState.REVOKED
    certificate.refresh_from_db()
    assert certificate.revoked_by == second_manager
    assert certificate.revoked_reason == "Security issue CVE-1"  # the asker's reason
    with pytest.raises(ProgramError, match="already revoked"):
        cert_services.certificate_revoke(certificate=certificate, actor=manager, reason="w")
    assert list(request.log.values_list("transition", "actor__username"))[-2:] == [
        ("revoke_asked", "manager-t"),
        ("revoke", "manager2-t"),
    ]


def test_manager_revokes_from_partner_page_with_a_second_person(
    client, certificate, manager, second_manager, reviewer, partner_admin, other_partner
):
    partner_id = certificate.request.integration.partner_id
    page = reverse("manage:partner", args=[partner_id])
    url = reverse("manage:certificate_revoke", args=[partner_id, certificate.pk])
    decide = reverse("manage:certificate_revoke_decide", args=[partner_id, certificate.pk])
    for user in (reviewer, partner_admin):  # the partner page is the managers' only
        client.force_login(user)
        assert client.post(url, {"reason": "x"}).status_code == 403
        assert client.post(decide, {"decision": "confirm"}).status_code == 403
    client.force_login(manager)
    # another partner's page cannot reach this certificate
    for foreign in (
        reverse("manage:certificate_revoke", args=[other_partner.pk, certificate.pk]),
        reverse("manage:certificate_revoke_decide", args=[other_partner.pk, certificate.pk]),
    ):
        assert client.post(foreign, {"reason": "x", "decision": "confirm"}).status_code == 404
    assert client.post(url, {"reason": "Broken on upgrade"}).status_code == 302
    body = client.get(page).content.decode()
    assert "Revocation pending" in body and "Broken on upgrade" in body
    assert "Withdraw my revocation" in body and 'value="confirm"' not in body
    refused = client.post(decide, {"decision": "confirm"}, follow=True).content.decode()
    assert "different reviewer or manager must confirm" in refused
    certificate.refresh_from_db()
    assert certificate.revoked_at is None
    client.force_login(second_manager)
    assert 'value="confirm"' in client.get(page).content.decode()
    # Withdrawing someone else's revocation needs a reason; then a new ask is possible.
    client.post(decide, {"decision": "withdraw"})
    assert certificate.request.seal_approvals.get().pending
    client.post(decide, {"decision": "withdraw", "comment": "Fixed in 3.0.1"})
    assert certificate.request.seal_approvals.get().approved is False
    assert "Revocation pending" not in client.get(page).content.decode()
    client.force_login(manager)
    client.post(url, {"reason": "Broken on upgrade"})
    client.force_login(second_manager)
    client.post(decide, {"decision": "confirm"})
    certificate.refresh_from_db()
    assert certificate.revoked_reason == "Broken on upgrade"
    assert certificate.revoked_by == second_manager


def test_partner_request_page_gives_the_embed_snippet(client, partner_admin, certified):
    client.force_login(partner_admin)
    body = client.get(reverse("portal:request_detail", args=[certified.pk])).content.decode()
    code = certified.certificate.verification_code
    assert reverse("portal:seal_badge", args=[code]) in body
    assert f'&lt;img src="http://testserver/verify/{code}/seal.svg"' in body


# --- Marketplace ----------------------------------------------------------------------


def _listed(
    name,
    *,
    state=AgreementState.ACTIVE,
    term_end=None,
    standing=Standing.GOOD,
    area=ProductArea.PLAYER_PLUGIN,
):
    today = timezone.localdate()
    partner = PartnerFactory(name=name, standing=standing)
    if state is not None:
        agreement = Agreement.objects.create(
            partner=partner,
            term_start=today - dt.timedelta(days=300),
            term_end=term_end or today + dt.timedelta(days=65),
            legal_name=name,
            billing_contact_name="B",
            billing_contact_email="b@example.com",
            billing_address="B",
        )
        Agreement.objects.filter(pk=agreement.pk).update(state=state)
    integration = Integration.objects.create(
        partner=partner, name=f"{name} plugin", product_area=area, github_repo=f"x/{partner.slug}"
    )
    request = CertificationRequest.objects.create(
        integration=integration, version="1.0", kind=RequestKind.INITIAL
    )
    CertificationRequest.objects.filter(pk=request.pk).update(state=RequestState.PUBLISHED)
    cert = Certificate.objects.create(
        request=request,
        version="1.0",
        commit_sha="a" * 40,
        issued_at=timezone.now(),
        valid_until=today + dt.timedelta(days=65),
    )
    Listing.objects.create(
        integration=integration,
        certificate=cert,
        title=f"{name} for the player",
        summary="Chapters and more.",
        published_at=timezone.now(),
    )
    return partner, cert


def test_marketplace_never_lists_a_partner_without_an_active_agreement(manager):
    today = timezone.localdate()
    _listed("Active Co")
    _listed("Requested Co", state=AgreementState.REQUESTED)
    _listed("Cancelled Co", state=AgreementState.CANCELLED)
    _listed("Expired Co", state=AgreementState.EXPIRED)
    _listed("None Co", state=None)
    _listed("Lapsed Co", term_end=today - dt.timedelta(days=31))  # past the grace period
    _listed("Grace Co", term_end=today - dt.timedelta(days=3))
    _listed("Suspended Co", standing=Standing.SUSPENDED)
    _partner, revoked = _listed("Revoked Co")
    _revoke(revoked, manager, reason="Broken")
    names = [x.integration.partner.name for x in marketplace_listings()]
    assert names == ["Active Co", "Grace Co"]
    body = Client().get(reverse("portal:marketplace")).content.decode()
    assert "Active Co" in body and "Grace Co" in body
    assert "renewal pending" in body and body.count("renewal pending") == 1
    for absent in (
        "Requested Co",
        "Cancelled Co",
        "Expired Co",
        "None Co",
        "Lapsed Co",
        "Revoked Co",
        "Suspended Co",
    ):
        assert absent not in body


def test_marketplace_search_and_area_filter(db):
    _listed("Alpha", area=ProductArea.PLAYER_PLUGIN)
    _listed("Beta", area=ProductArea.MEDIASPACE_MODULE)
    client = Client()
    body = client.get(reverse("portal:marketplace"), {"q": "alpha"}).content.decode()
    assert "Alpha for the player" in body and "Beta for the player" not in body
    body = client.get(reverse("portal:marketplace"), {"area": "mediaspace_module"}).content.decode()
    assert "Beta for the player" in body and "Alpha for the player" not in body
    assert client.get(reverse("portal:marketplace"), {"area": "bogus"}).status_code == 400


def test_marketplace_queries_flat_with_listings(db):
    client = Client()

    def queries() -> int:
        client.get(reverse("portal:marketplace"))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("portal:marketplace")).status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        _listed(f"Few {i}")
    few = queries()
    for i in range(20):
        _listed(f"Many {i:02d}")
    assert queries() == few <= 2
