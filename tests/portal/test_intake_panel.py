"""The intake report where partners see it: the wizard's last step (with re-run and the
pushed commit offered) and the request page; other tenants and viewers are refused."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certifications import services as cert_services
from reviews.models import IntakeReport, WebhookDelivery
from tests.reviews.intake_trees import report_for

pytestmark = pytest.mark.django_db


def review_step(req):
    return reverse("portal:request_step", args=[req.pk, "review"])


def rerun(req):
    return reverse("portal:request_intake_rerun", args=[req.pk])


def test_wizard_shows_the_report_with_rerun(client, draft, partner_developer):
    report_for(draft, public=True)
    client.force_login(partner_developer)
    page = client.get(review_step(draft)).content.decode()
    assert "Automated intake check" in page and "1 blocker" in page
    assert "Debug logging left in JavaScript" in page and "assets/m0.js:1" in page
    assert "Re-run the check" in page
    # Labels, never raw codes.
    assert ">fail<" not in page and ">blocker<" not in page


def test_wizard_offers_a_pushed_commit(client, draft, partner_developer):
    WebhookDelivery.objects.create(
        delivery_id="x1",
        payload_sha256="1" * 64,
        event="push",
        integration=draft.integration,
        ref="refs/heads/main",
        head_sha="f" * 40,
        status="processed",
    )
    client.force_login(partner_developer)
    page = client.get(review_step(draft)).content.decode()
    assert f"Use commit {'f' * 12} and check it" in page


def test_rerun_queues_the_report(
    client, draft, partner_developer, django_capture_on_commit_callbacks
):
    client.force_login(partner_developer)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(rerun(draft))
    assert response.status_code == 302 and response["Location"].endswith("#intake")
    assert IntakeReport.objects.get().commit_sha == draft.commit_sha
    assert any("_enqueue" in c.__qualname__ for c in callbacks)


def test_rerun_refuses_a_malformed_commit(client, draft, partner_developer):
    client.force_login(partner_developer)
    client.post(rerun(draft), {"commit_sha": "main; rm -rf"})
    draft.refresh_from_db()
    assert not IntakeReport.objects.exists() and draft.commit_sha != "main; rm -rf"


def test_viewer_cannot_rerun(client, draft, partner_viewer):
    client.force_login(partner_viewer)
    assert client.post(rerun(draft)).status_code == 403
    assert not IntakeReport.objects.exists()


def test_other_tenant_gets_404(client, draft, other_partner_admin):
    report_for(draft)
    client.force_login(other_partner_admin)
    assert client.post(rerun(draft)).status_code == 404
    assert client.get(review_step(draft)).status_code == 404


def test_request_page_shows_the_report_while_submitted(client, draft, partner_admin):
    submitted = cert_services.request_submit(request=draft, actor=partner_admin)
    report_for(submitted)
    client.force_login(partner_admin)
    page = client.get(reverse("portal:request_detail", args=[submitted.pk])).content.decode()
    assert "Automated intake check" in page and "Debug logging left in JavaScript" in page


def test_wizard_queries_are_flat_with_items(client, draft, partner_developer):
    report = report_for(draft, problems=2)
    client.force_login(partner_developer)
    client.get(review_step(draft))
    with CaptureQueriesContext(connection) as few:
        client.get(review_step(draft))
    report.delete()
    report_for(draft, problems=50)
    with CaptureQueriesContext(connection) as many:
        client.get(review_step(draft))
    assert len(many) == len(few)
