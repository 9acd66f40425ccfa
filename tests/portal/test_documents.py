"""Uploads through the wizard and the permission-checked download."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from certifications import services
from certifications.models import Document
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_draft(integration, partner_admin):
    return services.request_create(integration=integration, actor=partner_admin, version="5.0")


def upload(client, request, name, content, doc_type="user_guide"):
    url = reverse("portal:request_step", args=[request.pk, "documents"])
    return client.post(url, {"doc_type": doc_type, "file": SimpleUploadedFile(name, content)})


def test_upload_over_limit_rejected_and_form_kept(client, new_draft, partner_admin, settings):
    settings.UPLOAD_MAX_BYTES = len(PDF_BYTES) - 1
    client.force_login(partner_admin)
    response = upload(client, new_draft, "guide.pdf", PDF_BYTES, doc_type="qa_guide")
    assert response.status_code == 400
    assert b"the limit is" in response.content
    assert b'value="qa_guide" selected' in response.content
    assert not Document.objects.exists()


def test_upload_exactly_at_limit_accepted(client, new_draft, partner_admin, settings):
    settings.UPLOAD_MAX_BYTES = len(PDF_BYTES)
    client.force_login(partner_admin)
    assert upload(client, new_draft, "guide.pdf", PDF_BYTES).status_code == 302


def test_executable_renamed_pdf_rejected(client, new_draft, partner_admin):
    client.force_login(partner_admin)
    response = upload(client, new_draft, "guide.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64)
    assert response.status_code == 400
    assert b"not accepted" in response.content
    assert not Document.objects.exists()


def test_path_traversal_name_stored_as_uuid(client, new_draft, partner_admin):
    client.force_login(partner_admin)
    assert upload(client, new_draft, "../../etc/passwd.pdf", PDF_BYTES).status_code == 302
    document = Document.objects.get()
    assert document.original_name == "passwd.pdf"
    stored = document.file.name
    assert ".." not in stored and "passwd" not in stored
    assert len(stored.rsplit("/", 1)[-1]) == 32  # uuid4 hex


def test_viewer_cannot_upload(client, new_draft, partner_viewer):
    client.force_login(partner_viewer)
    assert upload(client, new_draft, "guide.pdf", PDF_BYTES).status_code == 403
    assert not Document.objects.exists()


def test_download_is_attachment_with_nosniff(client, draft, partner_viewer):
    document = draft.documents.first()
    client.force_login(partner_viewer)
    response = client.get(reverse("portal:document_download", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert document.original_name in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_download_by_other_tenant_404(client, draft, other_partner_admin):
    document = draft.documents.first()
    client.force_login(other_partner_admin)
    assert client.get(reverse("portal:document_download", args=[document.pk])).status_code == 404


def test_download_by_staff_non_member_refused(client, draft, reviewer):
    document = draft.documents.first()
    client.force_login(reviewer)
    response = client.get(reverse("portal:document_download", args=[document.pk]))
    assert response.status_code == 403
    assert PDF_BYTES not in response.content
