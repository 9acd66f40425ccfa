"""Page-cache scopes of the certification requests' lists (certportal.pagecache).

The review queues (the back office's changelist and the reviewers' workspace) show open
requests by state, with their reviewer, SLA due date, kind and version. A request's write
bumps the queue of its state as loaded and as saved, and only when one of the fields a
queue shows changed, so comments, documents and findings never make a queue miss. The
managers' overview counts open and certified requests per partner: it is bumped only when
a request moves between those groups (or its closing date changes)."""

from __future__ import annotations

from typing import Any

from certifications.enums import CERTIFIED_STATES, OPEN_STATES, RequestState

QUEUE_FIELDS = (
    "state",
    "assigned_reviewer_id",
    "sla_due_at",
    "kind",
    "version",
    "submitted_at",
    "closed_at",
    "integration_id",
)
# Names the queues show beside each row: partners, integrations, reviewers.
QUEUE_NAMES = "queue:names"


def queue_scope(state: str) -> str:
    return f"queue:state:{state}"


def reviewer_queue_scope(reviewer_id: int | None) -> str:
    return f"queue:reviewer:{reviewer_id or 0}"


def queue_scopes(states: tuple[str, ...] | list[str] | None = None) -> list[str]:
    """What a queue page showing requests in `states` (default every state) reads."""
    chosen = states or [s.value for s in RequestState]
    return [*(queue_scope(s) for s in chosen), QUEUE_NAMES, "staff"]


def open_queue_scopes() -> list[str]:
    return queue_scopes(list(OPEN_STATES))


# The reviewers' workspace shows every tab's count and one tab's rows.
QUEUE_COUNTS = "queue:counts"


def workspace_scopes(tab: str | None, user: Any) -> list[str]:
    """What the reviewers' workspace reads for `tab`: the tab counts, and the rows of that
    tab only ("mine": the person's requests; no tab given: "mine" or "unassigned", the
    default by role, without reading the role)."""
    me, nobody = reviewer_queue_scope(getattr(user, "pk", None)), reviewer_queue_scope(None)
    rows = {
        "mine": [me],
        "unassigned": [nobody],
        "waiting": [queue_scope(RequestState.CHANGES_REQUESTED)],
        "open": [queue_scope(s) for s in OPEN_STATES],
    }.get(tab or "", [me, nobody])
    return [QUEUE_COUNTS, *rows, QUEUE_NAMES, "staff"]


def _tab_membership(fields: dict[str, Any]) -> tuple:
    """What a request adds to the workspace's tab counts (reviews.workspace.tab_condition,
    narrowed by the kind and reviewer filters): only open requests count."""
    state = fields["state"]
    if state not in OPEN_STATES:
        return (False,)
    return (
        True,
        state == RequestState.CHANGES_REQUESTED,
        fields["assigned_reviewer_id"],
        fields["kind"],
    )


def _group(state: str) -> str:
    if state in OPEN_STATES:
        return "open"
    return "certified" if state in CERTIFIED_STATES else "other"


def request_write_scopes(request: Any, loaded: dict[str, Any] | None) -> set[str]:
    """The list scopes a write of `request` makes stale (`loaded`: its QUEUE_FIELDS as read
    from the database; None for a new or deleted request, which touches them all)."""
    now = {f: getattr(request, f) for f in QUEUE_FIELDS}
    if loaded is not None and loaded == now:
        return set()
    before = loaded or now
    scopes = {
        queue_scope(now["state"]),
        queue_scope(before["state"]),
        reviewer_queue_scope(now["assigned_reviewer_id"]),
        reviewer_queue_scope(before["assigned_reviewer_id"]),
    }
    if loaded is None or _tab_membership(before) != _tab_membership(now):
        scopes.add(QUEUE_COUNTS)
    if (
        loaded is None
        or _group(before["state"]) != _group(now["state"])
        or before["closed_at"] != now["closed_at"]
    ):
        scopes.add("overview")
    return scopes


def changelist_scopes(params: Any) -> list[str]:
    """The back office's request list: the queue of the state it is filtered by, else
    every state's."""
    state = params.get("state__exact", "")
    return queue_scopes([state] if state in RequestState.values else None)


def request_page_scopes(request_id: int) -> list[str]:
    """The back office's request page reads its integration's rows (every version of it:
    the page compares them), its organisation's partner-level rows and the staff list.
    A request never changes integration, so this may be read before the versions."""
    from certifications.models import CertificationRequest

    row = (
        CertificationRequest.objects.filter(pk=request_id)
        .values_list("integration_id", "integration__partner_id")
        .first()
    )
    if row is None:
        return []
    integration_id, partner_id = row
    return [f"integration:{integration_id}", f"org:{partner_id}", "staff", QUEUE_NAMES]
