"""The deployment calendar helpers: cycle days across boundaries, cut-offs, grouping."""

import datetime as dt

import pytest

from certifications import deployments
from certifications.models import CertificationRequest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cycle(settings):
    settings.DEPLOYMENT_CYCLE_ANCHOR = "2026-01-05"
    settings.DEPLOYMENT_CYCLE_DAYS = 14
    settings.DEPLOYMENT_CUTOFF_DAYS = 3


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (dt.date(2026, 1, 5), dt.date(2026, 1, 5), [dt.date(2026, 1, 5)]),
        (dt.date(2026, 1, 6), dt.date(2026, 1, 19), [dt.date(2026, 1, 19)]),
        (
            dt.date(2025, 12, 20),
            dt.date(2026, 1, 20),
            [dt.date(2025, 12, 22), dt.date(2026, 1, 5), dt.date(2026, 1, 19)],
        ),
        (dt.date(2026, 12, 25), dt.date(2027, 1, 10), [dt.date(2027, 1, 4)]),
        (dt.date(2026, 1, 6), dt.date(2026, 1, 18), []),
    ],
)
def test_cycle_days_between_across_boundaries(start, end, days):
    assert deployments.cycle_days_between(start, end) == days


@pytest.mark.parametrize(
    ("day", "deploy_on"),
    [
        (dt.date(2026, 1, 16), dt.date(2026, 1, 19)),  # on the cut-off: makes the cycle
        (dt.date(2026, 1, 17), dt.date(2026, 2, 2)),  # a day after: the next one
        (dt.date(2026, 1, 19), dt.date(2026, 2, 2)),  # on deployment day: the next one
    ],
)
def test_slot_if_certified_on_respects_cutoff(day, deploy_on):
    slot = deployments.slot_if_certified_on(day)
    assert slot.deploy_on == deploy_on
    assert slot.cutoff == deployments.cutoff_of(deploy_on) == deploy_on - dt.timedelta(days=3)


def test_calendar_groups_certified_requests_by_cycle(certified):
    CertificationRequest.objects.filter(pk=certified.pk).update(deployment_date=dt.date(2026, 2, 2))
    cycles = deployments.calendar(
        CertificationRequest.objects.all(), start=dt.date(2026, 1, 10), end=dt.date(2026, 2, 20)
    )
    assert [c.deploy_on for c in cycles] == [
        dt.date(2026, 1, 19),
        dt.date(2026, 2, 2),
        dt.date(2026, 2, 16),
    ]
    assert cycles[1].requests == [certified]
    assert cycles[1].cutoff == dt.date(2026, 1, 30)
    assert cycles[0].requests == [] and cycles[2].requests == []
