"""Partner-portal support pages: happy paths, tenant isolation (404), roles (403), anonymous
(login), internal notes never rendered, and pinned query counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from support import services
from support.enums import Severity, TicketState
from support.models import Ticket, TicketAttachment
from tests.factories import PDF_BYTES
from tests.support.conftest import move_to

pytestmark = pytest.mark.django_db

SECRET = "INTERNAL-NOTE-DO-NOT-SHOW"


def _login(client, user):
    client.force_login(user)
    return client


def test_ticket_list_shows_own_organisation_only(client, ticket, other_ticket, partner_viewer):
    response = _login(client, partner_viewer).get(reverse("support:ticket_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Captions missing" in html
    assert "Globex problem" not in html
    assert 'href="/portal/support/new/"' not in html  # viewers do not raise tickets


def test_ticket_list_empty_state(client, partner_admin):
    response = _login(client, partner_admin).get(reverse("support:ticket_list"))
    assert response.status_code == 200
    assert "No open tickets." in response.content.decode()


def test_ticket_list_query_count_does_not_grow(
    client, certified, partner_developer, django_assert_max_num_queries
):
    def add(n):
        for i in range(n):
            services.ticket_create(
                integration=certified.integration,
                actor=partner_developer,
                severity=Severity.LOW,
                subject=f"Row {i}",
                description="d",
            )

    _login(client, partner_developer)
    add(2)
    with django_assert_max_num_queries(11):
        assert client.get(reverse("support:ticket_list")).status_code == 200
    add(10)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("support:ticket_list"))
    assert response.content.decode().count("Row ") == 12


def test_new_ticket_get_and_post(client, certified, partner_developer):
    _login(client, partner_developer)
    assert client.get(reverse("support:ticket_new")).status_code == 200
    response = client.post(
        reverse("support:ticket_new"),
        {
            "integration": certified.integration.pk,
            "severity": Severity.HIGH,
            "subject": "Player crash",
            "description": "It crashes.",
            "attachments": [SimpleUploadedFile("trace.pdf", PDF_BYTES, "application/pdf")],
        },
    )
    ticket = Ticket.objects.get(subject="Player crash")
    assert response.status_code == 302
    assert response.url == reverse("support:ticket_detail", args=[ticket.pk])
    attachment = TicketAttachment.objects.get(ticket=ticket)
    assert attachment.original_name == "trace.pdf"
    assert "trace" not in attachment.file.name  # stored under a UUID


def test_new_ticket_rejects_bad_upload_and_keeps_input(client, certified, partner_developer):
    _login(client, partner_developer)
    response = client.post(
        reverse("support:ticket_new"),
        {
            "integration": certified.integration.pk,
            "severity": Severity.HIGH,
            "subject": "Typed subject",
            "description": "Typed description",
            "attachments": [SimpleUploadedFile("x.html", b"<html><script>", "text/html")],
        },
    )
    assert response.status_code == 400
    assert "Typed subject" in response.content.decode()
    assert not Ticket.objects.filter(subject="Typed subject").exists()


def test_new_ticket_forbidden_for_viewer(client, certified, partner_viewer):
    response = _login(client, partner_viewer).get(reverse("support:ticket_new"))
    assert response.status_code == 403


def test_new_ticket_cannot_target_other_partner_integration(
    client, certified, other_certified, partner_developer
):
    response = _login(client, partner_developer).post(
        reverse("support:ticket_new"),
        {
            "integration": other_certified.integration.pk,
            "severity": Severity.HIGH,
            "subject": "Sneaky",
            "description": "x",
        },
    )
    assert response.status_code == 400
    assert not Ticket.objects.filter(subject="Sneaky").exists()


def test_ticket_detail_acknowledge_flow(client, ticket, support_agent, partner_admin):
    move_to(ticket, TicketState.WITH_PARTNER, agent=support_agent)
    _login(client, partner_admin)
    url = reverse("support:ticket_detail", args=[ticket.pk])
    html = client.get(url).content.decode()
    assert "Acknowledge" in html
    response = client.post(reverse("support:ticket_action", args=[ticket.pk, "acknowledge"]))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.acknowledged_by == partner_admin
    # A second acknowledgement is refused with a message, not a 500.
    response = client.post(reverse("support:ticket_action", args=[ticket.pk, "acknowledge"]))
    assert response.status_code == 400
    assert "already acknowledged" in response.content.decode()


@pytest.mark.parametrize("role", ["partner_developer", "partner_viewer"])
def test_acknowledge_forbidden_for_non_admin(client, request, ticket, support_agent, role):
    move_to(ticket, TicketState.WITH_PARTNER, agent=support_agent)
    user = request.getfixturevalue(role)
    html = _login(client, user).get(reverse("support:ticket_detail", args=[ticket.pk]))
    assert f'action="/portal/support/tickets/{ticket.pk}/acknowledge/"' not in html.content.decode()
    response = client.post(reverse("support:ticket_action", args=[ticket.pk, "acknowledge"]))
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.acknowledged_at is None


def test_reply_forbidden_for_viewer(client, ticket, partner_viewer):
    response = _login(client, partner_viewer).post(
        reverse("support:ticket_action", args=[ticket.pk, "reply"]), {"body": "hi"}
    )
    assert response.status_code == 403


def test_reply_resolve_close_reopen_by_partner(client, ticket, support_agent, partner_admin):
    move_to(ticket, TicketState.WITH_PARTNER, agent=support_agent)
    _login(client, partner_admin)
    action = lambda name, data=None: client.post(  # noqa: E731
        reverse("support:ticket_action", args=[ticket.pk, name]), data or {}
    )
    assert action("reply", {"body": "We are on it"}).status_code == 302
    assert action("resolve", {"resolution": "Patched in 1.0.1"}).status_code == 302
    assert action("close").status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CLOSED
    response = action("reopen", {"reason": ""})
    assert response.status_code == 400
    assert action("reopen", {"reason": "Came back"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.TRIAGED


def test_wrong_state_action_is_409(client, ticket, partner_admin):
    response = _login(client, partner_admin).post(
        reverse("support:ticket_action", args=[ticket.pk, "close"])
    )
    assert response.status_code == 409


@pytest.mark.parametrize("name", ["ticket_detail", "ticket_action"])
def test_other_tenant_ticket_is_404(client, other_ticket, partner_admin, name):
    args = [other_ticket.pk] if name == "ticket_detail" else [other_ticket.pk, "reply"]
    _login(client, partner_admin)
    response = (
        client.get(reverse(f"support:{name}", args=args))
        if name == "ticket_detail"
        else client.post(reverse(f"support:{name}", args=args), {"body": "x"})
    )
    assert response.status_code == 404


def test_attachment_download_headers_and_isolation(
    client, certified, partner_developer, other_partner_admin
):
    ticket = services.ticket_create(
        integration=certified.integration,
        actor=partner_developer,
        severity=Severity.LOW,
        subject="With file",
        description="d",
        uploads=[SimpleUploadedFile("log.pdf", PDF_BYTES, "application/pdf")],
    )
    attachment = ticket.attachments.get()
    url = reverse("support:attachment_download", args=[attachment.pk])
    response = _login(client, partner_developer).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF_BYTES
    client.logout()
    assert _login(client, other_partner_admin).get(url).status_code == 404


def test_integration_support_page_shows_plan_and_targets(client, certified, partner_viewer):
    url = reverse("support:integration", args=[certified.integration_id])
    response = _login(client, partner_viewer).get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "escalation@partner.example" in html
    assert "https://support.partner.example" in html
    assert "Request an agent seat" in html
    assert f"covers version {certified.version}" in html


def test_integration_support_page_other_tenant_404(client, certified, other_partner_admin):
    url = reverse("support:integration", args=[certified.integration_id])
    assert _login(client, other_partner_admin).get(url).status_code == 404


# --- Internal notes never on partner pages ---------------------------------------------


@pytest.mark.parametrize("role", ["partner_admin", "partner_developer", "partner_viewer"])
def test_internal_notes_never_rendered_for_partners(client, request, ticket, support_agent, role):
    move_to(ticket, TicketState.WITH_PARTNER, agent=support_agent)
    services.ticket_note(ticket=ticket, actor=support_agent, body=SECRET)
    services.ticket_reply(ticket=ticket, actor=support_agent, body="Public answer")
    _login(client, request.getfixturevalue(role))
    pages = [
        reverse("support:ticket_list"),
        reverse("support:ticket_list") + "?show=all",
        reverse("support:ticket_detail", args=[ticket.pk]),
        reverse("support:integration", args=[ticket.integration_id]),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert SECRET not in html, url
        assert "Internal note" not in html, url
    assert "Public answer" in client.get(pages[2]).content.decode()


# --- Authorization matrix ---------------------------------------------------------------


def _portal_urls(ticket, integration, attachment_id):
    return [
        ("get", reverse("support:ticket_list")),
        ("get", reverse("support:ticket_new")),
        ("get", reverse("support:ticket_detail", args=[ticket.pk])),
        ("post", reverse("support:ticket_action", args=[ticket.pk, "reply"])),
        ("get", reverse("support:attachment_download", args=[attachment_id])),
        ("get", reverse("support:integration", args=[integration.pk])),
        ("get", reverse("support:update_start", args=[integration.pk])),
    ]


@pytest.fixture
def attached(certified, partner_developer):
    return services.ticket_create(
        integration=certified.integration,
        actor=partner_developer,
        severity=Severity.LOW,
        subject="Attached",
        description="d",
        uploads=[SimpleUploadedFile("a.pdf", PDF_BYTES, "application/pdf")],
    )


def test_portal_urls_anonymous_redirect_to_login(client, attached):
    for method, url in _portal_urls(attached, attached.integration, attached.attachments.get().pk):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert reverse("login") in response.url


@pytest.mark.parametrize("role", ["support_agent", "manager", "reviewer"])
def test_portal_urls_staff_non_members_forbidden(client, request, attached, role):
    _login(client, request.getfixturevalue(role))
    for method, url in _portal_urls(attached, attached.integration, attached.attachments.get().pk):
        assert getattr(client, method)(url, {"body": "x"}).status_code == 403, url


def test_portal_urls_other_tenant(client, attached, other_partner_admin):
    _login(client, other_partner_admin)
    urls = _portal_urls(attached, attached.integration, attached.attachments.get().pk)
    for method, url in urls:
        response = getattr(client, method)(url, {"body": "x"})
        if url in (reverse("support:ticket_list"), reverse("support:ticket_new")):
            assert response.status_code == 200, url  # their own (empty) pages
        else:
            assert response.status_code == 404, url
