"""The "Submit an update" page: the path shown to the partner for each combination
(kind, quota use, SLA target, code review, deployment cycle) and the draft it creates;
deployment dates of certified module updates across cycle boundaries and the cut-off."""

import datetime as dt

import pytest
from django.urls import reverse

from certifications import services as cert_services
from certifications.enums import DocumentType, ProductArea, RequestKind, RequestState
from certifications.models import CertificationRequest
from certifications.updates import deployment_slot
from tests.factories import (
    UNCHANGED_DOCS,
    IntegrationFactory,
    complete_package,
    draft_request,
    update_form_docs,
)
from tests.support.conftest import certify

pytestmark = pytest.mark.django_db


@pytest.fixture
def certified_of(eligible_partner, partner_admin, reviewer):
    def make(area):
        integration = IntegrationFactory(
            partner=eligible_partner, name=f"Acme {area}", product_area=area
        )
        return certify(
            draft_request(integration, actor=partner_admin), admin=partner_admin, reviewer=reviewer
        )

    return make


# (area, change, vendor side) -> (kind label, quota text, SLA days, code review, deploys)
COMBINATIONS = [
    (ProductArea.PLAYER_PLUGIN, "minor", False, "Docs-only update", "None", 14, "No", False),
    (ProductArea.PLAYER_PLUGIN, "major", False, "Docs-only update", "None", 14, "No", False),
    (
        ProductArea.PLAYER_PLUGIN,
        "minor",
        True,
        "Minor update",
        "One minor certification (6 left",
        14,
        "Yes",
        False,
    ),
    (
        ProductArea.PLAYER_PLUGIN,
        "major",
        True,
        "Major update",
        "One major certification (3 left",
        35,
        "Yes",
        False,
    ),
    (
        ProductArea.MEDIASPACE_MODULE,
        "minor",
        False,
        "Minor update",
        "One minor certification (6 left",
        14,
        "Yes",
        True,
    ),
    (
        ProductArea.KAF_MODULE,
        "major",
        False,
        "Major update",
        "One major certification (3 left",
        35,
        "Yes",
        True,
    ),
    (
        ProductArea.API_WORKFLOW,
        "minor",
        True,
        "Minor update",
        "One minor certification (6 left",
        14,
        "Yes",
        False,
    ),
    (
        ProductArea.API_WORKFLOW,
        "major",
        False,
        "Major update",
        "One major certification (3 left",
        35,
        "Yes",
        False,
    ),
]


@pytest.mark.parametrize(
    ("area", "change", "vendor", "kind_label", "quota", "sla", "review", "deploys"), COMBINATIONS
)
def test_update_flow_shows_path_then_creates_draft(
    client,
    certified_of,
    partner_developer,
    area,
    change,
    vendor,
    kind_label,
    quota,
    sla,
    review,
    deploys,
):
    certified = certified_of(area)
    url = reverse("support:update_start", args=[certified.integration_id])
    client.force_login(partner_developer)
    html = client.get(url).content.decode()
    assert "new features, UI/UX changes, or a change to the security/auth model" in html
    data = {
        "version": "2.0.0",
        "change": change,
        "change_summary": "What changed",
        **update_form_docs(updated=[DocumentType.INSTALLATION_GUIDE, DocumentType.MARKETING]),
    }
    if vendor:
        data["vendor_side_change"] = "on"
    preview = client.post(url, data)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert kind_label in html
    assert quota in html
    assert f"{sla} days" in html
    assert f"<dt>Code review</dt><dd>{review}" in html
    assert ("ships on" in html) is deploys
    assert "Release notes / CHANGELOG, Setup docs" in html
    assert not CertificationRequest.objects.filter(version="2.0.0").exists()  # not yet

    response = client.post(url, {**data, "confirm": "1"})
    draft = CertificationRequest.objects.get(integration=certified.integration, version="2.0.0")
    assert response.status_code == 302
    assert response.url == reverse("portal:request_step", args=[draft.pk, "details"])
    assert draft.state == RequestState.DRAFT
    assert draft.update_of == certified
    assert draft.vendor_side_change is vendor
    expected_kind = {"Docs-only update": RequestKind.DOCS, "Minor update": RequestKind.MINOR}.get(
        kind_label, RequestKind.MAJOR
    )
    assert draft.kind == expected_kind
    assert draft.required_documents() == [
        DocumentType.RELEASE_NOTES,
        DocumentType.INSTALLATION_GUIDE,
        DocumentType.MARKETING,
    ]
    carried = set(draft.documents.filter(carried_over=True).values_list("doc_type", flat=True))
    assert DocumentType.USER_GUIDE in carried
    assert DocumentType.INSTALLATION_GUIDE not in carried


def test_update_invalid_form_keeps_input(client, certified, partner_developer):
    url = reverse("support:update_start", args=[certified.integration_id])
    client.force_login(partner_developer)
    response = client.post(url, {"version": "9.9.9", "change_summary": "typed"})
    assert response.status_code == 400
    assert "9.9.9" in response.content.decode()


def test_update_duplicate_version_is_refused_with_message(client, certified, partner_developer):
    url = reverse("support:update_start", args=[certified.integration_id])
    client.force_login(partner_developer)
    data = {
        "version": certified.version,
        "change": "minor",
        "change_summary": "x",
        "confirm": "1",
        **update_form_docs(),
    }
    response = client.post(url, data)
    assert response.status_code == 409
    assert "already has a request" in response.content.decode()


def test_update_requires_certified_version(client, draft, partner_developer):
    url = reverse("support:update_start", args=[draft.integration_id])
    client.force_login(partner_developer)
    assert client.get(url).status_code == 409


def test_update_forbidden_for_viewer(client, certified, partner_viewer):
    url = reverse("support:update_start", args=[certified.integration_id])
    client.force_login(partner_viewer)
    assert client.get(url).status_code == 403
    assert client.post(url, {"version": "3", "change": "minor", "confirm": "1"}).status_code == 403


def test_update_other_tenant_404(client, certified, other_partner_admin):
    url = reverse("support:update_start", args=[certified.integration_id])
    client.force_login(other_partner_admin)
    assert client.get(url).status_code == 404


# --- Deployment of certified module updates ----------------------------------------------


def _next_cycle_after(day):
    slot = deployment_slot(day)
    return slot.deploy_on, slot.cutoff


@pytest.mark.parametrize("days_after_cutoff", [0, 1])
def test_module_update_deployment_date_and_cutoff(
    client,
    certified_of,
    partner_admin,
    reviewer,
    time_machine,
    days_after_cutoff,
    django_capture_on_commit_callbacks,
):
    from django.utils import timezone

    certified = certified_of(ProductArea.MEDIASPACE_MODULE)
    update = cert_services.request_start_update(
        certified=certified,
        actor=partner_admin,
        version="1.1.0",
        change="minor",
        vendor_side_change=False,
        change_summary="Fix",
        docs_unchanged=UNCHANGED_DOCS,
    )
    update = complete_package(update, actor=partner_admin)
    deploy_on, cutoff = _next_cycle_after(timezone.localdate() + dt.timedelta(days=7))
    certified_on = cutoff + dt.timedelta(days=days_after_cutoff)
    time_machine.move_to(
        dt.datetime.combine(certified_on, dt.time(12, 0), tzinfo=dt.UTC), tick=False
    )
    update = certify(update, admin=partner_admin, reviewer=reviewer)
    expected = deploy_on if days_after_cutoff == 0 else deploy_on + dt.timedelta(days=14)
    assert update.deployment_date == expected
    client.force_login(partner_admin)
    html = client.get(reverse("support:integration", args=[update.integration_id])).content.decode()
    expected_cutoff = expected - dt.timedelta(days=3)
    assert (
        f"Version 1.1.0: planned deployment {expected:%-d %b %Y} (cut-off {expected_cutoff:%-d %b %Y})"
        in html
    )
    # The new certificate supersedes the earlier one.
    certified.certificate.refresh_from_db()
    assert certified.certificate.superseded_by == update.certificate
