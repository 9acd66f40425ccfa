"""The metrics summary's tables (reviews.metrics.store keeps them; see its docstring).

Every figure of the metrics page is a sum of cells; every request contributes a few cells,
recorded on its facts row so that a change to the request can take back exactly what it
added before. Change rows are written in the same transaction as the write they announce
(signal receivers in reviews.metrics.receivers), so the refresh reads only them."""

from __future__ import annotations

from django.db import models


class MetricsCell(models.Model):
    """One counter of the summary. ``area`` "" is every product area; ``month`` 0 is every
    month, otherwise YYYYMM of the request's submission (of the certificate's issue for
    the per-month and funnel-certified figures). ``key`` names what is counted within the
    metric (a state, a stage and duration bucket, a partner id, ...); ``total_ms`` sums the
    durations of a duration bucket."""

    metric = models.CharField(max_length=8)
    area = models.CharField(max_length=32, blank=True)
    month = models.IntegerField()
    kind = models.CharField(max_length=16, blank=True)
    key = models.CharField(max_length=64, blank=True)
    n = models.BigIntegerField(default=0)
    total_ms = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "area", "month", "kind", "key"], name="metrics_cell_unique"
            )
        ]
        indexes = [models.Index(fields=["area", "month"], name="metrics_cell_area_month")]

    def __str__(self) -> str:
        return f"{self.metric} {self.area or '*'} {self.month} {self.kind} {self.key}: {self.n}"


class MetricsFacts(models.Model):
    """What one request adds to the summary now: its product area and its cells as
    [metric, month or null, kind, key, n, total_ms]. A plain id, not a foreign key: the
    row outlives a deleted request until the refresh takes its cells back."""

    request_id = models.BigIntegerField(primary_key=True)
    area = models.CharField(max_length=32, blank=True)
    cells = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"metrics facts of request {self.request_id}"


class MetricsChange(models.Model):
    """A request whose figures may have changed since the last refresh."""

    request_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"metrics change of request {self.request_id}"


class MetricsState(models.Model):
    """One row: whether the summary was built, and when it last caught up."""

    built_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"metrics summary built {self.built_at}"
