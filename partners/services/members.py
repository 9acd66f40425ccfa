"""Writes on partner organisations and their members: creation, standing and roles.

Role changes and removals lock the membership row and refuse to leave an organisation
without an admin, because only admins can invite, request the agreement or fix roles."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from certportal import roles
from certportal.audit import audit
from partners import permissions
from partners.enums import MemberRole, Standing
from partners.models import Membership, Partner
from partners.services.errors import PartnerError


def partner_create(
    *, name: str, website: str = "", actor: Any = None, standing: str = Standing.GOOD
) -> Partner:
    """Create an organisation with a unique slug derived from its name.

    Side effects: one Partner row and an audit row. The slug gets a `-2`, `-3`… suffix
    when taken, so two applicants with the same company name both get in. A name already
    taken is refused with a message (names are unique)."""
    name = name.strip()
    if Partner.objects.filter(name__iexact=name).exists():
        raise PartnerError(
            f"An organisation named {name} already exists; choose another name.",
            code="conflict",
        )
    base = slugify(name)[:70] or "partner"
    slug, n = base, 2
    while Partner.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    partner = Partner.objects.create(
        name=name, slug=slug, website=website, standing=Standing(standing)
    )
    audit(
        actor=actor,
        action="partner.create",
        obj=partner,
        partner_id=partner.pk,
        to_state=partner.standing,
    )
    return partner


def partner_set_standing(*, partner: Partner, standing: str, note: str, actor: Any) -> Partner:
    """Change the technology-partner standing, which gates every submission.

    Standing is the vendor's call, so only partner managers may change it. Side effects:
    the partner row is locked and updated (standing, note, since today) and audited with
    the previous and new standing."""
    if not roles.is_partner_manager(actor):
        raise PartnerError("Only partner managers change a partner's standing.", code="not_allowed")
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        previous = locked.standing
        locked.standing = Standing(standing)
        locked.standing_note = note
        locked.standing_since = timezone.localdate()
        locked.save(update_fields=["standing", "standing_note", "standing_since"])
        audit(
            actor=actor,
            action="partner.standing",
            obj=locked,
            partner_id=locked.pk,
            from_state=previous,
            to_state=locked.standing,
            comment=note,
        )
    return locked


def membership_add(*, partner: Partner, user: Any, role: str, actor: Any = None) -> Membership:
    """Make `user` a member of `partner` with `role` (or change the role of an existing
    member), so re-inviting someone is harmless.

    No permission check: callers are the accepted invitation, the application that
    created the organisation and demo data, which decided who may add. Side effects: the
    membership row is created or updated and audited."""
    membership, created = Membership.objects.get_or_create(
        partner=partner, user=user, defaults={"role": MemberRole(role)}
    )
    if not created and membership.role != role:
        membership.role = MemberRole(role)
        membership.save(update_fields=["role"])
    audit(
        actor=actor,
        action="membership.add",
        obj=membership,
        partner_id=partner.pk,
        data={"user_id": user.pk, "role": role},
    )
    return membership


def _admins_left_after(membership: Membership, *, new_role: str | None) -> int:
    """How many admins the organisation keeps if `membership` gets `new_role` (None:
    is removed)."""
    others = (
        Membership.objects.filter(partner_id=membership.partner_id, role=MemberRole.ADMIN)
        .exclude(pk=membership.pk)
        .count()
    )
    return others + (1 if new_role == MemberRole.ADMIN else 0)


def membership_change_role(*, membership: Membership, role: str, actor: Any) -> Membership:
    """Change a member's role; only the organisation's admins may, and never the last
    admin away.

    Side effects: the membership row is locked, updated and audited (old and new role)."""
    if not permissions.is_partner_admin(actor, membership.partner_id):
        raise PartnerError("Only your organisation's admins change roles.", code="not_allowed")
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if _admins_left_after(locked, new_role=role) == 0:
            raise PartnerError("An organisation needs at least one admin.", code="unmet")
        previous = locked.role
        locked.role = MemberRole(role)
        locked.save(update_fields=["role"])
        audit(
            actor=actor,
            action="membership.role",
            obj=locked,
            from_state=previous,
            to_state=role,
        )
    return locked


def membership_remove(*, membership: Membership, actor: Any) -> None:
    """Remove a member; only the organisation's admins may, and never the last admin.

    Side effects: an audit row naming the user and role, then the membership row is
    deleted (the person keeps their account)."""
    if not permissions.is_partner_admin(actor, membership.partner_id):
        raise PartnerError("Only your organisation's admins remove members.", code="not_allowed")
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if _admins_left_after(locked, new_role=None) == 0:
            raise PartnerError("An organisation needs at least one admin.", code="unmet")
        audit(
            actor=actor,
            action="membership.remove",
            obj=locked,
            data={"user_id": locked.user_id, "role": locked.role},
        )
        locked.delete()
