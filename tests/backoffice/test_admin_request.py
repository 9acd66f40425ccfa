"""The request page: transition buttons per role, credential reveals, documents, findings,
and constant queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certifications import services as cert_services
from certifications.enums import RequestState
from certifications.models import CredentialReveal, TransitionLog
from reviews.enums import FindingStatus
from reviews.models import Finding
from tests.factories import draft_request, second_approval

pytestmark = pytest.mark.django_db


def page_url(request):
    return reverse("admin:certifications_certificationrequest_change", args=[request.pk])


def _post_transition(client, request, name, comment="Because."):
    return client.post(
        reverse("admin:review_transition", args=[request.pk]), {"name": name, "comment": comment}
    )


def _to(request, names, actor):
    for name in names:
        if name == "cr_pass":
            second_approval(request)  # the two-person rule
        request = cert_services.request_transition(
            request=request, name=name, actor=actor, comment="ok"
        )
    return request


# (state path from submitted, transition, role allowed to fire it)
CASES = [
    ([], "intake_ok", "reviewer"),
    ([], "intake_incomplete", "reviewer"),
    (["intake_ok"], "ut_pass", "reviewer"),
    (["intake_ok"], "ut_changes", "reviewer"),
    (["intake_ok", "ut_pass"], "cr_pass", "reviewer"),
    (["intake_ok", "ut_pass"], "cr_changes", "reviewer"),
    (["intake_ok", "ut_pass", "cr_pass"], "publish", "manager"),
    ([], "hold", "reviewer"),
    ([], "hold", "manager"),
    (["hold"], "resume", "reviewer"),
    ([], "reject", "manager"),
]
TARGET = {
    "intake_ok": RequestState.USER_TESTING,
    "intake_incomplete": RequestState.CHANGES_REQUESTED,
    "ut_pass": RequestState.CODE_REVIEW,
    "ut_changes": RequestState.CHANGES_REQUESTED,
    "cr_pass": RequestState.CERTIFIED,
    "cr_changes": RequestState.CHANGES_REQUESTED,
    "publish": RequestState.PUBLISHED,
    "hold": RequestState.ON_HOLD,
    "resume": RequestState.SUBMITTED,
    "reject": RequestState.REJECTED,
}
# Assigned-reviewer transitions are refused to everybody else (managers included); publish is
# the managers'; hold/reject/resume are open to both, so only the others are refused.
SHARED = {"hold", "reject", "resume"}
REFUSED_CASES = [
    (tuple(path), name, refused)
    for path, name, role in CASES
    if role == "reviewer" or name == "publish"
    for refused in ("other_reviewer", "support_agent", "manager", "reviewer")
    if refused != role and not (name in SHARED and refused in ("reviewer", "manager"))
]
REFUSED_CASES = list(dict.fromkeys(REFUSED_CASES))


@pytest.mark.parametrize(("path", "name", "role"), CASES)
def test_transition_button_allowed_role(client, request, assigned, reviewer, path, name, role):
    obj = _to(assigned, path, reviewer)
    if name == "cr_pass":
        second_approval(obj)  # the two-person rule
    user = request.getfixturevalue(role)
    client.force_login(user)
    page = client.get(page_url(obj))
    assert f'name="name" value="{name}"' in page.content.decode()
    logs = TransitionLog.objects.filter(request=obj).count()
    response = _post_transition(client, obj, name)
    assert response.status_code == 302
    obj.refresh_from_db()
    assert obj.state == TARGET[name]
    last = TransitionLog.objects.filter(request=obj).last()
    assert last.transition == name
    assert last.actor == user
    assert TransitionLog.objects.filter(request=obj).count() == logs + 1


@pytest.mark.parametrize(("path", "name", "refused"), REFUSED_CASES)
def test_transition_button_refused_roles(client, request, assigned, reviewer, path, name, refused):
    obj = _to(assigned, path, reviewer)
    user = request.getfixturevalue(refused)
    client.force_login(user)
    page = client.get(page_url(obj))
    assert page.status_code == 200
    assert f'name="name" value="{name}"' not in page.content.decode()
    before, logs = obj.state, TransitionLog.objects.filter(request=obj).count()
    response = _post_transition(client, obj, name)
    assert response.status_code == 302
    followed = client.get(response["Location"])
    assert "does not allow" in followed.content.decode()
    obj.refresh_from_db()
    assert obj.state == before
    assert TransitionLog.objects.filter(request=obj).count() == logs


def test_partner_user_cannot_use_admin_transitions(client, assigned, partner_admin):
    client.force_login(partner_admin)
    before = TransitionLog.objects.filter(request=assigned).count()
    response = _post_transition(client, assigned, "withdraw")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert client.get(page_url(assigned)).status_code == 302
    assigned.refresh_from_db()
    assert assigned.state == RequestState.SUBMITTED
    assert TransitionLog.objects.filter(request=assigned).count() == before


def test_wrong_state_and_unmet_are_messages_not_500(client, assigned, reviewer):
    client.force_login(reviewer)
    response = _post_transition(client, assigned, "cr_pass")
    assert response.status_code == 302
    assigned.refresh_from_db()
    assert assigned.state == RequestState.SUBMITTED
    response = _post_transition(client, assigned, "intake_incomplete", comment="")
    page = client.get(response["Location"])
    assert "Add a comment explaining this to the partner." in page.content.decode()
    assigned.refresh_from_db()
    assert assigned.state == RequestState.SUBMITTED


def test_submit_is_never_offered_or_fired(client, assigned, reviewer):
    client.force_login(reviewer)
    response = _post_transition(client, assigned, "submit")
    assert response.status_code == 302
    assigned.refresh_from_db()
    assert assigned.state == RequestState.SUBMITTED


def test_page_shows_package_and_timeline(client, assigned, reviewer):
    client.force_login(reviewer)
    body = client.get(page_url(assigned)).content.decode()
    assert "https://github.com/acme/captions" in body
    assert assigned.commit_sha in body
    assert "User guide" in body
    assert (
        reverse("admin:review_document", args=[assigned.pk, assigned.documents.first().pk]) in body
    )
    assert "submit" in body  # timeline
    assert "Add a finding" in body


def test_document_download_is_attachment_nosniff(client, assigned, reviewer):
    client.force_login(reviewer)
    doc = assigned.documents.first()
    response = client.get(reverse("admin:review_document", args=[assigned.pk, doc.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_document_of_another_request_is_404(client, assigned, reviewer, integration, partner_admin):
    other = draft_request(integration, actor=partner_admin, version="9.9.9")
    doc = other.documents.first()
    client.force_login(reviewer)
    response = client.get(reverse("admin:review_document", args=[assigned.pk, doc.pk]))
    assert response.status_code == 404


# --- Credentials -------------------------------------------------------------------------------


@pytest.fixture
def module_assigned(eligible_partner, module_integration, partner_admin, reviewer):
    request = draft_request(module_integration, actor=partner_admin)
    request = cert_services.request_submit(request=request, actor=partner_admin)
    return cert_services.request_assign(request=request, reviewer=reviewer, actor=reviewer)


def test_reveal_logs_and_sends_no_store(client, module_assigned, reviewer):
    env = module_assigned.environments.get(kind="ms_admin")
    client.force_login(reviewer)
    page = client.get(page_url(module_assigned)).content.decode()
    assert "Reveal credentials" in page
    response = client.post(reverse("admin:review_reveal", args=[module_assigned.pk, env.pk]))
    assert response.status_code == 200
    assert "secret-ms_admin-pw" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    reveal = CredentialReveal.objects.get()
    assert (reveal.user, reveal.environment, reveal.ip_address) == (reviewer, env, "127.0.0.1")
    page = client.get(page_url(module_assigned)).content.decode()
    assert "reviewer-t" in page.split("Credential access log")[1]
    assert "secret-ms_admin-pw" not in page


@pytest.mark.parametrize("role", ["other_reviewer", "manager", "support_agent"])
def test_others_cannot_reveal(client, request, module_assigned, role):
    env = module_assigned.environments.first()
    client.force_login(request.getfixturevalue(role))
    assert "Reveal credentials" not in client.get(page_url(module_assigned)).content.decode()
    response = client.post(reverse("admin:review_reveal", args=[module_assigned.pk, env.pk]))
    assert response.status_code == 403
    assert "secret-" not in response.content.decode()
    assert CredentialReveal.objects.count() == 0


def test_reveal_get_does_not_reveal(client, module_assigned, reviewer):
    env = module_assigned.environments.first()
    client.force_login(reviewer)
    response = client.get(reverse("admin:review_reveal", args=[module_assigned.pk, env.pk]))
    assert response.status_code == 302
    assert CredentialReveal.objects.count() == 0


def test_password_never_in_admin_html(client, module_assigned, reviewer, django_user_model):
    env = module_assigned.environments.first()
    token = env.password.token
    root = django_user_model.objects.create_superuser("root-t", "root@example.com", "pw-x-123456")
    for user in (reviewer, root):
        client.force_login(user)
        for url in (
            page_url(module_assigned),
            reverse("admin:certifications_testenvironment_changelist"),
            reverse("admin:certifications_testenvironment_change", args=[env.pk]),
        ):
            body = client.get(url).content.decode()
            assert "secret-ms_" not in body, url
            assert token not in body, url
            assert 'name="password"' not in body, url


# --- Findings ------------------------------------------------------------------------------------


def _finding_data(**extra):
    return {
        "stage": "intake",
        "category": "documentation",
        "severity": "minor",
        "title": "QA guide lacks test accounts",
        "reviewer_note": "Add the test account URLs.",
        **extra,
    }


def test_assigned_reviewer_adds_and_verifies_finding(client, assigned, reviewer):
    client.force_login(reviewer)
    response = client.post(reverse("admin:review_finding_add", args=[assigned.pk]), _finding_data())
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert (finding.title, finding.created_by, finding.status) == (
        "QA guide lacks test accounts",
        reviewer,
        FindingStatus.OPEN,
    )
    response = client.post(
        reverse("admin:review_finding_status", args=[assigned.pk, finding.pk]),
        {"status": "verified"},
    )
    finding.refresh_from_db()
    assert finding.status == FindingStatus.VERIFIED


def test_other_reviewer_cannot_add_or_verify_findings(client, assigned, reviewer, other_reviewer):
    from reviews import services as review_services

    finding = review_services.finding_add(
        request=assigned,
        actor=reviewer,
        category="documentation",
        severity="minor",
        title="x",
        reviewer_note="y",
    )
    client.force_login(other_reviewer)
    response = client.post(reverse("admin:review_finding_add", args=[assigned.pk]), _finding_data())
    assert response.status_code == 403
    assert "Only the assigned reviewer records findings." in response.content.decode()
    assert Finding.objects.count() == 1
    client.post(
        reverse("admin:review_finding_status", args=[assigned.pk, finding.pk]),
        {"status": "wont_fix"},
    )
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN


def test_invalid_finding_form_rerenders_with_input(client, assigned, reviewer):
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:review_finding_add", args=[assigned.pk]),
        _finding_data(title="", reviewer_note="Keep what I typed"),
    )
    assert response.status_code == 400
    assert "Keep what I typed" in response.content.decode()
    assert Finding.objects.count() == 0


# --- Query counts --------------------------------------------------------------------------------


def _grow(request, reviewer, n):
    now = timezone.now()
    TransitionLog.objects.bulk_create(
        [
            TransitionLog(
                request=request,
                actor=reviewer,
                transition="hold",
                from_state="submitted",
                to_state="submitted",
                comment=f"note {i}",
                at=now + dt.timedelta(seconds=i),
            )
            for i in range(n)
        ]
    )
    Finding.objects.bulk_create(
        [
            Finding(
                request=request,
                stage="intake",
                category="naming",
                severity="minor",
                title=f"finding {i}",
                reviewer_note="n",
                created_by=reviewer,
            )
            for i in range(n)
        ]
    )


def test_request_page_query_count_constant(client, assigned, reviewer, page_cache_off):
    from tests.backoffice.conftest import bulk_requests

    client.force_login(reviewer)
    bulk_requests(5, prefix="few")
    _grow(assigned, reviewer, 5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(page_url(assigned)).status_code == 200
    bulk_requests(195, prefix="many")
    _grow(assigned, reviewer, 195)
    with CaptureQueriesContext(connection) as many:
        assert client.get(page_url(assigned)).status_code == 200
    assert len(many) == len(few)


def test_request_page_shows_repository_access_state(client, assigned, reviewer, settings):
    from reviews.models import RepoAccessGrant

    settings.GITHUB_TOKEN = ""
    RepoAccessGrant.objects.create(
        integration=assigned.integration,
        request=assigned,
        github_login="rita-gh",
        state="failed",
        last_error="The repository was not found.",
    )
    client.force_login(reviewer)
    page = client.get(page_url(assigned)).content.decode()
    assert "rita-gh" in page
    assert "The repository was not found." in page
    assert "GitHub access is not configured" in page
