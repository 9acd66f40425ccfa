"""Invitations to join a partner organisation: the signed link, the e-mail that carries
it, and accepting it (with a new account when the person has none).

An invitation is not stored: the token is the invitation (partner, e-mail, role), signed
with the secret key and valid for seven days, so there is nothing to clean up and a
tampered or expired link simply reads as invalid."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction

from certportal import roles
from certportal.outbox import notify_address
from partners import permissions
from partners.enums import MemberRole
from partners.models import Membership, Partner
from partners.services.errors import PartnerError
from partners.services.members import membership_add

# The salt keeps these signatures from being valid anywhere else the secret key signs;
# changing it (or the payload keys) invalidates every invitation already sent.
INVITE_SALT = "certportal.portal.invite"
INVITE_MAX_AGE = 7 * 24 * 3600


@dataclass(frozen=True)
class Invitation:
    """A valid invitation read from its token."""

    partner: Partner
    email: str
    role: MemberRole


def invitation_create(*, partner_id: int, email: str, role: str) -> str:
    """The signed token of an invitation to join `partner_id` as `role`.

    No side effects (nothing is stored); `invitation_send` mails it."""
    signer = signing.TimestampSigner(salt=INVITE_SALT)
    return signer.sign_object({"p": partner_id, "e": email, "r": role})


def invitation_read(token: str) -> Invitation | None:
    """The invitation in `token`, or None when it is tampered with, expired, names an
    unknown role or a partner that no longer exists. Read-only."""
    try:
        data = signing.TimestampSigner(salt=INVITE_SALT).unsign_object(
            token, max_age=INVITE_MAX_AGE
        )
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or data.get("r") not in MemberRole.values:
        return None
    partner = Partner.objects.filter(pk=data["p"]).first()
    if partner is None:
        return None
    return Invitation(partner=partner, email=data["e"], role=MemberRole(data["r"]))


def invitation_is_spent(*, invitation: Invitation, user: Any) -> bool:
    """One invitation, one person: once someone with the invited e-mail is a member, the
    link only still opens for members of the partner, so a used (or forwarded) link
    cannot create more accounts. Read-only."""
    partner = invitation.partner
    if not Membership.objects.filter(
        partner=partner, user__email__iexact=invitation.email
    ).exists():
        return False
    return not (
        getattr(user, "is_authenticated", False)
        and Membership.objects.filter(partner=partner, user=user).exists()
    )


def invitation_send(
    *,
    partner: Partner,
    email: str,
    role: str,
    actor: Any,
    accept_url: Callable[[str], str],
) -> str:
    """E-mail an invitation to join `partner` as `role`; returns the token.

    Only the organisation's admins invite, since a member may be invited as admin.
    `accept_url(token)` builds the absolute link to the accept page: the interface that
    mounts that page knows its host. Side effects: one e-mail to `email`, sent at once
    with `send_mail` (default sender); nothing is stored or audited until the
    invitation is accepted."""
    if not permissions.is_partner_admin(actor, partner.pk):
        raise PartnerError("Only your organisation's admins invite members.", code="not_allowed")
    token = invitation_create(partner_id=partner.pk, email=email, role=role)
    send_mail(
        subject=f"Invitation to {partner.name} on the certification portal",
        message=(
            f"{actor.get_full_name() or actor.get_username()} invited you to "
            f"join {partner.name} as {MemberRole(role).label.lower()}.\n\n"
            f"Accept within 7 days: {accept_url(token)}\n"
        ),
        from_email=None,
        recipient_list=[email],
    )
    return token


def invitation_send_first_admin(
    *, partner: Partner, email: str, actor: Any, accept_url: Callable[[str], str]
) -> str:
    """Invite the first admin of a new organisation (an accepted application, or one a
    partner manager created); returns the token.

    Partner managers only, and only while the organisation has no admin: after that its
    own admins invite. Side effects: one e-mail to `email` through the outbox (sent after
    commit, never lost when the mail server is down)."""
    if not roles.is_partner_manager(actor):
        raise PartnerError(
            "Only partner managers invite an organisation's first admin.", code="not_allowed"
        )
    if Membership.objects.filter(partner=partner, role=MemberRole.ADMIN).exists():
        raise PartnerError(
            f"{partner.name} already has an admin; its admins invite further members.",
            code="conflict",
        )
    token = invitation_create(partner_id=partner.pk, email=email, role=MemberRole.ADMIN)
    notify_address(
        email=email,
        event="partner_first_admin_invitation",
        subject=f"Your invitation to {partner.name} on the certification portal",
        context={"partner": partner, "accept_url": accept_url(token), "max_days": 7},
    )
    return token


def invitation_accept(
    *,
    invitation: Invitation,
    user: Any = None,
    username: str = "",
    password: str = "",
    first_name: str = "",
    last_name: str = "",
) -> Any:
    """Accept `invitation` as the signed-in `user`, or, with `user` None, as a new account
    (`username`, `password`, the invited e-mail, the name the person gives); returns the
    member's user.

    The account and the membership are created in one transaction so a failure leaves
    no account without its organisation. The partner row is locked and the invitation
    re-checked inside it, so two submissions of one link create one account. A person who
    is already a member keeps their role. Side effects: maybe a new user (password
    hashed), a membership with the invited role and its audit row."""
    with transaction.atomic():
        if Partner.objects.select_for_update().filter(pk=invitation.partner.pk).first() is None:
            raise PartnerError("This invitation is no longer valid.", code="conflict")
        if invitation_is_spent(invitation=invitation, user=user):
            raise PartnerError("This invitation was already used.", code="conflict")
        if user is None:
            user = get_user_model()(
                username=username,
                email=invitation.email,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
            )
            user.set_password(password)
            user.save()
        elif Membership.objects.filter(partner=invitation.partner, user=user).exists():
            return user
        membership_add(partner=invitation.partner, user=user, role=invitation.role, actor=user)
    return user
