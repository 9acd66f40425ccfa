"""The mixed workload's clock: when each person reloads and when each write happens, and
following such a plan on a real (or, in tests, a fake) clock.

Every person reloads every `period / speed` seconds from a phase of their own (spread over
the period, so 100 people with a 20 s period do not all come at once); writes come every
`interval / speed` seconds. A person who falls behind (the server is slow) goes at once
and is counted late; the plan does not drift."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

GOLDEN = 0.6180339887498949


def phase(index: int) -> float:
    """Where in its period person `index` starts, in [0, 1): a low-discrepancy sequence,
    so any number of people is spread evenly."""
    return (index * GOLDEN) % 1.0


def times(period: float, start_phase: float, duration: float, speed: float = 1.0) -> list[float]:
    """The offsets (seconds from the start, < `duration`) of one person's reloads."""
    step = period / speed
    out = []
    k = 0
    while (t := (start_phase + k) * step) < duration:
        out.append(t)
        k += 1
    return out


def write_times(interval: float, duration: float, speed: float = 1.0) -> list[float]:
    """The offsets of the writes: every `interval / speed` seconds, the first half a step in."""
    return times(interval, 0.5, duration, speed)


def expected(periods: list[float], duration: float, speed: float = 1.0) -> int:
    """How many reloads people with these periods make in `duration` (phases as `phase`)."""
    return sum(len(times(p, phase(i), duration, speed)) for i, p in enumerate(periods))


async def follow(
    plan: list[float],
    start: float,
    act: Callable[[], Awaitable[object]],
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> list[float]:
    """Run `act` at `start` + each offset of `plan` (on `clock`); returns how late each
    run began (0.0 when on time)."""
    late = []
    for offset in plan:
        wait = start + offset - clock()
        if wait > 0:
            await sleep(wait)
            late.append(0.0)
        else:
            late.append(-wait)
        await act()
    return late


def follow_blocking(
    plan: list[float],
    start: float,
    act: Callable[[], object],
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] = time.sleep,
) -> list[float]:
    """`follow` without an event loop (the writer: Django's ORM refuses to run inside one)."""
    late = []
    for offset in plan:
        wait = start + offset - clock()
        if wait > 0:
            sleep(wait)
            late.append(0.0)
        else:
            late.append(-wait)
        act()
    return late
