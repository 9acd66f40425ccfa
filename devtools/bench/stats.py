"""Percentiles and medians of benchmark runs."""

from __future__ import annotations

import statistics


def percentile(values: list[float], p: float) -> float:
    """The value at fraction `p` (0..1) of `values` in order; 0.0 when there are none."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def median_run(runs: list[dict]) -> dict:
    """The run whose requests per second are closest to the median of `runs`."""
    median_rps = statistics.median(run["rps"] for run in runs)
    return min(runs, key=lambda run: abs(run["rps"] - median_rps))


def median_ratio(runs: list[dict], reference: list[dict]) -> float:
    """The median of each round's rps against the reference page measured in the same
    round (rounds where the reference served nothing are left out)."""
    return statistics.median(
        run["rps"] / ref["rps"] for run, ref in zip(runs, reference, strict=True) if ref["rps"]
    )
