"""The two-week deployment calendar of certified module updates, for display.

`certifications.updates.deployment_slot` decides a certified update's deployment day (set
on the request at certification); this module lists the cycles around a date and groups the
requests that ship in each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from certifications import sla
from certifications.enums import RequestState
from certifications.models import CertificationRequest
from certifications.updates import DeploymentSlot, deployment_slot

# The days the calendar can show: far from date.min and date.max, where its arithmetic (16
# weeks either side of a page, the step to the next cycle) would overflow (issue 20).
CALENDAR_FIRST_DAY = dt.date(2000, 1, 1)
CALENDAR_LAST_DAY = dt.date(2099, 12, 31)


def validate_calendar_day(day: dt.date | None) -> None:
    """Refuse a calendar day outside the calendar's range (a form error, not a 500)."""
    if day is not None and not CALENDAR_FIRST_DAY <= day <= CALENDAR_LAST_DAY:
        raise ValidationError(
            f"Choose a day between {CALENDAR_FIRST_DAY:%d %b %Y} and {CALENDAR_LAST_DAY:%d %b %Y}.",
            code="calendar_range",
        )


def is_cycle_day(day: dt.date) -> bool:
    """Whether `day` is a deployment day; days outside the calendar's range never are."""
    if not CALENDAR_FIRST_DAY <= day <= CALENDAR_LAST_DAY:
        return False
    return day in cycle_days_between(day, day)


def cycle_days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every deployment day from `start` to `end` inclusive."""
    anchor = dt.date.fromisoformat(settings.DEPLOYMENT_CYCLE_ANCHOR)
    period = settings.DEPLOYMENT_CYCLE_DAYS
    offset = (start - anchor).days
    day = anchor + dt.timedelta(days=-(-offset // period) * period)
    days = []
    while day <= end:
        days.append(day)
        day += dt.timedelta(days=period)
    return days


def cutoff_of(deploy_on: dt.date) -> dt.date:
    return deploy_on - dt.timedelta(days=settings.DEPLOYMENT_CUTOFF_DAYS)


def slot_if_certified_on(day: dt.date) -> DeploymentSlot:
    """The cycle an update certified on `day` would ship in (what a partner plans with)."""
    return deployment_slot(day)


@dataclass(frozen=True)
class ExpectedDeployment:
    """When an update can be expected certified (the review target) and the deployment
    cycle it then ships in: an update cannot ship before it could be certified."""

    certified_on: dt.date
    slot: DeploymentSlot


def expected_deployment(
    *, kind: str, today: dt.date, due_at: dt.datetime | None = None
) -> ExpectedDeployment:
    certified_on = sla.expected_certification_on(kind=kind, start=today, due_at=due_at)
    return ExpectedDeployment(certified_on=certified_on, slot=deployment_slot(certified_on))


@dataclass
class Cycle:
    deploy_on: dt.date
    cutoff: dt.date
    requests: list[CertificationRequest] = field(default_factory=list)
    deployed: Any = None  # the DeploymentCycle row once marked deployed (support app)


def scheduled_requests(queryset: QuerySet[CertificationRequest]) -> QuerySet:
    """Certified updates with a deployment day, in calendar order."""
    return (
        queryset.filter(
            deployment_date__isnull=False,
            state__in=(RequestState.CERTIFIED, RequestState.PUBLISHED),
        )
        .select_related("integration", "integration__partner")
        .order_by("deployment_date", "integration__name", "pk")
    )


def calendar(
    queryset: QuerySet[CertificationRequest], *, start: dt.date, end: dt.date
) -> list[Cycle]:
    """Every cycle from `start` to `end` (empty ones too) with what ships in each; cycles
    outside the range that still hold requests are included as well."""
    cycles = {
        day: Cycle(deploy_on=day, cutoff=cutoff_of(day)) for day in cycle_days_between(start, end)
    }
    rows = scheduled_requests(queryset).filter(
        deployment_date__gte=start - dt.timedelta(days=settings.DEPLOYMENT_CYCLE_DAYS * 6),
        deployment_date__lte=end,
    )
    for day, group in groupby(rows, key=lambda r: r.deployment_date):
        cycle = cycles.setdefault(day, Cycle(deploy_on=day, cutoff=cutoff_of(day)))
        cycle.requests.extend(group)
    return [cycles[day] for day in sorted(cycles)]
