"""CSV exports round-trip through the csv module."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from certifications.enums import RequestKind, RequestState
from certifications.models import Certificate, CertificationRequest
from program import exports
from tests.factories import IntegrationFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def _rows(response):
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_partner_export_round_trip(client, manager, eligible_partner, other_partner):
    client.force_login(manager)
    rows = _rows(client.get(reverse("manage:export_partners")))
    assert list(rows[0]) == exports.PARTNER_HEADER
    acme = next(r for r in rows if r["partner"] == "Acme Test")
    assert acme["standing"] == "good"
    assert acme["business_review"] == "approved"
    assert acme["support_plan"] == "yes"
    assert acme["agreement_state"] == "active"
    assert acme["fee"] == "6500.00"
    assert acme["outstanding"] == "0.00"
    assert (acme["major_used"], acme["major_left"], acme["minor_left"]) == ("0", "4", "6")
    assert acme["marketing_credit_left"] == "1500.00"
    globex = next(r for r in rows if r["partner"] == "Globex Test")
    assert globex["agreement_state"] == ""
    assert globex["support_plan"] == "no"


def test_agreement_export_round_trip(client, manager, eligible_partner):
    client.force_login(manager)
    rows = _rows(client.get(reverse("manage:export_agreements")))
    assert len(rows) == 1
    row = rows[0]
    assert list(row) == exports.AGREEMENT_HEADER
    assert (row["partner"], row["state"], row["fee"], row["paid"]) == (
        "Acme Test",
        "active",
        "6500.00",
        "6500.00",
    )
    assert (row["major_included"], row["minor_included"], row["major_used"]) == ("4", "6", "0")
    assert row["marketing_credit"] == "1500.00"


def _certificate(integration, version, issued_at):
    request = CertificationRequest.objects.create(
        integration=integration,
        version=version,
        kind=RequestKind.MINOR,
        state=RequestState.CERTIFIED,
    )
    return Certificate.objects.create(
        request=request,
        version=version,
        commit_sha="abcdef1",
        issued_at=issued_at,
        valid_until=issued_at.date() + dt.timedelta(days=365),
    )


def test_certification_export_filters_by_dates(client, manager):
    integration = IntegrationFactory(partner=PartnerFactory(name="=HYPERLINK(1)"), name="Cap")
    now = timezone.now()
    old = _certificate(integration, "1.0", now - dt.timedelta(days=100))
    new = _certificate(integration, "2.0", now)
    client.force_login(manager)
    start = (now - dt.timedelta(days=10)).date().isoformat()
    rows = _rows(client.get(reverse("manage:export_certifications"), {"start": start}))
    assert [r["verification_code"] for r in rows] == [new.verification_code]
    assert rows[0]["partner"] == "'=HYPERLINK(1)"  # neutralised formula
    rows = _rows(client.get(reverse("manage:export_certifications")))
    assert {r["verification_code"] for r in rows} == {old.verification_code, new.verification_code}


def test_certification_export_bad_range_is_400(client, manager):
    client.force_login(manager)
    response = client.get(
        reverse("manage:export_certifications"), {"start": "2026-05-01", "end": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "The start date must be before the end date." in response.content.decode()
