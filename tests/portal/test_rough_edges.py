"""Issue 14 item 6: the smaller rough edges — test-access step, KMC access where the program
needs it, screenshots on tickets, the escalation confirmation, the dashboard's latest
request, money written one way, no raw codes, /favicon.ico, the certifications CSV name."""

import datetime as dt
import struct
import zlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.urls import reverse

from certifications import services as cert_services
from certifications.enums import ProductArea, RequestState
from certifications.uploads import UploadRejected, check_upload
from program.exports import certifications_filename
from support.enums import Classification, Severity, TicketState
from support.models import TicketAttachment
from tests.factories import UNCHANGED_DOCS, IntegrationFactory, complete_package, draft_request
from tests.support import conftest as support_fixtures
from tests.support.conftest import certify

pytestmark = pytest.mark.django_db

# The support pages' fixtures: a certified request of partner A and a ticket on it.
certified = support_fixtures.certified
ticket = support_fixtures.ticket


def _png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


# --- Test-access step ----------------------------------------------------------------------


def test_test_access_step_opens_without_errors_in_both_wizards(
    client, draft, partner_admin, reviewer
):
    client.force_login(partner_admin)
    fresh = cert_services.request_create(
        integration=draft.integration, actor=partner_admin, version="0.9.0"
    )
    certified = certify(draft, admin=partner_admin, reviewer=reviewer)
    update = cert_services.request_start_update(
        certified=certified,
        actor=partner_admin,
        version="1.1.0",
        change="minor",
        vendor_side_change=False,
        change_summary="Fix",
        docs_unchanged=UNCHANGED_DOCS,
    )
    for req in (fresh, update):
        body = client.get(reverse("portal:request_step", args=[req.pk, "environments"])).content
        assert b"Please correct" not in body
        assert b"error-summary" not in body


# --- KMC access --------------------------------------------------------------------------


def test_kmc_access_is_required_for_modules_only(partner, partner_admin, eligible_partner):
    module = IntegrationFactory(
        partner=partner, product_area=ProductArea.MEDIASPACE_MODULE, github_repo="acme/ms"
    )
    req = cert_services.request_create(integration=module, actor=partner_admin, version="1")
    req = complete_package(req, actor=partner_admin)
    assert req.missing_items() == []
    req.environments.filter(kind="kmc").delete()
    assert req.missing_items() == ["Add access to your KMC account."]
    docs = cert_services.request_create(
        integration=module, actor=partner_admin, version="2", kind="docs"
    )
    assert docs.required_environments() == ()
    api = IntegrationFactory(partner=partner, product_area=ProductArea.API_WORKFLOW)
    assert draft_request(api, actor=partner_admin).required_environments() == ()


def test_test_access_step_lists_what_is_required(client, partner, partner_admin, eligible_partner):
    module = IntegrationFactory(
        partner=partner, product_area=ProductArea.KAF_MODULE, github_repo="acme/kaf"
    )
    req = cert_services.request_create(integration=module, actor=partner_admin, version="1")
    client.force_login(partner_admin)
    body = client.get(reverse("portal:request_step", args=[req.pk, "environments"])).content
    assert b"KMC account" in body
    assert body.count(b'badge-warn">Required') == 3


# --- Ticket screenshots --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "kind"), [("shot.png", _png(), "image/png"), ("shot.jpg", JPEG, "image/jpeg")]
)
def test_ticket_accepts_screenshots(client, certified, partner_developer, name, data, kind):
    client.force_login(partner_developer)
    response = client.post(
        reverse("support:ticket_new"),
        {
            "integration": certified.integration.pk,
            "severity": Severity.HIGH,
            "subject": "Broken player",
            "description": "See the screenshot.",
            "attachments": [SimpleUploadedFile(name, data, "application/octet-stream")],
        },
    )
    assert response.status_code == 302
    attachment = TicketAttachment.objects.get()
    assert (attachment.content_type, attachment.original_name) == (kind, name)


def test_screenshot_checks_match_other_uploads(settings):
    polyglot = _png() + b"<html><script>alert(1)</script>"
    with pytest.raises(UploadRejected, match="HTML or script content"):
        check_upload(
            SimpleUploadedFile("x.png", _png()[:-12] + b"<script>" + _png()[-12:]), images=True
        )
    with pytest.raises(UploadRejected):  # markup after the end: not an image, not text
        check_upload(SimpleUploadedFile("x.png", polyglot), images=True)
    with pytest.raises(UploadRejected, match="not accepted"):  # documents take no images
        check_upload(SimpleUploadedFile("x.png", _png()))
    settings.UPLOAD_MAX_BYTES = len(_png()) - 1
    with pytest.raises(UploadRejected, match="limit"):
        check_upload(SimpleUploadedFile("x.png", _png()), images=True)


# --- Escalation confirmation -----------------------------------------------------------


def test_escalating_a_ticket_says_what_happened(client, ticket, support_agent):
    from support import services as support_services

    support_services.ticket_triage(
        ticket=ticket, actor=support_agent, classification=Classification.UNCLEAR, comment=""
    )
    client.force_login(support_agent)
    response = client.post(
        reverse("support_staff:ticket_action", args=[ticket.pk, "escalate"]),
        {"escalate-reason": "Partner bug"},
        follow=True,
    )
    body = response.content.decode()
    assert "Escalated to Acme" in body
    assert "must acknowledge" in body
    ticket.refresh_from_db()
    assert ticket.state == TicketState.WITH_PARTNER


# --- Dashboard's latest request --------------------------------------------------------


def test_latest_request_is_the_newest_live_one(client, draft, partner_admin):
    live = cert_services.request_submit(request=draft, actor=partner_admin)
    newer = cert_services.request_create(
        integration=draft.integration, actor=partner_admin, version="1.0.1"
    )
    cert_services.request_transition(request=newer, name="withdraw", actor=partner_admin)
    client.force_login(partner_admin)
    body = client.get(reverse("portal:dashboard")).content.decode()
    row = body.split("Acme Captions")[1].split("</tr>")[0]
    assert reverse("portal:request_detail", args=[live.pk]) in row
    assert "1.0.1" not in row
    assert RequestState.SUBMITTED.label in row


# --- Money, codes, icon, CSV name --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (Decimal("6500"), "USD", "USD 6,500.00"),
        (1500, "", "USD 1,500.00"),
        ("0.5", "EUR", "EUR 0.50"),
        (None, "USD", "—"),
    ],
)
def test_money_filter(value, currency, text):
    rendered = Template("{% load display %}{{ v|money:c }}").render(
        Context({"v": value, "c": currency})
    )
    assert rendered == text


def test_money_is_written_one_way_on_the_dashboard_and_manage_pages(
    client, eligible_partner, partner_admin, manager
):
    client.force_login(partner_admin)
    dashboard = client.get(reverse("portal:dashboard")).content.decode()
    assert "USD 6,500.00" in dashboard
    assert "USD 1,500.00" in dashboard
    agreement = client.get(reverse("portal:agreement")).content.decode()
    assert "USD 6,500.00" in agreement
    assert "6500.00 USD" not in agreement
    client.force_login(manager)
    manage = client.get(reverse("manage:partner", args=[eligible_partner.pk])).content.decode()
    assert "USD 6,500.00" in manage
    assert "USD 1,500.00" in manage


def test_no_raw_codes_on_the_partner_page(client, eligible_partner, manager):
    client.force_login(manager)
    body = client.get(reverse("manage:partner", args=[eligible_partner.pk])).content.decode()
    assert "business_review.approve" not in body
    assert "agreement.activate" not in body
    assert "Business review approved" in body
    assert "Agreement activated" in body


def test_back_office_timeline_in_words(client, draft, partner_admin, reviewer):
    req = cert_services.request_submit(request=draft, actor=partner_admin)
    req = cert_services.request_assign(request=req, reviewer=reviewer, actor=reviewer)
    cert_services.request_transition(request=req, name="intake_ok", actor=reviewer)
    client.force_login(reviewer)
    body = client.get(
        reverse("admin:certifications_certificationrequest_change", args=[req.pk])
    ).content.decode()
    assert "<td>intake_ok</td>" not in body
    assert "Package complete" in body


def test_favicon_is_served(client):
    from django.contrib.staticfiles import finders
    from django.templatetags.static import static

    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("favicon.ico")
    with open(finders.find("favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an ICO file


def test_certifications_csv_is_named_by_its_dates(client, manager):
    today = dt.date(2026, 12, 2)
    assert (
        certifications_filename(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31), today=today)
        == "certifications_2026-01-01_to_2026-03-31.csv"
    )
    assert certifications_filename(start=None, end=None, today=today) == (
        "certifications_all_to_2026-12-02.csv"
    )
    client.force_login(manager)
    response = client.get(
        reverse("manage:export_certifications"), {"start": "2026-01-01", "end": "2026-06-30"}
    )
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="certifications_2026-01-01_to_2026-06-30.csv"'
    )
