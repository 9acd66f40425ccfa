"""The metrics summary, kept at the cost of what changed (issue 19).

Each request contributes a few *cells* (reviews.metrics.models.MetricsCell): one for its
state, one for its SLA outcome, one per completed stay in a stage (in a duration bucket),
its bounce count, its partner for the funnel, its certificate's month. A cell exists per
product area and per month (of submission; of issue for certificates) and rolled up over
every area and every month, so the unfiltered page, an area, a month range or both read
only the cells of their scope: a few thousand rows whatever the number of requests.

Keeping it: every write that can change a request's figures adds a MetricsChange row in
its own transaction (reviews.metrics.receivers). `catch_up()` reads those rows, recomputes
the contribution of each request named (its row, its log through the (request, at)
index, its certificate), takes back what the request's MetricsFacts row says it added
before and adds the new one. Its cost is the number of changed requests, never the size of
the history. `rebuild()` (the first build, ``manage.py metrics_rebuild``) computes every
request's contribution in one pass.

Durations are counted in buckets 2 % wide (BUCKET_RATIO), with the sum of the durations in
each: a median or 90th percentile is read from the bucket holding that rank (the mean of
its durations, exact when the bucket holds one value or equal values), so it is within 2 %
of PostgreSQL's percentile_cont over the same durations."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import pairwise
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists
from django.utils import timezone

from certifications.enums import CERTIFIED_STATES, RequestState
from certifications.models import Certificate, CertificationRequest, TransitionLog
from reviews.metrics.models import MetricsCell, MetricsChange, MetricsFacts, MetricsState

BUCKET_RATIO = 1.02
_LOG_RATIO = math.log(BUCKET_RATIO)
DAY = 86400

STAGES = (
    RequestState.SUBMITTED,
    RequestState.USER_TESTING,
    RequestState.CODE_REVIEW,
    RequestState.DOCUMENTATION_REVIEW,
    RequestState.CHANGES_REQUESTED,
    RequestState.ON_HOLD,
)
CHANGES_TRANSITIONS = frozenset({"intake_incomplete", "ut_changes", "cr_changes", "docs_changes"})
# Open requests that sit on a reviewer's desk (reviewer load).
LOAD_STATES = (
    RequestState.SUBMITTED,
    RequestState.USER_TESTING,
    RequestState.CODE_REVIEW,
    RequestState.DOCUMENTATION_REVIEW,
    RequestState.ON_HOLD,
)
_STAGES = frozenset(STAGES)
_LOAD = frozenset(LOAD_STATES)
_CERTIFIED = frozenset(CERTIFIED_STATES)

REQUEST_FIELDS = (
    "pk",
    "kind",
    "state",
    "submitted_at",
    "closed_at",
    "sla_target_days",
    "sla_elapsed_seconds",
    "assigned_reviewer_id",
    "integration__product_area",
    "integration__partner_id",
)
LOG_FIELDS = ("request_id", "transition", "to_state", "at")
BATCH = 2000

Cell = list  # [metric, month or None, kind, key, n, total_ms]


def bucket_of(seconds: float) -> int:
    """The duration bucket: [r**b, r**(b+1)) seconds, r = BUCKET_RATIO; -1 under a second."""
    if seconds < 1:
        return -1
    return math.floor(math.log(seconds) / _LOG_RATIO)


def month_of(at: dt.datetime | None) -> int | None:
    if at is None:
        return None
    local = timezone.localtime(at)
    return local.year * 100 + local.month


def contribution(
    row: tuple, logs: list[tuple[str, str, dt.datetime]], issued_at: dt.datetime | None
) -> tuple[str, list[Cell]]:
    """What one request adds to the summary: (its product area, its cells). `row` holds
    REQUEST_FIELDS, `logs` its (transition, to_state, at) in (at, id) order."""
    (
        _pk,
        kind,
        state,
        submitted_at,
        closed_at,
        target_days,
        elapsed,
        reviewer_id,
        area,
        partner_id,
    ) = row
    sub = month_of(submitted_at)
    cells: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])

    def add(metric: str, month: int | None, kind_: str, key: str, ms: int = 0) -> None:
        cell = cells[(metric, month, kind_, key)]
        cell[0] += 1
        cell[1] += ms

    add("state", sub, kind, state)
    if state in _CERTIFIED:
        add("sla", sub, kind, "hit" if elapsed <= target_days * DAY else "miss")
        if submitted_at is not None and closed_at is not None:
            secs = (closed_at - submitted_at).total_seconds()
            add("turn", sub, kind, str(bucket_of(secs)), round(secs * 1000))
    if state in _LOAD:
        add("load", sub, "", f"{reviewer_id or ''}:{state}")
    if submitted_at is not None:
        bounces = sum(1 for transition, _s, _a in logs if transition in CHANGES_TRANSITIONS)
        add("bounce", sub, kind, str(bounces))
        add("fsub", sub, "", str(partner_id))
    # A stay lasts until the request's next logged transition ("assign" does not change
    # the state, so it neither starts nor ends one).
    stays = [(to_state, at) for transition, to_state, at in logs if transition != "assign"]
    for (stage, started), (_next, ended) in pairwise(stays):
        if stage in _STAGES:
            secs = (ended - started).total_seconds()
            add("stage", sub, kind, f"{stage}:{bucket_of(secs)}", round(secs * 1000))
    if issued_at is not None:
        issued = month_of(issued_at)
        add("cert", issued, "", "")
        add("fcert", issued, "", str(partner_id))
    return area or "", [[*key, n, ms] for key, (n, ms) in sorted(cells.items(), key=_sort_key)]


def _sort_key(item: tuple) -> tuple:
    (metric, month, kind, key), _values = item
    return (metric, month or 0, kind, key)


def _spread_into(deltas: dict, area: str, cells: Iterable[Cell], sign: int) -> None:
    """Add `cells` (times `sign`) to `deltas`, once per area and month they count in."""
    areas = {area, ""}
    for metric, month, kind, key, n, ms in cells:
        for a in areas:
            for m in (0,) if month is None else (month, 0):
                value = deltas.setdefault((metric, a, m, kind, key), [0, 0])
                value[0] += sign * n
                value[1] += sign * ms


def _add_to_cells(deltas: dict) -> int:
    """cells += deltas, one statement per 2,000 cells (an upsert that adds)."""
    rows = [(*key, n, ms) for key, (n, ms) in deltas.items() if n or ms]
    if not rows:
        return 0
    q = connection.ops.quote_name
    table = q(MetricsCell._meta.db_table)
    cols = ", ".join(q(c) for c in ("metric", "area", "month", "kind", "key", "n", "total_ms"))
    conflict = ", ".join(q(c) for c in ("metric", "area", "month", "kind", "key"))
    n_col, ms_col = q("n"), q("total_ms")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 2000):
            chunk = rows[start : start + 2000]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({cols}) VALUES {values} "  # noqa: S608 - quoted names; values are parameters
                f"ON CONFLICT ({conflict}) DO UPDATE SET "
                f"{n_col} = {table}.{n_col} + EXCLUDED.{n_col}, "
                f"{ms_col} = {table}.{ms_col} + EXCLUDED.{ms_col}",
                [v for row in chunk for v in row],
            )
    return len(rows)


def _state(*, lock: bool) -> MetricsState:
    qs = MetricsState.objects.select_for_update() if lock else MetricsState.objects
    state, _created = qs.get_or_create(pk=1)
    return state


def _raw_delete(model: Any, ids: list[int] | None = None) -> None:
    """DELETE without Django's collector (the page cache listens to every delete, which
    would make Django fetch each row first)."""
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        if ids is None:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - quoted model table name
            return
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({marks})", chunk)  # noqa: S608


def _recompute(request_ids: list[int]) -> None:
    """Replace the contribution of each of `request_ids` by its current one."""
    rows = {
        r[0]: r
        for r in CertificationRequest.objects.filter(pk__in=request_ids).values_list(
            *REQUEST_FIELDS
        )
    }
    logs: dict[int, list] = defaultdict(list)
    for request_id, transition, to_state, at in (
        TransitionLog.objects.filter(request_id__in=list(rows))
        .order_by("request_id", "at", "id")
        .values_list(*LOG_FIELDS)
    ):
        logs[request_id].append((transition, to_state, at))
    issued = dict(
        Certificate.objects.filter(request_id__in=list(rows)).values_list("request_id", "issued_at")
    )
    old = {
        f.request_id: f
        for f in MetricsFacts.objects.filter(request_id__in=request_ids).only("area", "cells")
    }
    deltas: dict = {}
    changed: list[MetricsFacts] = []
    gone: list[int] = []
    for request_id in request_ids:
        before = old.get(request_id)
        row = rows.get(request_id)
        if row is None:
            if before is not None:
                _spread_into(deltas, before.area, before.cells, -1)
                gone.append(request_id)
            continue
        area, cells = contribution(row, logs.get(request_id, []), issued.get(request_id))
        if before is not None:
            if before.area == area and before.cells == cells:
                continue
            _spread_into(deltas, before.area, before.cells, -1)
        _spread_into(deltas, area, cells, +1)
        changed.append(MetricsFacts(request_id=request_id, area=area, cells=cells))
    _add_to_cells(deltas)
    if changed:
        MetricsFacts.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["request_id"],
            update_fields=["area", "cells"],
        )
    if gone:
        _raw_delete(MetricsFacts, gone)


def catch_up(*, batch: int = BATCH) -> int:
    """Apply the changes recorded since the last run (building the summary first if it
    never was). Returns how many change rows were read. Runs are serialised by a lock on
    the state row, so two beat runs never apply the same change twice."""
    pending = (
        MetricsState.objects.filter(pk=1)
        .annotate(pending=Exists(MetricsChange.objects.all()))
        .values_list("built_at", "pending")
        .first()
    )
    if pending is not None and pending[0] is not None and not pending[1]:
        return 0  # built and nothing changed: one query
    read = 0
    while True:
        with transaction.atomic():
            state = _state(lock=True)
            if state.built_at is None:
                _build(state)
                continue
            changes = list(
                MetricsChange.objects.order_by("pk").values_list("pk", "request_id")[:batch]
            )
            if changes:
                _recompute(sorted({request_id for _pk, request_id in changes}))
                _raw_delete(MetricsChange, [pk for pk, _r in changes])
            read += len(changes)
            if len(changes) < batch:
                MetricsState.objects.filter(pk=state.pk).update(refreshed_at=timezone.now())
                return read


def rebuild() -> int:
    """Build the summary from scratch (the first build, or after bulk loads that bypass the
    models' signals, such as seed_scale). Returns the number of requests read."""
    with transaction.atomic():
        return _build(_state(lock=True))


def _merged(requests: Iterator[tuple], logs: Iterator[tuple]) -> Iterator[tuple[tuple, list]]:
    """Each request row with its log rows (both streams ordered by request id)."""
    pending = next(logs, None)
    for row in requests:
        mine = []
        while pending is not None and pending[0] <= row[0]:
            if pending[0] == row[0]:
                mine.append(pending[1:])
            pending = next(logs, None)
        yield row, mine


def _build(state: MetricsState) -> int:
    # Changes committed before this point are covered by the rows read below; later ones
    # stay queued and are applied (again, harmlessly) by the next catch-up.
    seen = list(MetricsChange.objects.values_list("pk", flat=True))
    _raw_delete(MetricsCell)
    _raw_delete(MetricsFacts)
    requests = (
        CertificationRequest.objects.order_by("pk").values_list(*REQUEST_FIELDS).iterator(5000)
    )
    logs = (
        TransitionLog.objects.order_by("request_id", "at", "id")
        .values_list(*LOG_FIELDS)
        .iterator(20000)
    )
    issued = dict(Certificate.objects.values_list("request_id", "issued_at").iterator(20000))
    deltas: dict = {}
    facts: list[MetricsFacts] = []
    count = 0
    for row, mine in _merged(requests, logs):
        area, cells = contribution(row, mine, issued.get(row[0]))
        _spread_into(deltas, area, cells, +1)
        facts.append(MetricsFacts(request_id=row[0], area=area, cells=cells))
        count += 1
        if len(facts) >= 5000:
            MetricsFacts.objects.bulk_create(facts)
            facts = []
    if facts:
        MetricsFacts.objects.bulk_create(facts)
    _add_to_cells(deltas)
    _raw_delete(MetricsChange, seen)
    now = timezone.now()
    MetricsState.objects.filter(pk=state.pk).update(built_at=now, refreshed_at=now)
    state.built_at = now
    return count


def mark_changed(request_ids: Iterable[int]) -> None:
    """Record that the figures of `request_ids` may have changed (in the caller's
    transaction, so the record commits, or rolls back, with the change itself)."""
    ids = [pk for pk in request_ids if pk]
    if ids:
        MetricsChange.objects.bulk_create([MetricsChange(request_id=pk) for pk in ids])


def mark_integration_changed(integration_id: int) -> None:
    """Every request of an integration (its product area is every request's area)."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(MetricsChange._meta.db_table)} ({q('request_id')}) "  # noqa: S608 - quoted model names
            f"SELECT {q('id')} FROM {q(CertificationRequest._meta.db_table)} "
            f"WHERE {q('integration_id')} = %s",
            [integration_id],
        )
