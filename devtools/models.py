"""The benchmark's reference model; its table exists only where devtools is installed."""

from __future__ import annotations

from django.db import models


class BenchRow(models.Model):
    """A trivial two-column row for the benchmark's 50-row reference page (seed_scale
    writes 50 of them); nothing else in the portal reads it."""

    name = models.CharField(max_length=100)
    value = models.IntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
