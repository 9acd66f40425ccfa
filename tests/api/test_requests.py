"""The partner resources end to end over the API, through the same services as the pages:
a CI job's whole path (draft for a commit, documents, test access, checklist, submit),
refused transitions with 409 and the service's message, field errors, another
organisation's ids as 404, ETags, cursor pages, findings and staff transitions."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from certifications.enums import ProductArea, RequestState
from certifications.models import CertificationRequest, Guideline, TestEnvironment
from tests.factories import PDF_BYTES, IntegrationFactory, PartnerFactory, certify, draft_request

pytestmark = pytest.mark.django_db

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_ci_path_create_fill_and_submit(api, eligible_partner, partner_admin):
    response = api.post(
        "integrations",
        {
            "name": "Acme Player",
            "product_area": ProductArea.MEDIASPACE_MODULE,
            "github_repo": "acme/player",
        },
    )
    assert response.status_code == 201, response.content
    integration_id = response.json()["id"]
    response = api.post(
        "requests", {"integration_id": integration_id, "version": "2.1.0", "commit_sha": SHA}
    )
    assert response.status_code == 201
    req = response.json()
    assert req["state"] == "draft" and req["missing_items"]
    rid = req["id"]
    for doc_type in ("user_guide", "support_process", "installation_guide", "qa_guide"):
        upload = SimpleUploadedFile(f"{doc_type}.pdf", PDF_BYTES, "application/pdf")
        response = api.post(
            f"requests/{rid}/documents", {"doc_type": doc_type, "file": upload}, multipart=True
        )
        assert response.status_code == 201, response.content
    for kind in ("ms_admin", "ms_user", "kmc"):  # a module is tested with KMC access too
        response = api.post(
            f"requests/{rid}/environments",
            {
                "kind": kind,
                "url": "https://test.acme.example",
                "username": kind,
                "password": "pw-" + kind,
            },
        )
        assert response.status_code == 201, response.content
        assert "password" not in response.json()
    assert TestEnvironment.objects.get(kind="ms_admin").password.reveal() == "pw-ms_admin"
    answers = {g.code: "yes" for g in Guideline.objects.filter(active=True)}
    response = api.put(f"requests/{rid}/checklist", {"answers": answers, "readme_confirmed": True})
    assert response.status_code == 200
    assert response.json()["missing_items"] == []
    response = api.post(f"requests/{rid}/submit")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "submitted"
    timeline = api.get(f"requests/{rid}/status").json()["timeline"]
    assert [e["transition"] for e in timeline] == ["submit"]
    assert all("password" not in e for e in api.get(f"requests/{rid}").json()["environments"])


def test_refused_transitions_answer_409_with_the_services_reason(api, draft, partner_admin):
    response = api.post(f"requests/{draft.pk}/resubmit", {"commit_sha": SHA, "change_summary": "x"})
    assert response.status_code == 409
    body = response.json()
    assert body["status"] == 409 and body["code"] == "wrong_state"
    assert response["Content-Type"] == "application/problem+json"
    assert "resubmit" in body["detail"].lower()
    assert api.post(f"requests/{draft.pk}/submit").status_code == 200
    again = api.post(f"requests/{draft.pk}/submit")
    assert again.status_code == 409 and "submit" in again.json()["detail"].lower()
    response = api.patch(f"requests/{draft.pk}", {"version": "1.0.1"})
    assert response.status_code == 409
    assert "Only a draft can be edited" in response.json()["detail"]
    draft.refresh_from_db()
    assert draft.state == RequestState.SUBMITTED and draft.version == "1.0.0"


def test_incomplete_package_refused_with_what_is_missing(api, eligible_partner, integration):
    created = api.post("requests", {"integration_id": integration.pk, "version": "5.0"}).json()
    response = api.post(f"requests/{created['id']}/submit")
    assert response.status_code in (400, 409)
    assert "The package is not complete" in response.json()["detail"]
    assert CertificationRequest.objects.get(pk=created["id"]).state == RequestState.DRAFT


def test_field_errors_say_what_to_fix(api, integration):
    response = api.post(
        "requests", {"integration_id": integration.pk, "version": "", "commit_sha": "xyz"}
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"version", "commit_sha"} <= fields
    response = api.post("requests", {"integration_id": integration.pk, "version": "1.0.0"})
    response = api.post("requests", {"integration_id": integration.pk, "version": "1.0.0"})
    assert response.status_code == 409 and "already has a request" in response.json()["detail"]


def test_another_organisations_ids_are_404(api_b, draft, integration):
    finding_free = [
        f"requests/{draft.pk}",
        f"requests/{draft.pk}/status",
        f"requests/{draft.pk}/findings",
        f"integrations/{integration.pk}",
    ]
    for path in finding_free:
        response = api_b.get(path)
        assert response.status_code == 404, path
        assert "Acme" not in response.content.decode()
    assert api_b.post(f"requests/{draft.pk}/submit").status_code == 404
    assert api_b.patch(f"integrations/{integration.pk}", {"name": "Stolen"}).status_code == 404
    response = api_b.post("requests", {"integration_id": integration.pk, "version": "7.0"})
    assert response.status_code == 404
    assert api_b.get("requests").json()["items"] == []
    draft.refresh_from_db()
    assert draft.state == RequestState.DRAFT


def test_session_of_a_viewer_reads_but_cannot_write(client, partner_viewer, draft):
    client.force_login(partner_viewer)
    assert client.get(f"/api/v1/requests/{draft.pk}").status_code == 200
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(partner_viewer)
    refused = csrf.post(
        f"/api/v1/requests/{draft.pk}/withdraw", {}, content_type="application/json"
    )
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    response = client.post(
        f"/api/v1/requests/{draft.pk}/withdraw", {}, content_type="application/json"
    )
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.state == RequestState.DRAFT


def test_etag_and_cursor_pagination(api, integration, partner_admin):
    for n in range(5):
        draft_request(integration, actor=partner_admin, version=f"0.{n}")
    first = api.get("requests", {"limit": 2})
    assert first.status_code == 200 and first["ETag"]
    assert (
        api.get("requests", {"limit": 2}, headers={"If-None-Match": first["ETag"]}).status_code
        == 304
    )
    seen = [r["id"] for r in first.json()["items"]]
    cursor = first.json()["next_cursor"]
    while cursor:
        body = api.get("requests", {"limit": 2, "cursor": cursor}).json()
        seen += [r["id"] for r in body["items"]]
        cursor = body["next_cursor"]
    assert seen == sorted(seen, reverse=True) and len(seen) == 5
    assert api.get("requests", {"cursor": "garbage!"}).status_code == 422
    assert api.get("requests", {"cursor": "Zm9v"}).status_code == 422
    filtered = api.get("requests", {"state": "draft", "kind": "initial"}).json()["items"]
    assert len(filtered) == 5
    assert api.get("requests", {"state": "nonsense"}).status_code == 422


def test_findings_list_and_reply(api, api_b, draft, partner_admin, reviewer):
    from certifications import services as cert_services
    from reviews import services as review_services

    cert_services.request_submit(request=draft, actor=partner_admin)
    draft = cert_services.request_assign(request=draft, reviewer=reviewer, actor=reviewer)
    finding = review_services.finding_add(
        request=draft,
        actor=reviewer,
        category="functional",
        severity="major",
        title="Upload fails",
        reviewer_note="Large files time out.",
    )
    findings = api.get(f"requests/{draft.pk}/findings").json()
    assert [f["id"] for f in findings] == [finding.pk]
    response = api.post(
        f"findings/{finding.pk}/replies", {"body": "Fixed in abc123", "mark_addressed": True}
    )
    assert response.status_code == 201
    finding.refresh_from_db()
    assert finding.status == "addressed"
    thread = api.get(f"findings/{finding.pk}/replies").json()["items"]
    assert thread[0]["body"] == "Fixed in abc123"
    assert api_b.get(f"findings/{finding.pk}/replies").status_code == 404
    assert api_b.post(f"findings/{finding.pk}/replies", {"body": "x"}).status_code == 404
    response = api.post(f"findings/{finding.pk}/replies", {"body": "again", "mark_addressed": True})
    assert response.status_code == 409


def test_staff_queue_and_transitions(api_staff, api, draft, partner_admin, reviewer, manager):
    from certifications import services as cert_services

    cert_services.request_submit(request=draft, actor=partner_admin)
    queue = api_staff.get("staff/queue").json()["items"]
    assert [r["id"] for r in queue] == [draft.pk]
    # Not assigned yet: the reviewer may not run intake (the back office's rule).
    response = api_staff.post(f"staff/requests/{draft.pk}/transitions", {"name": "intake_ok"})
    assert response.status_code == 403
    assert api_staff.post(f"staff/requests/{draft.pk}/assign", {}).status_code == 200
    response = api_staff.post(f"staff/requests/{draft.pk}/transitions", {"name": "intake_ok"})
    assert response.status_code == 200 and response.json()["state"] == "user_testing"
    response = api_staff.post(f"staff/requests/{draft.pk}/transitions", {"name": "cr_pass"})
    assert response.status_code == 409
    response = api_staff.post(f"staff/requests/{draft.pk}/transitions", {"name": "hold"})
    assert response.status_code == 400 and "comment" in response.json()["detail"]
    # A partner's token is no staff token.
    assert api.get("staff/queue").status_code == 403
    assert api.post(f"staff/requests/{draft.pk}/transitions", {"name": "hold"}).status_code == 403


def test_certificate_and_account(api, draft, partner_admin, reviewer, integration):
    from certifications import services as cert_services

    cert_services.request_submit(request=draft, actor=partner_admin)
    draft = cert_services.request_assign(request=draft, reviewer=reviewer, actor=reviewer)
    for name in ("intake_ok", "ut_pass"):
        draft = cert_services.request_transition(request=draft, name=name, actor=reviewer)
    draft = certify(draft, reviewer=reviewer)  # with the two-person rule's second approval
    certificates = api.get("certificates").json()["items"]
    assert len(certificates) == 1
    code = certificates[0]["verification_code"]
    assert certificates[0]["verification_url"].endswith(f"/verify/{code}/")
    assert api.get(f"requests/{draft.pk}/certificate").json()["verification_code"] == code
    account = api.get("account").json()
    assert account["agreement_in_force"] is True
    major = next(q for q in account["agreement"]["quota"] if q["kind"] == "major")
    assert major["used"] == 1 and account["agreement"]["credit_left"] == "1500.00"
    other = IntegrationFactory(name="Other org's", partner=PartnerFactory())
    assert api.get(f"integrations/{other.pk}").status_code == 404


def test_intake_report_for_ci_counts_blockers_and_stays_with_its_organisation(
    api, api_b, partner, partner_admin
):
    from reviews.models import IntakeReport, IntakeReportItem

    integration = IntegrationFactory(partner=partner, github_repo="acme/player")
    req = draft_request(integration, actor=partner_admin)
    req.commit_sha = SHA
    req.save(update_fields=["commit_sha"])
    assert api.get(f"requests/{req.pk}/intake-report").status_code == 404  # none asked yet
    report = IntakeReport.objects.create(
        integration=integration,
        commit_sha=SHA,
        version=req.version,
        status="done",
        repo_private=False,
        files_total=12,
        files_read=3,
    )
    IntakeReportItem.objects.create(
        report=report,
        rule_id="repo-private",
        guideline_code="G11",
        severity="blocker",
        outcome="fail",
        message="The repository is public.",
    )
    IntakeReportItem.objects.create(
        report=report,
        rule_id="debug-log-js",
        guideline_code="G08",
        severity="minor",
        outcome="fail",
        path="player.js",
        line=3,
        excerpt="console.log(x)",
    )
    response = api.get(f"requests/{req.pk}/intake-report")
    assert response.status_code == 200
    body = response.json()
    assert body["blockers"] == 1 and body["repo_private"] is False
    assert [(i["rule_id"], i["blocking"]) for i in body["items"]] == [
        ("repo-private", True),
        ("debug-log-js", False),
    ]
    other = api_b.get(f"requests/{req.pk}/intake-report")
    assert other.status_code == 404 and "G11" not in other.content.decode()


def test_finding_dispute_round_trip(api, api_b, draft, partner_admin, reviewer):
    """The program's false-positive path from CI: dispute, wait for the reviewer, who
    accepts; another organisation's token never reaches the finding."""
    from certifications import services as cert_services
    from reviews import services as review_services

    cert_services.request_submit(request=draft, actor=partner_admin)
    draft = cert_services.request_assign(request=draft, reviewer=reviewer, actor=reviewer)
    finding = review_services.finding_add(
        request=draft,
        actor=reviewer,
        category="functional",
        severity="major",
        title="Trace logs left in",
        reviewer_note="console.log in player.js",
    )
    body = {"reason": "That line is in the vendored build, not our code."}
    assert api_b.post(f"findings/{finding.pk}/dispute", body).status_code == 404
    response = api.post(f"findings/{finding.pk}/dispute", body)
    assert response.status_code == 200, response.content
    assert response.json()["dispute_state"] == "open"
    again = api.post(f"findings/{finding.pk}/dispute", body)
    assert again.status_code == 409 and "already disputed" in again.json()["detail"]
    review_services.finding_dispute_decide(
        finding=finding, actor=reviewer, accept=True, reason="Agreed: vendored file."
    )
    listed = api.get(f"requests/{draft.pk}/findings").json()
    assert listed[0]["dispute_state"] == "accepted" and listed[0]["status"] == "dismissed"
