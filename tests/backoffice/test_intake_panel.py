"""The intake report on the reviewers' request page: shown at intake, one click from an
item to a finding, and intake over blockers only with a reason."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certifications.enums import RequestState
from reviews.models import IntakeOverride, IntakeReportItem
from tests.reviews.intake_trees import report_for

pytestmark = pytest.mark.django_db


def page_url(request):
    return reverse("admin:certifications_certificationrequest_change", args=[request.pk])


def test_reviewer_sees_the_report_at_intake(client, assigned, reviewer):
    report_for(assigned, public=True)
    client.force_login(reviewer)
    page = client.get(page_url(assigned)).content.decode()
    assert "Automated intake check" in page
    assert "1 blocker" in page and "Record as finding" in page
    assert "Override blockers: start user testing" in page
    assert "blocker" not in page.split("Automated intake check")[0].lower()


def test_one_click_turns_an_item_into_a_prefilled_finding(client, assigned, reviewer):
    report_for(assigned)
    item = IntakeReportItem.objects.get(rule_id="debug-log-js")
    client.force_login(reviewer)
    response = client.post(reverse("admin:review_intake_finding", args=[assigned.pk, item.pk]))
    assert response.status_code == 302 and response["Location"].endswith("#findings")
    item.refresh_from_db()
    finding = item.finding
    assert (finding.guideline.code, finding.severity, finding.stage) == ("G08", "minor", "intake")
    assert "assets/m0.js:1" in finding.reviewer_note
    assert "Recorded as a finding" in client.get(page_url(assigned)).content.decode()


def test_another_reviewer_cannot_record_it(client, assigned, other_reviewer):
    report_for(assigned)
    item = IntakeReportItem.objects.get(rule_id="debug-log-js")
    client.force_login(other_reviewer)
    client.post(reverse("admin:review_intake_finding", args=[assigned.pk, item.pk]))
    item.refresh_from_db()
    assert item.finding_id is None


def test_an_item_of_another_request_is_a_404(client, assigned, reviewer, partner_admin):
    from tests.factories import draft_request

    other = draft_request(assigned.integration, actor=partner_admin, version="9.9.9")
    report_for(other)
    item = IntakeReportItem.objects.get(rule_id="debug-log-js")
    client.force_login(reviewer)
    response = client.post(reverse("admin:review_intake_finding", args=[assigned.pk, item.pk]))
    assert response.status_code == 404


def test_blockers_hold_intake_until_a_reason_is_given(client, assigned, reviewer):
    report_for(assigned, public=True)
    client.force_login(reviewer)
    client.post(reverse("admin:review_transition", args=[assigned.pk]), {"name": "intake_ok"})
    assigned.refresh_from_db()
    assert assigned.state == RequestState.SUBMITTED
    client.post(reverse("admin:review_intake_override", args=[assigned.pk]), {"reason": " "})
    assigned.refresh_from_db()
    assert assigned.state == RequestState.SUBMITTED and not IntakeOverride.objects.exists()

    client.post(
        reverse("admin:review_intake_override", args=[assigned.pk]),
        {"reason": "Repository made private during the call."},
    )
    assigned.refresh_from_db()
    assert assigned.state == RequestState.USER_TESTING
    assert IntakeOverride.objects.get().reason == "Repository made private during the call."


def test_partner_cannot_reach_the_panel_actions(client, assigned, partner_admin):
    client.force_login(partner_admin)
    response = client.post(reverse("admin:review_intake_run", args=[assigned.pk]))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_panel_queries_are_flat_with_items(client, assigned, reviewer, page_cache_off):
    report = report_for(assigned, problems=3)
    client.force_login(reviewer)
    client.get(page_url(assigned))
    with CaptureQueriesContext(connection) as few:
        assert client.get(page_url(assigned)).status_code == 200
    report.delete()
    report_for(assigned, problems=60)
    with CaptureQueriesContext(connection) as many:
        assert client.get(page_url(assigned)).status_code == 200
    assert len(many) == len(few)
