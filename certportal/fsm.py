"""The one way a transition is fired: source and conditions via django-fsm, the role via
`has_transition_perm` (django-fsm does not check `permission=` on call), then save.

Callers hold the row lock (`select_for_update`) and write their log row; this keeps the
refusal messages consistent across apps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django_fsm import can_proceed

from certportal.errors import ProgramError


def check(
    obj: models.Model, name: str, *, actor: Any, error: type[ProgramError] = ProgramError
) -> None:
    """Refuse transition `name` unless `obj` is in one of its source states and its
    `permission=` predicate allows `actor`. Conditions are not checked: a refusal for the
    role never reveals which condition is unmet. `fire` calls it; a service calls it first
    when it must refuse the role before other reads (eligibility, quota)."""
    method = getattr(obj, name)
    label = name.replace("_", " ")
    if not can_proceed(method, check_conditions=False):
        state = obj.get_state_display() if hasattr(obj, "get_state_display") else obj.state
        raise error(f"Cannot {label}: it is {str(state).lower()}.", code="wrong_state")
    # django_fsm.has_transition_perm() also requires the conditions: check the role alone.
    meta = method._django_fsm
    if not meta.has_transition_perm(obj, meta.field.get_state(obj), actor):
        raise error(f"Your role does not allow you to {label} this.", code="not_allowed")


def fire(
    obj: models.Model,
    name: str,
    *,
    actor: Any,
    error: type[ProgramError] = ProgramError,
    unmet: str | Callable[[], str | None] | None = None,
    check_perm: bool = True,
    **kwargs: Any,
) -> str:
    """Fire transition `name` on a locked `obj` and save it. Returns the previous state.

    `unmet` is the refusal when a condition fails, or a callable that words it (called
    only then: wording it may need a query). `check_perm=False` is for the system
    (periodic tasks) and for a service that has just called `check` for the same person,
    never to skip the role of a person."""
    method = getattr(obj, name)
    label = name.replace("_", " ")
    if check_perm:
        check(obj, name, actor=actor, error=error)
    elif not can_proceed(method, check_conditions=False):
        state = obj.get_state_display() if hasattr(obj, "get_state_display") else obj.state
        raise error(f"Cannot {label}: it is {str(state).lower()}.", code="wrong_state")
    if not can_proceed(method):
        if callable(unmet):
            unmet = unmet()
        raise error(unmet or f"Cannot {label} yet: a required condition is not met.", code="unmet")
    previous = obj.state
    method(**kwargs)
    obj.save()
    return previous
