"""Who reviews what. Fair: automatic assignment on intake picks the reviewer with the
lowest load among those with capacity left. Safe: a reviewer never reviews a partner they
declared a conflict of interest with (automatic or manual), and reviewers out of office
are skipped. Every assignment writes a timeline row saying why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from certifications.enums import FINAL_STATES, OPEN_STATES, RequestState
from certifications.models import CertificationRequest, TransitionLog
from certifications.signals import request_reviewer_changed
from certportal import roles
from certportal.links import link
from certportal.outbox import notify
from certportal.people import display_name
from partners.models import Partner
from reviews.models import ReviewerProfile
from reviews.services.findings import ReviewError


def _name(user: Any) -> str:
    return display_name(user)


@dataclass(frozen=True)
class Candidate:
    """One reviewer as automatic assignment saw them."""

    user: Any
    capacity: int
    load: int
    skipped: str  # why they were not eligible ("" when eligible)


def reviewer_loads(user_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Open requests assigned to each reviewer (one grouped query)."""
    rows = CertificationRequest.objects.filter(
        state__in=OPEN_STATES, assigned_reviewer__isnull=False
    )
    if user_ids is not None:
        rows = rows.filter(assigned_reviewer_id__in=list(user_ids))
    return dict(
        rows.order_by()
        .values_list("assigned_reviewer_id")
        .annotate(n=Count("pk"))
        .values_list("assigned_reviewer_id", "n")
    )


def assignment_candidates(*, partner_id: int, on: dt.date) -> list[Candidate]:
    """Every reviewer with their capacity, load, and why automatic assignment would skip
    them for a request of `partner_id` on day `on` (three queries, however many reviewers)."""
    people = list(roles.staff_in(roles.REVIEWER))
    profiles = {
        p.user_id: p
        for p in ReviewerProfile.objects.filter(user__in=[u.pk for u in people]).annotate(
            conflicted=Count("conflicts", filter=Q(conflicts=partner_id))
        )
    }
    loads = reviewer_loads(u.pk for u in people)
    out = []
    for user in people:
        profile = profiles.get(user.pk)
        capacity = profile.capacity if profile else 0
        load = loads.get(user.pk, 0)
        if profile is not None and profile.conflicted:
            skipped = "declared a conflict of interest with this partner"
        elif profile is not None and profile.is_away(on):
            until = profile.away_until
            skipped = f"out of office{f' until {until:%-d %b %Y}' if until else ''}"
        elif capacity == 0:
            skipped = "no capacity set for automatic assignment"
        elif load >= capacity:
            skipped = f"at capacity ({load} of {capacity})"
        else:
            skipped = ""
        out.append(Candidate(user=user, capacity=capacity, load=load, skipped=skipped))
    return out


def has_conflict(*, reviewer: Any, partner_id: int) -> bool:
    return ReviewerProfile.objects.filter(user=reviewer, conflicts=partner_id).exists()


def _log(request: CertificationRequest, *, actor: Any, comment: str) -> None:
    TransitionLog.objects.create(
        request=request,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        transition="assign",
        from_state=request.state,
        to_state=request.state,
        comment=comment[:2000],
        at=timezone.now(),
    )


def _after_change(request: CertificationRequest) -> None:
    rid = request.pk
    transaction.on_commit(
        lambda: request_reviewer_changed.send(sender=CertificationRequest, request_id=rid)
    )


def assignment_auto(*, request_id: int) -> CertificationRequest | None:
    """Assign a newly submitted, unassigned request to the eligible reviewer with the
    lowest load (ties: the most capacity left, then the user name), skipping reviewers
    with a declared conflict with its partner, out of office today or at capacity. The
    timeline says whom it picked and why, or why nobody could be picked (the request then
    waits in the queue's Unassigned tab). Called after the submit commits; safe to call
    twice (an assigned request is left alone)."""
    if not settings.REVIEW_AUTO_ASSIGN:
        return None
    with transaction.atomic():
        request = (
            CertificationRequest.objects.select_for_update(of=("self",))
            .select_related("integration")
            .filter(pk=request_id)
            .first()
        )
        if (
            request is None
            or request.assigned_reviewer_id
            or request.state
            in (
                RequestState.DRAFT,
                *FINAL_STATES,
            )
        ):
            return request
        # Lock the profiles so two intakes at once do not both fill the last slot. No
        # reviewer with a capacity: automatic assignment is not in use (nothing to log).
        pool = list(
            ReviewerProfile.objects.select_for_update().filter(capacity__gt=0).order_by("pk")
        )
        if not pool:
            return request
        candidates = assignment_candidates(
            partner_id=request.integration.partner_id, on=timezone.localdate()
        )
        eligible = sorted(
            (c for c in candidates if not c.skipped),
            key=lambda c: (c.load, -(c.capacity - c.load), c.user.username),
        )
        skipped = "; ".join(f"{_name(c.user)}: {c.skipped}" for c in candidates if c.skipped)
        if not eligible:
            _log(
                request,
                actor=None,
                comment="Automatic assignment found no available reviewer"
                + (f" ({skipped})." if skipped else ".")
                + " The request waits in the Unassigned queue.",
            )
            return request
        chosen = eligible[0]
        request.assigned_reviewer = chosen.user
        request.save(update_fields=["assigned_reviewer", "updated_at"])
        _log(
            request,
            actor=None,
            comment=f"Assigned automatically to {_name(chosen.user)}: lowest load "
            f"({chosen.load} open of capacity {chosen.capacity})"
            + (f". Skipped — {skipped}." if skipped else "."),
        )
        notify(
            recipients=[chosen.user],
            event="request_assigned",
            subject=f"You were assigned {request.integration} {request.version}",
            context={"request": request},
            link=link("admin:certifications_certificationrequest_change", request.pk),
        )
        _after_change(request)
    return request


def assignment_set(
    *,
    request: CertificationRequest,
    reviewer: Any | None,
    actor: Any,
    reason: str = "",
    require_reason: bool = False,
) -> CertificationRequest:
    """Claim, assign, reassign or unassign one request. A reviewer may claim a request for
    themselves (taking it from someone else needs a reason); partner managers assign
    anyone, and overriding an existing assignment needs a reason. A reviewer with a
    declared conflict with the request's partner is refused. Drafts and closed requests
    are never assigned. The timeline row carries the reason; the new reviewer is notified."""
    reason = reason.strip()
    if reviewer is not None and not roles.is_reviewer(reviewer):
        raise ReviewError(f"{_name(reviewer)} is not a reviewer.")
    is_manager = roles.is_partner_manager(actor)
    is_self = reviewer is not None and reviewer.pk == actor.pk
    if not (is_manager or (roles.is_reviewer(actor) and is_self)):
        raise ReviewError("Only partner managers assign other reviewers.", code="not_allowed")
    with transaction.atomic():
        locked = (
            CertificationRequest.objects.select_for_update(of=("self",))
            .select_related("integration", "assigned_reviewer")
            .get(pk=request.pk)
        )
        if locked.state == RequestState.DRAFT:
            raise ReviewError("Only submitted requests can be assigned.", code="wrong_state")
        if locked.state not in OPEN_STATES:
            raise ReviewError(
                f"{locked}: only open requests can be assigned (it is "
                f"{locked.get_state_display().lower()}).",
                code="wrong_state",
            )
        previous = locked.assigned_reviewer
        if previous is not None and reviewer is not None and previous.pk == reviewer.pk:
            return locked
        override = previous is not None
        if (require_reason or override) and not reason:
            raise ReviewError(
                f"{locked}: give a reason for the reassignment (it is assigned to "
                f"{_name(previous)})."
                if override
                else "Give a reason for the assignment."
            )
        if reviewer is not None and has_conflict(
            reviewer=reviewer, partner_id=locked.integration.partner_id
        ):
            raise ReviewError(
                f"{_name(reviewer)} declared a conflict of interest with "
                f"{locked.integration.partner.name} and cannot review its requests.",
                code="conflict",
            )
        locked.assigned_reviewer = reviewer
        locked.save(update_fields=["assigned_reviewer", "updated_at"])
        if reviewer is None:
            what = f"Unassigned {_name(previous)}" if previous else "Unassigned"
        elif previous is None:
            what = f"Claimed by {_name(reviewer)}" if is_self else f"Assigned to {_name(reviewer)}"
        else:
            what = f"Reassigned from {_name(previous)} to {_name(reviewer)}"
        _log(locked, actor=actor, comment=what + (f": {reason}" if reason else ""))
        if reviewer is not None and not is_self:
            notify(
                recipients=[reviewer],
                event="request_assigned",
                subject=f"You were assigned {locked.integration} {locked.version}",
                context={"request": locked, "message": reason},
                link=link("admin:certifications_certificationrequest_change", locked.pk),
            )
        _after_change(locked)
    return locked


def assignment_bulk(
    *, requests: Iterable[CertificationRequest], reviewer: Any, actor: Any, reason: str
) -> tuple[int, list[str]]:
    """Assign or reassign several requests to one reviewer with one reason (required).
    Each request is its own transaction: one refusal (a conflict, a closed request) does
    not undo the others. Returns how many were assigned and the refusals, in words."""
    if not reason.strip():
        raise ReviewError("Give a reason for the bulk assignment.")
    done, refused = 0, []
    for request in requests:
        try:
            assignment_set(
                request=request, reviewer=reviewer, actor=actor, reason=reason, require_reason=True
            )
            done += 1
        except ReviewError as exc:
            refused.append(exc.message)
    return done, refused


def reviewer_settings_save(
    *,
    reviewer: Any,
    actor: Any,
    away_from: dt.date | None,
    away_until: dt.date | None,
    conflicts: Iterable[Partner],
    capacity: int | None = None,
) -> ReviewerProfile:
    """Save a reviewer's out-of-office dates and declared conflicts (the reviewer, or a
    partner manager) and their capacity (partner managers only). Declaring a conflict
    unassigns the reviewer from that partner's open requests, with a timeline row."""
    if not roles.is_reviewer(reviewer):
        raise ReviewError(f"{_name(reviewer)} is not a reviewer.")
    is_manager = roles.is_partner_manager(actor)
    if not (is_manager or actor.pk == reviewer.pk):
        raise ReviewError("You can change only your own reviewer settings.", code="not_allowed")
    if capacity is not None and not is_manager:
        raise ReviewError("Only partner managers set a reviewer's capacity.", code="not_allowed")
    if away_from and away_until and away_until < away_from:
        raise ReviewError("The last day out of office is before the first.")
    if away_until and not away_from:
        raise ReviewError("Give the first day out of office too.")
    conflicts = list(conflicts)
    with transaction.atomic():
        profile, _ = ReviewerProfile.objects.select_for_update().get_or_create(user=reviewer)
        before = set(profile.conflicts.values_list("pk", flat=True))
        profile.away_from, profile.away_until = away_from, away_until
        if capacity is not None:
            profile.capacity = capacity
        profile.save()
        profile.conflicts.set(conflicts)
        added = {p.pk for p in conflicts} - before
        if added:
            for request in (
                CertificationRequest.objects.select_for_update(of=("self",))
                .filter(
                    assigned_reviewer=reviewer,
                    state__in=OPEN_STATES,
                    integration__partner__in=added,
                )
                .order_by("pk")
            ):
                request.assigned_reviewer = None
                request.save(update_fields=["assigned_reviewer", "updated_at"])
                _log(
                    request,
                    actor=actor,
                    comment=f"Unassigned {_name(reviewer)}: conflict of interest declared.",
                )
                _after_change(request)
    return profile
