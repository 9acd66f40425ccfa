"""Joining the program: the public application, the partner team's decision on it, and
the organisation (with its first admin's invitation) that an acceptance creates.

States: received → more_info_requested (→ received again when the applicant answers) →
accepted / declined. Each decision locks the row, goes through certportal.fsm.fire
(role + state), writes one audit row (who, when, from, to, why) and e-mails the applicant
through the outbox after commit. The applicant has no account: the "answer" page is
reached through a signed link in the e-mail that asked for more information."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone

from certportal import roles
from certportal.audit import audit
from certportal.fsm import fire
from certportal.links import link
from certportal.outbox import notify, notify_address
from partners import selectors
from partners.enums import Standing
from partners.models import Partner, ProgramApplication
from partners.services.errors import PartnerError
from partners.services.invitations import invitation_send_first_admin
from partners.services.members import partner_create

# Separate from the invitation salt: an answer link is never an invitation, nor the reverse.
ANSWER_SALT = "certportal.partners.application-answer"
ANSWER_MAX_AGE = 30 * 24 * 3600

AcceptUrl = Callable[[str], str]


def _audit(
    application: ProgramApplication,
    *,
    actor: Any,
    name: str,
    previous: str,
    comment: str = "",
    partner_id: int | None = None,
) -> None:
    audit(
        actor=actor,
        action=f"application.{name}",
        obj=application,
        partner_id=partner_id,
        from_state=previous,
        to_state=application.state,
        comment=comment,
    )


def application_submit(
    *,
    company: str,
    website: str,
    contact_name: str,
    contact_email: str,
    technology_partner_id: str = "",
    not_yet_partner: bool = False,
    product_areas: Iterable[str] = (),
    integration_summary: str,
) -> ProgramApplication:
    """Record an application from the public page (no account, no actor).

    A Technology Partner id or "not yet a partner" is required, not both, so the partner
    team knows which track the company is on. Side effects: the application row, an audit
    row, a notification to every partner manager and a confirmation e-mail to the contact,
    all in one transaction (the e-mails go after commit)."""
    technology_partner_id = technology_partner_id.strip()
    if bool(technology_partner_id) == bool(not_yet_partner):
        raise PartnerError(
            "Give your Technology Partner id, or tick “Not yet a Technology Partner”."
        )
    areas = sorted(set(product_areas))
    if not areas:
        raise PartnerError("Choose at least one product area.")
    with transaction.atomic():
        application = ProgramApplication.objects.create(
            company=company.strip(),
            website=website,
            contact_name=contact_name.strip(),
            contact_email=contact_email,
            technology_partner_id=technology_partner_id,
            not_yet_partner=not_yet_partner,
            product_areas=areas,
            integration_summary=integration_summary,
        )
        _audit(application, actor=None, name="submit", previous="")
        notify(
            recipients=selectors.partner_managers(),
            event="application_received",
            subject=f"New program application: {application.company}",
            context={"application": application},
            link=link("manage:application", application.pk),
        )
        notify_address(
            email=application.contact_email,
            event="application_confirmation",
            subject="We received your application to the certified partner program",
            context={"application": application},
        )
    return application


def application_answer_token(application: ProgramApplication) -> str:
    """The signed token of the applicant's answer link (no side effects)."""
    return signing.TimestampSigner(salt=ANSWER_SALT).sign_object({"a": application.pk})


def application_from_token(token: str) -> ProgramApplication | None:
    """The application an answer link names, or None when the link is tampered with or
    older than 30 days. Read-only."""
    try:
        data = signing.TimestampSigner(salt=ANSWER_SALT).unsign_object(
            token, max_age=ANSWER_MAX_AGE
        )
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("a"), int):
        return None
    return ProgramApplication.objects.filter(pk=data["a"]).first()


def _locked(application: ProgramApplication) -> ProgramApplication:
    return ProgramApplication.objects.select_for_update().get(pk=application.pk)


def application_request_info(
    *,
    application: ProgramApplication,
    actor: Any,
    message: str,
    answer_url: Callable[[str], str],
) -> ProgramApplication:
    """Ask the applicant for more information. The message is required: it is what the
    applicant reads. `answer_url(token)` builds the absolute link to the answer page.

    Side effects: the `request_info` transition, an audit row with the message, and an
    e-mail to the contact (outbox) with the message and the answer link."""
    if not message.strip():
        raise PartnerError("Say what information the applicant should send.")
    with transaction.atomic():
        locked = _locked(application)
        previous = fire(
            locked,
            "request_info",
            actor=actor,
            error=PartnerError,
            by=actor,
            at=timezone.now(),
            message=message.strip(),
        )
        _audit(locked, actor=actor, name="request_info", previous=previous, comment=message)
        notify_address(
            email=locked.contact_email,
            event="application_more_info",
            subject="Your program application: the partner team needs more information",
            context={"application": locked, "message": locked.manager_message},
            link=answer_url(application_answer_token(locked)),
        )
    return locked


def application_answer(*, application: ProgramApplication, reply: str) -> ProgramApplication:
    """The applicant's answer to a request for more information (from the signed link).

    Side effects: the `answer` transition back to received, an audit row (no actor) and a
    notification to the partner managers."""
    if not reply.strip():
        raise PartnerError("Write your answer before sending it.")
    with transaction.atomic():
        locked = _locked(application)
        previous = fire(
            locked,
            "answer",
            actor=None,
            error=PartnerError,
            check_perm=False,
            reply=reply.strip(),
        )
        _audit(locked, actor=None, name="answer", previous=previous, comment=reply)
        notify(
            recipients=selectors.partner_managers(),
            event="application_answered",
            subject=f"{locked.company} answered your questions on its application",
            context={"application": locked, "message": locked.applicant_reply},
            link=link("manage:application", locked.pk),
        )
    return locked


def application_accept(
    *,
    application: ProgramApplication,
    actor: Any,
    partner_name: str,
    standing: str,
    accept_url: AcceptUrl,
    message: str = "",
) -> Partner:
    """Accept the application: create the organisation (named `partner_name`, with the
    technology-partner `standing` the manager sets) and invite the contact as its first
    admin. Returns the new Partner.

    One transaction: a name already taken refuses the acceptance and nothing is created.
    Side effects: the Partner and its audit row, the `accept` transition and its audit row,
    and the invitation e-mail to the contact (outbox, after commit)."""
    if not roles.is_partner_manager(actor):
        raise PartnerError("Only partner managers decide applications.", code="not_allowed")
    with transaction.atomic():
        locked = _locked(application)
        if not locked.is_open:
            raise PartnerError(
                f"This application is already {locked.get_state_display().lower()}.",
                code="wrong_state",
            )
        partner = partner_create(
            name=partner_name or locked.company,
            website=locked.website,
            actor=actor,
            standing=Standing(standing),
        )
        previous = fire(
            locked,
            "accept",
            actor=actor,
            error=PartnerError,
            by=actor,
            at=timezone.now(),
            partner=partner,
            standing=partner.standing,
            message=message.strip(),
        )
        _audit(
            locked,
            actor=actor,
            name="accept",
            previous=previous,
            comment=message,
            partner_id=partner.pk,
        )
        invitation_send_first_admin(
            partner=partner, email=locked.contact_email, actor=actor, accept_url=accept_url
        )
    return partner


def application_decline(
    *, application: ProgramApplication, actor: Any, message: str
) -> ProgramApplication:
    """Decline the application with the reason the applicant is told (required).

    Side effects: the `decline` transition, an audit row with the reason and an e-mail to
    the contact (outbox)."""
    if not message.strip():
        raise PartnerError("Give the reason the applicant will read.")
    with transaction.atomic():
        locked = _locked(application)
        previous = fire(
            locked,
            "decline",
            actor=actor,
            error=PartnerError,
            by=actor,
            at=timezone.now(),
            message=message.strip(),
        )
        _audit(locked, actor=actor, name="decline", previous=previous, comment=message)
        notify_address(
            email=locked.contact_email,
            event="application_declined",
            subject="Your application to the certified partner program",
            context={"application": locked, "message": locked.manager_message},
        )
    return locked


def partner_create_with_admin(
    *,
    name: str,
    website: str,
    standing: str,
    admin_email: str,
    actor: Any,
    accept_url: AcceptUrl,
) -> Partner:
    """A partner manager creates an organisation directly (no application) and invites
    its first admin. Side effects: the Partner and its audit row, the invitation e-mail."""
    if not roles.is_partner_manager(actor):
        raise PartnerError("Only partner managers create organisations.", code="not_allowed")
    with transaction.atomic():
        partner = partner_create(name=name, website=website, actor=actor, standing=standing)
        invitation_send_first_admin(
            partner=partner, email=admin_email, actor=actor, accept_url=accept_url
        )
    return partner
