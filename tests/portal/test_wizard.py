import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from certifications.enums import RequestState
from certifications.models import CertificationRequest, Guideline, TestEnvironment
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db

SHA = "0123456789abcdef0123456789abcdef01234567"


def step(request, name):
    return reverse("portal:request_step", args=[request.pk, name])


def test_step1_creates_draft_and_goes_to_checklist(client, integration, partner_developer):
    client.force_login(partner_developer)
    url = reverse("portal:request_new", args=[integration.pk])
    response = client.post(url, {"version": "1.2.0", "kind": "initial", "commit_sha": SHA})
    request = CertificationRequest.objects.get(integration=integration, version="1.2.0")
    assert request.state == RequestState.DRAFT
    assert request.commit_sha == SHA
    assert response.url == step(request, "checklist")


def test_step1_invalid_sha_keeps_input(client, integration, partner_developer):
    client.force_login(partner_developer)
    url = reverse("portal:request_new", args=[integration.pk])
    response = client.post(url, {"version": "1.2.0", "kind": "initial", "commit_sha": "xyz"})
    assert response.status_code == 200
    assert b"error-summary" in response.content
    assert b'value="1.2.0"' in response.content
    assert not CertificationRequest.objects.exists()


def test_step1_duplicate_version_shows_conflict(client, draft, partner_developer):
    client.force_login(partner_developer)
    url = reverse("portal:request_new", args=[draft.integration_id])
    response = client.post(url, {"version": "1.0.0", "kind": "initial"})
    assert response.status_code == 409
    assert b"already has a request" in response.content


def test_resume_details_step_shows_saved_values(client, draft, partner_developer):
    client.force_login(partner_developer)
    body = client.get(step(draft, "details")).content.decode()
    assert 'value="1.0.0"' in body
    assert draft.commit_sha in body
    assert 'class="steps"' in body


def test_details_update(client, draft, partner_developer):
    client.force_login(partner_developer)
    response = client.post(
        step(draft, "details"), {"version": "1.0.1", "kind": "minor", "commit_sha": SHA}
    )
    assert response.url == step(draft, "checklist")
    draft.refresh_from_db()
    assert (draft.version, draft.kind, draft.commit_sha) == ("1.0.1", "minor", SHA)


def test_checklist_saves_answers(client, integration, partner_developer, partner_admin):
    from certifications import services

    request = services.request_create(integration=integration, actor=partner_admin, version="9")
    codes = list(Guideline.objects.filter(active=True).values_list("code", flat=True))
    client.force_login(partner_developer)
    data = {"readme_confirmed": "on", f"g_{codes[0]}": "yes", f"g_{codes[1]}": "na"}
    response = client.post(step(request, "checklist"), data)
    assert response.url == step(request, "documents")
    request.refresh_from_db()
    assert request.readme_confirmed
    assert request.checklist == {codes[0]: "yes", codes[1]: "na"}
    # coming back shows the answers
    body = client.get(step(request, "checklist")).content.decode()
    assert 'value="na"' in body and "checked" in body
    review = client.get(step(request, "review")).content.decode()
    assert f"({len(codes) - 2} items left)" in review


def test_viewer_cannot_open_wizard(client, draft, partner_viewer):
    client.force_login(partner_viewer)
    assert client.get(step(draft, "details")).status_code == 403
    assert (
        client.post(step(draft, "details"), {"version": "x", "kind": "initial"}).status_code == 403
    )


def test_unknown_step_404(client, draft, partner_admin):
    client.force_login(partner_admin)
    assert client.get(step(draft, "nope")).status_code == 404


def test_document_upload(client, integration, partner_developer, partner_admin):
    from certifications import services

    request = services.request_create(integration=integration, actor=partner_admin, version="9")
    client.force_login(partner_developer)
    upload = SimpleUploadedFile("guide.pdf", PDF_BYTES, "application/pdf")
    response = client.post(step(request, "documents"), {"doc_type": "user_guide", "file": upload})
    assert response.status_code == 302
    assert request.documents.get().original_name == "guide.pdf"


def test_environment_password_never_rerendered(
    client, module_integration, partner_developer, partner_admin
):
    from certifications import services

    request = services.request_create(
        integration=module_integration, actor=partner_admin, version="9"
    )
    client.force_login(partner_developer)
    data = {
        "action": "add",
        "kind": "ms_admin",
        "url": "not a url",
        "username": "admin",
        "password": "Sup3r-secret!",
    }
    response = client.post(step(request, "environments"), data)
    assert response.status_code == 200
    assert b"Sup3r-secret!" not in response.content
    assert b'value="admin"' in response.content
    data["url"] = "https://site.example"
    assert client.post(step(request, "environments"), data).status_code == 302
    env = TestEnvironment.objects.get(request=request)
    body = client.get(step(request, "environments")).content.decode()
    assert "Sup3r-secret!" not in body
    assert "••••••••" in body
    response = client.post(step(request, "environments"), {"action": "delete", "env": env.pk})
    assert response.status_code == 302
    assert not TestEnvironment.objects.filter(pk=env.pk).exists()


def test_review_lists_missing_items(client, integration, partner_admin):
    from certifications import services

    request = services.request_create(integration=integration, actor=partner_admin, version="9")
    client.force_login(partner_admin)
    body = client.get(step(request, "review")).content.decode()
    assert "The commit SHA under review." in body
    assert "Upload the User guide." in body


def test_admin_submits(client, draft, partner_admin):
    client.force_login(partner_admin)
    response = client.post(reverse("portal:request_submit", args=[draft.pk]))
    assert response.url == reverse("portal:request_detail", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.state == RequestState.SUBMITTED
    assert draft.log.filter(transition="submit").count() == 1


def test_developer_cannot_submit(client, draft, partner_developer):
    client.force_login(partner_developer)
    body = client.get(step(draft, "review")).content.decode()
    assert "Only your organisation's admins can submit" in body
    assert client.post(reverse("portal:request_submit", args=[draft.pk])).status_code == 403
    draft.refresh_from_db()
    assert draft.state == RequestState.DRAFT


def test_submit_refusal_shows_service_message(client, integration, partner, partner_admin):
    from certifications import services

    request = services.request_create(integration=integration, actor=partner_admin, version="9")
    client.force_login(partner_admin)
    response = client.post(reverse("portal:request_submit", args=[request.pk]))
    assert response.status_code == 400
    assert b"business review" in response.content
    request.refresh_from_db()
    assert request.state == RequestState.DRAFT


def test_submit_other_tenant_404(client, draft, other_partner_admin):
    client.force_login(other_partner_admin)
    assert client.post(reverse("portal:request_submit", args=[draft.pk])).status_code == 404
