"""Checks that other apps add to intake (``intake_ok``: submitted → user testing).

certifications cannot import the apps above it, so an app that knows a reason to hold a
request at intake registers a check here from its ``AppConfig.ready()`` (reviews registers
the automated intake report's blockers). ``request_transition`` asks every check under the
request's row lock (``request_transition``, via ``blockers``): blockers refuse intake unless
the actor gives an override reason, and an override is recorded by the check that raised
them, in the same transaction (``record_overrides``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class IntakeCheck:
    #: The blockers of a request, each a sentence a reviewer can act on ([] = none).
    blockers: Callable[[Any], list[str]]
    #: Record that ``actor`` overrode ``blockers`` with ``reason``.
    record_override: Callable[..., None]


_checks: dict[str, IntakeCheck] = {}


def register(name: str, check: IntakeCheck) -> None:
    """Add (or replace) a named check; idempotent, so ready() may run twice."""
    _checks[name] = check


def blockers(request: Any) -> dict[str, list[str]]:
    """Each registered check's blockers of ``request``, for the checks that found any."""
    found = {name: check.blockers(request) for name, check in _checks.items()}
    return {name: items for name, items in found.items() if items}


def record_overrides(request: Any, *, actor: Any, reason: str, found: dict[str, list[str]]) -> None:
    """Let each check that raised blockers record that ``actor`` overrode them."""
    for name, items in found.items():
        _checks[name].record_override(request=request, actor=actor, reason=reason, blockers=items)
