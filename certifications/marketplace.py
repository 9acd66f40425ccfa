"""The public marketplace ("featured on the Exchange"): published listings of partners in
good standing with an agreement in force. A listing leaves as soon as its certificate is
revoked or the partner's agreement lapses (past the renewal grace period); during the
grace period it stays, marked "renewal pending". One query for the page of listings
(plus the paginator's count), whatever their number."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from certifications.models import Listing
from partners.enums import AgreementState, Standing
from partners.models import Agreement


def marketplace_listings(
    *, query: str = "", area: str = "", today: dt.date | None = None
) -> QuerySet[Listing]:
    """Listings annotated with `agreement_end` (the term end of the agreement in force;
    before today means renewal pending), by title."""
    today = today or timezone.localdate()
    in_force = Agreement.objects.filter(
        partner_id=OuterRef("integration__partner_id"),
        state=AgreementState.ACTIVE,
        term_start__lte=today,
        term_end__gte=today - dt.timedelta(days=settings.AGREEMENT_GRACE_DAYS),
    ).order_by("-term_end")
    qs = (
        Listing.objects.filter(
            integration__partner__standing=Standing.GOOD,
            certificate__revoked_at__isnull=True,
        )
        .annotate(agreement_end=Subquery(in_force.values("term_end")[:1]))
        .filter(agreement_end__isnull=False)
        .select_related("integration__partner", "certificate")
        .order_by("title", "pk")
    )
    if area:
        qs = qs.filter(integration__product_area=area)
    if query:
        qs = qs.filter(
            Q(title__icontains=query)
            | Q(summary__icontains=query)
            | Q(integration__name__icontains=query)
            | Q(integration__partner__name__icontains=query)
        )
    return qs
