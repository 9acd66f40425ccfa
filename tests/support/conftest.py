import pytest

from certifications import services as cert_services
from support import services
from support.enums import Severity
from tests.factories import IntegrationFactory, draft_request, member, qualify, second_approval


def certify(request, *, admin, reviewer):
    """Walk a complete draft through review to certified, through the real services."""
    request = cert_services.request_submit(request=request, actor=admin)
    request = cert_services.request_assign(request=request, reviewer=reviewer, actor=reviewer)
    for name in ("intake_ok", "ut_pass", "cr_pass"):
        if name == "cr_pass":
            second_approval(request)  # the two-person rule
        request = cert_services.request_transition(request=request, name=name, actor=reviewer)
    return request


@pytest.fixture
def certified(draft, partner_admin, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return certify(draft, admin=partner_admin, reviewer=reviewer)


@pytest.fixture
def other_certified(other_partner, other_partner_admin, manager, reviewer):
    qualify(other_partner, manager=manager)
    integration = IntegrationFactory(partner=other_partner, name="Globex Quiz")
    request = draft_request(integration, actor=other_partner_admin)
    return certify(request, admin=other_partner_admin, reviewer=reviewer)


@pytest.fixture
def ticket(certified, partner_developer):
    return services.ticket_create(
        integration=certified.integration,
        actor=partner_developer,
        severity=Severity.HIGH,
        subject="Captions missing",
        description="Captions do not show on published entries.",
    )


@pytest.fixture
def other_ticket(other_certified, other_partner_admin):
    return services.ticket_create(
        integration=other_certified.integration,
        actor=other_partner_admin,
        severity=Severity.NORMAL,
        subject="Globex problem",
        description="Globex-only details.",
    )


@pytest.fixture
def acme_second_admin(partner):
    return member(partner, "admin", "acme-admin2-t")


def move_to(ticket, state, *, agent):
    """Bring a ticket to `state` through the services, acting as the support desk."""
    from support.enums import Classification, TicketState

    if state == TicketState.NEW:
        return ticket
    if state == TicketState.TRIAGED:
        return services.ticket_triage(ticket=ticket, actor=agent)
    if state == TicketState.WITH_PARTNER:
        return services.ticket_triage(
            ticket=ticket, actor=agent, classification=Classification.PARTNER
        )
    ticket = services.ticket_triage(
        ticket=ticket, actor=agent, classification=Classification.UNCLEAR
    )
    if state == TicketState.WITH_VENDOR:
        return ticket
    if state == TicketState.WAITING_ON_REPORTER:
        return services.ticket_wait_on_reporter(ticket=ticket, actor=agent, question="Which entry?")
    ticket = services.ticket_resolve(ticket=ticket, actor=agent, resolution="Fixed a setting.")
    if state == TicketState.RESOLVED:
        return ticket
    return services.ticket_close(ticket=ticket, actor=agent)
