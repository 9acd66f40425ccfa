"""The SLA clock of a request, computed from its transition log.

The clock runs only while the request waits on the vendor (submitted, user testing, code
review) and pauses while it waits on the partner (changes requested) or is on hold."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from certifications.enums import VENDOR_STATES, RequestState
from certportal import pagecache

ON_TRACK, DUE_SOON, OVERDUE, PAUSED, STOPPED = (
    "on_track",
    "due_soon",
    "overdue",
    "paused",
    "stopped",
)
STATUS_LABELS = {
    ON_TRACK: "On track",
    DUE_SOON: "Due soon",
    OVERDUE: "Overdue",
    PAUSED: "Paused (waiting on partner)",
    STOPPED: "Stopped",
}


def target_days(kind: str) -> int:
    return int(settings.SLA_TARGET_DAYS[kind])


@dataclass(frozen=True)
class Clock:
    target_days: int
    elapsed_seconds: int
    running_since: dt.datetime | None

    def elapsed_at(self, now: dt.datetime) -> float:
        extra = (now - self.running_since).total_seconds() if self.running_since else 0
        return self.elapsed_seconds + max(extra, 0)

    def due_at(self) -> dt.datetime | None:
        """When the target is reached if the clock keeps running (None while paused)."""
        if self.running_since is None:
            return None
        remaining = self.target_days * 86400 - self.elapsed_seconds
        return self.running_since + dt.timedelta(seconds=remaining)


def clock_from_log(entries: Iterable[tuple[str, dt.datetime]], *, kind: str) -> Clock:
    """`entries` are (to_state, at) in time order."""
    elapsed = 0.0
    running_since: dt.datetime | None = None
    for to_state, at in entries:
        if running_since is not None:
            elapsed += (at - running_since).total_seconds()
            running_since = None
        if to_state in VENDOR_STATES:
            running_since = at
    return Clock(
        target_days=target_days(kind), elapsed_seconds=int(elapsed), running_since=running_since
    )


def status(
    *,
    state: str,
    due_at: dt.datetime | None,
    now: dt.datetime,
    elapsed_seconds: int = 0,
    target: int = 0,
) -> str:
    if state not in VENDOR_STATES:
        if state in (RequestState.CHANGES_REQUESTED, RequestState.ON_HOLD):
            return PAUSED
        return STOPPED
    if due_at is None:
        return PAUSED
    if now > due_at:
        return OVERDUE
    soon = due_at - dt.timedelta(days=settings.SLA_DUE_SOON_DAYS)
    # A page drawn now shows this status until the next of these moments (page cache).
    pagecache.expires_at(due_at if now >= soon else soon)
    if now >= soon:
        return DUE_SOON
    return ON_TRACK


def days_left(due_at: dt.datetime | None, now: dt.datetime) -> int | None:
    if due_at is None:
        return None
    return (due_at.date() - now.date()).days


def expected_certification_on(
    *, kind: str, start: dt.date, due_at: dt.datetime | None = None
) -> dt.date:
    """The day a request can be expected certified: its SLA due day while the clock runs,
    otherwise the review target counted from `start` (an update not yet submitted)."""
    if due_at is not None:
        return max(due_at.date(), start)
    return start + dt.timedelta(days=target_days(kind))
