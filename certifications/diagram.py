"""The request state machine as a Mermaid diagram, generated from the django-fsm
transitions so the picture in docs/ can never drift from the code."""

from __future__ import annotations

from django_fsm import RETURN_VALUE

from certifications.enums import RequestState
from certifications.models import CertificationRequest


def transitions() -> list[tuple[str, str, str]]:
    """(source, target, transition name) for every declared transition, sorted."""
    edges: set[tuple[str, str, str]] = set()
    field = CertificationRequest._meta.get_field("state")
    for t in field.get_all_transitions(CertificationRequest):
        targets = (
            list(t.target.allowed_states) if isinstance(t.target, RETURN_VALUE) else [t.target]
        )
        for target in targets:
            edges.add((str(t.source), str(target), t.name))
    return sorted(edges)


def mermaid() -> str:
    lines = [
        "```mermaid",
        "stateDiagram-v2",
        f"    [*] --> {RequestState.DRAFT.value}",
    ]
    for source, target, name in transitions():
        lines.append(f"    {source} --> {target}: {name}")
    for final in (RequestState.PUBLISHED, RequestState.WITHDRAWN, RequestState.REJECTED):
        lines.append(f"    {final.value} --> [*]")
    lines.append("```")
    return "\n".join(lines) + "\n"


def document() -> str:
    return (
        "# Certification request state machine\n\n"
        "Generated from `certifications/models/requests.py` by "
        "`python manage.py request_state_diagram --write`; a test fails when it is stale.\n\n"
        + mermaid()
        + "\n| from | to | transition |\n|---|---|---|\n"
        + "".join(f"| {s} | {t} | `{n}` |\n" for s, t, n in transitions())
    )
