"""The managers' overview's sort and filter keys, one row per partner (issue 19).

The overview offers sorting by figures computed from other tables (open requests,
certifications this term, renewal date, fee outstanding) and filters on the current
agreement. Computed per page view, sorting by one of them or opening a deep page computed
them for every partner (2.0–2.4 s at 200,000 requests). Stored here, each indexed, a page
is an index range; the figures shown on the page are still computed live for its rows.

Maintained by `certifications.overview.overview_keys_refresh`: for one partner whenever one
of its requests, agreements or payments is saved or deleted (certifications.receivers), and
for every partner daily (the current agreement and its term follow the calendar)."""

from __future__ import annotations

from django.db import models


class PartnerOverviewKeys(models.Model):
    partner = models.OneToOneField(
        "partners.Partner",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="overview_keys",
    )
    # The current agreement as partners.selectors.agreement_current chooses it (none: null).
    agreement_id = models.BigIntegerField(null=True)
    agreement_state = models.CharField(max_length=16, blank=True)
    renewal_on = models.DateField(null=True)  # the current agreement's term end
    outstanding = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    open_requests = models.PositiveIntegerField(default=0)
    certs_this_term = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "partner overview keys"
        verbose_name_plural = "partner overview keys"
        indexes = [
            models.Index(fields=["open_requests", "partner"], name="overview_open"),
            models.Index(fields=["certs_this_term", "partner"], name="overview_certs"),
            models.Index(fields=["renewal_on", "partner"], name="overview_renewal"),
            models.Index(fields=["outstanding", "partner"], name="overview_outstanding"),
            models.Index(fields=["agreement_state", "renewal_on"], name="overview_agreement"),
        ]

    def __str__(self) -> str:
        return f"Overview keys of partner {self.partner_id}"
