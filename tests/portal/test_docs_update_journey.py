"""Issue 14, item 2: a player-plugin docs-only update goes through the real pages (the
partner's update page and wizard, the reviewer's back-office buttons) to certified without
entering user testing or code review; the refusals (no release notes, a document neither
updated nor explained, the docs path with a vendor-side change) and the expected
certification date before the deployment cycle."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from certifications import services as cert_services
from certifications.enums import DocumentType, ProductArea, RequestKind, RequestState
from certifications.models import CertificationRequest, Guideline
from certifications.services import CertificationError
from certifications.updates import deployment_slot
from tests.factories import (
    PDF_BYTES,
    UNCHANGED_DOCS,
    IntegrationFactory,
    complete_package,
    draft_request,
    second_approval,
    update_form_docs,
)
from tests.support.conftest import certify

pytestmark = pytest.mark.django_db

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def plugin_certified(eligible_partner, partner_admin, reviewer):
    integration = IntegrationFactory(
        partner=eligible_partner,
        name="Acme Player Chapters",
        product_area=ProductArea.PLAYER_PLUGIN,
        github_repo="acme/chapters",
    )
    return certify(
        draft_request(integration, actor=partner_admin), admin=partner_admin, reviewer=reviewer
    )


def _admin_page(req):
    return reverse("admin:certifications_certificationrequest_change", args=[req.pk])


def _fire(client, req, name, comment=""):
    return client.post(
        reverse("admin:review_transition", args=[req.pk]), {"name": name, "comment": comment}
    )


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _start_docs_update(client, certified, *, version="2.0.0"):
    url = reverse("support:update_start", args=[certified.integration_id])
    data = {
        "version": version,
        "change": "major",
        "change_summary": "New chapter styles documented.",
        **update_form_docs(updated=[DocumentType.USER_GUIDE]),
    }
    preview = client.post(url, data).content.decode()
    assert "Docs-only update" in preview
    assert "Submitted → documentation review → certified" in preview
    assert "Testing docs (QA guide): unchanged, because This version does not change it." in (
        preview
    )
    response = client.post(url, {**data, "confirm": "1"})
    assert response.status_code == 302
    return CertificationRequest.objects.get(integration=certified.integration, version=version)


def test_docs_only_update_walks_the_pages_to_certified_without_code_review(
    client, plugin_certified, partner_admin, reviewer, django_capture_on_commit_callbacks
):
    client.force_login(partner_admin)
    update = _start_docs_update(client, plugin_certified)
    assert update.kind == RequestKind.DOCS

    step = lambda name: reverse("portal:request_step", args=[update.pk, name])  # noqa: E731
    codes = Guideline.objects.filter(active=True).values_list("code", flat=True)
    assert client.post(
        step("details"), {"version": "2.0.0", "kind": "docs", "commit_sha": SHA}
    ).url == step("checklist")
    checklist = {"readme_confirmed": "on", **{f"g_{c}": "yes" for c in codes}}
    assert client.post(step("checklist"), checklist).status_code == 302

    # Submitting without release notes is refused with a message that says what to do.
    response = client.post(reverse("portal:request_submit", args=[update.pk]))
    assert "every update needs release notes" in response.content.decode()
    update.refresh_from_db()
    assert update.state == RequestState.DRAFT

    for doc_type in (DocumentType.RELEASE_NOTES, DocumentType.USER_GUIDE):
        upload = SimpleUploadedFile(f"{doc_type}.pdf", PDF_BYTES, "application/pdf")
        response = client.post(step("documents"), {"doc_type": doc_type, "file": upload})
        assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(reverse("portal:request_submit", args=[update.pk]))
    assert response.status_code == 302, response.content.decode()[:3000]
    update.refresh_from_db()
    assert update.state == RequestState.SUBMITTED

    # The reviewer's back office: claim, then the documentation-review buttons only.
    client.force_login(reviewer)
    client.post(reverse("admin:review_assign_me", args=[update.pk]))
    html = client.get(_admin_page(update)).content.decode()
    assert "Package complete: start documentation review" in html
    assert "start user testing" not in html
    assert "<td>QA guide</td><td>Unchanged, because" in html  # the partner's answers
    with django_capture_on_commit_callbacks(execute=True):
        _fire(client, update, "intake_docs_ok")
    update.refresh_from_db()
    assert update.state == RequestState.DOCUMENTATION_REVIEW
    second_approval(update)  # the two-person rule (its pages: tests/backoffice)
    html = client.get(_admin_page(update)).content.decode()
    assert "Documentation review passed: certify" in html
    assert "start code review" not in html
    assert "Request changes after documentation review" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = _fire(client, update, "docs_pass", "Release notes and guide are fine.")
    assert "Done" in " ".join(_messages(response))
    update.refresh_from_db()
    assert update.state == RequestState.CERTIFIED
    assert update.certificate.version == "2.0.0"
    visited = set(update.log.values_list("to_state", flat=True))
    assert visited.isdisjoint({RequestState.USER_TESTING, RequestState.CODE_REVIEW})
    assert update.log.get(transition="docs_pass").actor == reviewer

    # The partner's timeline shows the docs-only path.
    client.force_login(partner_admin)
    html = client.get(reverse("portal:request_detail", args=[update.pk])).content.decode()
    assert '<ol class="review-path"' in html
    path = html.split('<ol class="review-path"')[1].split("</ol>")[0]
    assert "Documentation review" in path
    assert "Code review" not in path and "User testing" not in path
    assert 'class="stage-current" aria-current="step">Certified' in path


def test_docs_review_changes_and_resubmit_return_to_documentation_review(
    plugin_certified, partner_admin, reviewer
):
    update = cert_services.request_start_update(
        certified=plugin_certified,
        actor=partner_admin,
        version="2.1.0",
        change="minor",
        vendor_side_change=False,
        change_summary="Docs",
        docs_unchanged=UNCHANGED_DOCS,
    )
    update = complete_package(update, actor=partner_admin)
    update = cert_services.request_submit(request=update, actor=partner_admin)
    update = cert_services.request_assign(request=update, reviewer=reviewer, actor=reviewer)
    with pytest.raises(CertificationError, match="start the documentation review instead"):
        cert_services.request_transition(request=update, name="intake_ok", actor=reviewer)
    for name, comment in (("intake_docs_ok", ""), ("docs_changes", "Release notes are empty.")):
        update = cert_services.request_transition(
            request=update, name=name, actor=reviewer, comment=comment
        )
    assert update.state == RequestState.CHANGES_REQUESTED
    update = cert_services.request_transition(
        request=update, name="resubmit", actor=partner_admin, comment="Filled in."
    )
    assert update.state == RequestState.DOCUMENTATION_REVIEW
    assert update.log.last().to_state == RequestState.DOCUMENTATION_REVIEW


def test_docs_path_refused_when_a_vendor_side_change_is_flagged(
    client, plugin_certified, partner_admin, reviewer
):
    update = cert_services.request_create(
        integration=plugin_certified.integration,
        actor=partner_admin,
        version="2.2.0",
        kind=RequestKind.DOCS,
        update_of=plugin_certified,
        vendor_side_change=True,
    )
    CertificationRequest.objects.filter(pk=update.pk).update(
        checklist={"_docs_to_update": [], "_docs_unchanged": UNCHANGED_DOCS}
    )
    update = complete_package(update, actor=partner_admin)
    update = cert_services.request_submit(request=update, actor=partner_admin)
    update = cert_services.request_assign(request=update, reviewer=reviewer, actor=reviewer)
    client.force_login(reviewer)
    html = client.get(_admin_page(update)).content.decode()
    assert "start documentation review" not in html
    assert "Package complete: start user testing" in html
    response = _fire(client, update, "intake_docs_ok")
    assert any("needs a vendor-side change" in m for m in _messages(response))
    update.refresh_from_db()
    assert update.state == RequestState.SUBMITTED
    # It takes the full review instead.
    update = cert_services.request_transition(request=update, name="intake_ok", actor=reviewer)
    assert update.state == RequestState.USER_TESTING


def test_update_page_requires_an_answer_per_document(client, plugin_certified, partner_admin):
    url = reverse("support:update_start", args=[plugin_certified.integration_id])
    client.force_login(partner_admin)
    data = {"version": "3.0.0", "change": "minor", "change_summary": "x", "confirm": "1"}
    data.update(update_form_docs())
    data.pop(f"why_{DocumentType.MARKETING}")
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Say why it is unchanged (Marketing papers)." in response.content.decode()
    assert 'value="3.0.0"' in response.content.decode()
    with pytest.raises(CertificationError, match="User guide was updated or why"):
        cert_services.request_start_update(
            certified=plugin_certified,
            actor=partner_admin,
            version="3.0.0",
            change="minor",
            vendor_side_change=False,
            change_summary="x",
        )


def test_expected_deployment_uses_the_review_target(
    client, eligible_partner, partner_admin, reviewer
):
    """A 35-day major update of a module cannot ship before it could be certified."""
    integration = IntegrationFactory(
        partner=eligible_partner, name="Acme Module", product_area=ProductArea.KAF_MODULE
    )
    certified = certify(
        draft_request(integration, actor=partner_admin), admin=partner_admin, reviewer=reviewer
    )
    client.force_login(partner_admin)
    url = reverse("support:update_start", args=[certified.integration_id])
    data = {"version": "2.0.0", "change": "major", "change_summary": "New UI"}
    html = client.post(url, {**data, **update_form_docs()}).content.decode()
    expected_on = timezone.localdate() + dt.timedelta(days=35)
    slot = deployment_slot(expected_on)
    assert f"By {expected_on:%-d %b %Y} if submitted today (the 35-day review target)" in html
    assert f"ships on {slot.deploy_on:%-d %b %Y} (cut-off {slot.cutoff:%-d %b %Y})" in html
    assert slot.deploy_on > expected_on

    # The support page of an update under review counts from its SLA due date.
    client.post(url, {**data, **update_form_docs(), "confirm": "1"})
    update = CertificationRequest.objects.get(integration=integration, version="2.0.0")
    update = complete_package(update, actor=partner_admin)
    update = cert_services.request_submit(request=update, actor=partner_admin)
    due_on = update.sla_due_at.date()
    html = client.get(reverse("support:integration", args=[integration.pk])).content.decode()
    assert f"expected to be certified by <strong>{due_on:%-d %b %Y}</strong>" in html
    assert f"ships on <strong>{deployment_slot(due_on).deploy_on:%-d %b %Y}</strong>" in html
