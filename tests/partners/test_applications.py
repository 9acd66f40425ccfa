"""Issue 14: program applications (services) — submit, ask for more, answer, accept (the
Partner and its first admin's invitation), decline; who/when/why in the audit trail."""

import pytest

from certportal.models import AuditEvent, Notification
from partners import services
from partners.enums import ApplicationState, MemberRole, Standing
from partners.models import Membership, Partner
from partners.services.errors import PartnerError
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

FIELDS = {
    "company": "Initrode",
    "website": "https://initrode.example",
    "contact_name": "Ida",
    "contact_email": "ida@initrode.example",
    "technology_partner_id": "",
    "not_yet_partner": True,
    "product_areas": ["player_plugin"],
    "integration_summary": "A player plugin.",
}


def invite_url(token):
    return f"https://portal.example/portal/invitations/{token}/"


def answer_url(token):
    return f"https://portal.example/apply/answer/{token}/"


@pytest.fixture
def application(db):
    return services.application_submit(**FIELDS)


def _events(application):
    return list(
        AuditEvent.objects.filter(
            object_type="partners.programapplication", object_id=application.pk
        ).order_by("at", "id")
    )


def test_submit_notifies_managers_and_confirms_to_the_contact(manager, application):
    assert application.state == ApplicationState.RECEIVED
    assert Notification.objects.filter(recipient=manager, event="application_received").exists()
    confirmation = Notification.objects.get(event="application_confirmation")
    assert confirmation.recipient is None
    assert confirmation.to_email == "ida@initrode.example"
    assert [e.action for e in _events(application)] == ["application.submit"]


@pytest.mark.parametrize(
    ("tp_id", "not_yet"), [("", False), ("TP-1", True)], ids=["neither", "both"]
)
def test_submit_needs_exactly_one_partner_track(db, tp_id, not_yet):
    with pytest.raises(PartnerError, match="Technology Partner id"):
        services.application_submit(
            **{**FIELDS, "technology_partner_id": tp_id, "not_yet_partner": not_yet}
        )


def test_accept_creates_partner_with_standing_and_invites_first_admin(manager, application):
    partner = services.application_accept(
        application=application,
        actor=manager,
        partner_name="Initrode Inc",
        standing=Standing.SUSPENDED,
        accept_url=invite_url,
    )
    application.refresh_from_db()
    assert application.state == ApplicationState.ACCEPTED
    assert (application.partner, application.decided_by) == (partner, manager)
    assert application.decided_at is not None
    assert partner.name == "Initrode Inc"
    assert partner.standing == Standing.SUSPENDED
    mail = Notification.objects.get(event="partner_first_admin_invitation")
    assert mail.to_email == "ida@initrode.example"
    token = mail.body_text.split("/portal/invitations/")[1].split("/")[0]
    invitation = services.invitation_read(token)
    assert (invitation.partner, invitation.role) == (partner, MemberRole.ADMIN)
    accept = _events(application)[-1]
    assert (accept.actor, accept.from_state, accept.to_state) == (manager, "received", "accepted")
    assert accept.partner_id == partner.pk


def test_accept_refused_for_a_taken_name_creates_nothing(manager, application, partner):
    with pytest.raises(PartnerError, match="already exists"):
        services.application_accept(
            application=application,
            actor=manager,
            partner_name=partner.name,
            standing="good",
            accept_url=invite_url,
        )
    application.refresh_from_db()
    assert application.state == ApplicationState.RECEIVED
    assert not Notification.objects.filter(event="partner_first_admin_invitation").exists()


@pytest.mark.parametrize("role", ["reviewer", "partner_admin"])
def test_only_managers_decide(request, application, role):
    actor = request.getfixturevalue(role)
    with pytest.raises(PartnerError) as exc:
        services.application_accept(
            application=application,
            actor=actor,
            partner_name="X",
            standing="good",
            accept_url=invite_url,
        )
    assert exc.value.code == "not_allowed"
    with pytest.raises(PartnerError):
        services.application_decline(application=application, actor=actor, message="No")
    application.refresh_from_db()
    assert application.state == ApplicationState.RECEIVED
    assert not Partner.objects.filter(name="X").exists()


def test_request_info_then_answer_then_decline(manager, application):
    with pytest.raises(PartnerError, match="what information"):
        services.application_request_info(
            application=application, actor=manager, message=" ", answer_url=answer_url
        )
    services.application_request_info(
        application=application, actor=manager, message="Which regions?", answer_url=answer_url
    )
    application.refresh_from_db()
    assert application.state == ApplicationState.MORE_INFO_REQUESTED
    mail = Notification.objects.get(event="application_more_info")
    token = mail.body_text.split("/apply/answer/")[1].split("/")[0]
    assert services.application_from_token(token) == application
    assert services.application_from_token(token + "x") is None

    services.application_answer(application=application, reply="Europe.")
    application.refresh_from_db()
    assert application.state == ApplicationState.RECEIVED
    with pytest.raises(PartnerError):  # nothing is being asked now
        services.application_answer(application=application, reply="Again")

    with pytest.raises(PartnerError, match="reason"):
        services.application_decline(application=application, actor=manager, message="")
    services.application_decline(application=application, actor=manager, message="Out of scope")
    application.refresh_from_db()
    assert application.state == ApplicationState.DECLINED
    assert (
        Notification.objects.get(event="application_declined").to_email == FIELDS["contact_email"]
    )
    with pytest.raises(PartnerError) as exc:
        services.application_accept(
            application=application,
            actor=manager,
            partner_name="Y",
            standing="good",
            accept_url=invite_url,
        )
    assert exc.value.code == "wrong_state"
    assert [(e.action, e.to_state, e.comment) for e in _events(application)][1:] == [
        ("application.request_info", "more_info_requested", "Which regions?"),
        ("application.answer", "received", "Europe."),
        ("application.decline", "declined", "Out of scope"),
    ]


def test_first_admin_invitation_only_while_there_is_no_admin(manager, partner, partner_admin):
    with pytest.raises(PartnerError, match="already has an admin"):
        services.invitation_send_first_admin(
            partner=partner, email="x@example.com", actor=manager, accept_url=invite_url
        )


def test_partner_create_with_admin(manager, partner_admin):
    partner = services.partner_create_with_admin(
        name="Hooli",
        website="https://hooli.example",
        standing="good",
        admin_email="gavin@hooli.example",
        actor=manager,
        accept_url=invite_url,
    )
    assert Notification.objects.filter(
        event="partner_first_admin_invitation", to_email="gavin@hooli.example"
    ).exists()
    with pytest.raises(PartnerError) as exc:
        services.partner_create_with_admin(
            name="Hooli2",
            website="",
            standing="good",
            admin_email="a@b.example",
            actor=partner_admin,
            accept_url=invite_url,
        )
    assert exc.value.code == "not_allowed"
    assert partner.slug == "hooli"


def test_invited_person_gives_their_name(partner):
    user = UserFactory(username="someone-else")
    MembershipFactory(partner=partner, user=user, role="admin")
    token = services.invitation_create(partner_id=partner.pk, email="new@x.example", role="viewer")
    member = services.invitation_accept(
        invitation=services.invitation_read(token),
        username="newbie",
        password="A-long-pass-phrase-1",
        first_name=" Nia ",
        last_name="Newbie",
    )
    assert (member.first_name, member.last_name) == ("Nia", "Newbie")
    assert Membership.objects.filter(partner=partner, user=member).exists()


def test_outbox_delivers_to_an_address_without_account(application, mailoutbox):
    from certportal.delivery import deliver_many

    rows = Notification.objects.filter(recipient__isnull=True)
    counts = deliver_many(rows.values_list("pk", flat=True))
    assert counts == {"sent": 1}
    assert mailoutbox[-1].to == ["ida@initrode.example"]
