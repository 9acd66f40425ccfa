"""The one way a transition is fired: source and conditions via django-fsm, the role via
`has_transition_perm` (django-fsm does not check `permission=` on call), then save.

Callers hold the row lock (`select_for_update`) and write their log row; this keeps the
refusal messages consistent across apps."""

from __future__ import annotations

from typing import Any

from django.db import models
from django_fsm import can_proceed

from certportal.errors import ProgramError


def fire(
    obj: models.Model,
    name: str,
    *,
    actor: Any,
    error: type[ProgramError] = ProgramError,
    unmet: str | None = None,
    check_perm: bool = True,
    **kwargs: Any,
) -> str:
    """Fire transition `name` on a locked `obj` and save it. Returns the previous state.

    `check_perm=False` is for the system (periodic tasks), never for a person."""
    method = getattr(obj, name)
    label = name.replace("_", " ")
    if not can_proceed(method, check_conditions=False):
        state = obj.get_state_display() if hasattr(obj, "get_state_display") else obj.state
        raise error(f"Cannot {label}: it is {str(state).lower()}.", code="wrong_state")
    # django_fsm.has_transition_perm() also requires the conditions; check the role alone
    # first so a refusal for the role never reveals which condition is unmet.
    meta = method._django_fsm
    if check_perm and not meta.has_transition_perm(obj, meta.field.get_state(obj), actor):
        raise error(f"Your role does not allow you to {label} this.", code="not_allowed")
    if not can_proceed(method):
        raise error(unmet or f"Cannot {label} yet: a required condition is not met.", code="unmet")
    previous = obj.state
    method(**kwargs)
    obj.save()
    return previous
