"""May this partner submit? Every program requirement a submission needs, checked in one
place so the dashboard, the submission wizard and the submit transition (certifications)
give the same answer.

Read-only (no writes, no side effects); it lives with the services because it is the
rule the submit transition enforces, and it reports every unmet requirement at once so a
partner can fix them all in one visit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import OuterRef
from django.utils import timezone

from partners import selectors
from partners.enums import AgreementState, BusinessReviewState, QuotaKind, Standing
from partners.models import Agreement, Partner


@dataclass(frozen=True)
class Unmet:
    """One unmet requirement: a stable `code`, a message the partner can act on and the
    URL name of the page that fixes it (empty when only the vendor can)."""

    code: str
    message: str
    fix_url_name: str = ""


_UNKNOWN: Any = object()


def eligibility_check(
    *,
    partner: Partner,
    quota_kind: str | None,
    agreement_in_force: Agreement | None = _UNKNOWN,
    money: selectors.MoneySummary | None = None,
    facts: dict[str, Any] | None = None,
) -> list[Unmet]:
    """Every unmet program requirement for submitting a request that uses `quota_kind`
    (None for a docs-only update), each with a message the partner can act on.

    A page that already loaded the agreement in force (and its money summary, and the
    partner's `selectors.eligibility_facts`) passes them in so they are not read twice."""
    unmet: list[Unmet] = []
    if partner.standing != Standing.GOOD:
        unmet.append(
            Unmet(
                "standing",
                f"Your technology-partner standing is {partner.get_standing_display().lower()}. "
                "Contact your partner manager to restore good standing.",
            )
        )
    # The business review's state and whether a support plan exists, in one query.
    if facts is None:
        facts = (
            Partner.objects.filter(pk=partner.pk)
            .values(**selectors.eligibility_facts(OuterRef("pk")))
            .first()
        ) or {"review_state": None, "has_plan": False}
    review_state = facts["review_state"]
    if review_state != BusinessReviewState.APPROVED:
        detail = (
            "has not been started"
            if review_state is None
            else f"is {BusinessReviewState(review_state).label.lower()}"
        )
        unmet.append(
            Unmet(
                "business_review",
                f"The business review {detail}; it must be approved by the partner team.",
                "portal:business_review",
            )
        )
    if not facts["has_plan"]:
        unmet.append(
            Unmet(
                "support_plan",
                "Add your support escalation plan (contacts and access to your support tool).",
                "portal:support_plan",
            )
        )
    agreement = (
        selectors.agreement_in_force(partner=partner)
        if agreement_in_force is _UNKNOWN
        else agreement_in_force
    )
    if agreement is None:
        unmet.append(
            grace_period_check(partner=partner)
            or Unmet(
                "agreement",
                "You need an active, paid annual certification agreement.",
                "portal:agreement",
            )
        )
    elif not (money or selectors.money_summary(agreement=agreement)).is_paid:
        unmet.append(
            Unmet(
                "agreement",
                "Your agreement fee is not fully paid yet.",
                "portal:agreement",
            )
        )
    elif quota_kind and selectors.quota_left(agreement=agreement, kind=quota_kind) < 1:
        unmet.append(quota_unmet(quota_kind))
    return unmet


def quota_unmet(quota_kind: str) -> Unmet:
    """The unmet requirement "no `quota_kind` certifications left", with its way out: ask
    the partner team for extra quota (a request that reaches the managers) or renew."""
    return Unmet(
        f"quota_{quota_kind}",
        f"No {quota_kind} certifications are left in this agreement term. "
        "Ask the partner team for extra quota, or renew your agreement.",
        "portal:quota_request",
    )


# The quota each kind of request uses: major (initial certifications and major updates),
# minor, and None (docs-only updates use none).
ELIGIBILITY_QUOTAS: tuple[str | None, ...] = (QuotaKind.MAJOR, QuotaKind.MINOR, None)


def eligibility_per_quota(
    *,
    partner: Partner,
    agreement_in_force: Agreement | None = _UNKNOWN,
    money: selectors.MoneySummary | None = None,
    quota: dict[str, selectors.QuotaLine] | None = None,
    facts: dict[str, Any] | None = None,
) -> dict[str | None, list[Unmet]]:
    """`eligibility_check` for each quota a request can use (ELIGIBILITY_QUOTAS), reading
    the shared requirements once: a partner may be ready for a docs-only update but out of
    major certifications, and every page must say so instead of one "Ready".

    A page that already loaded the agreement in force, its money and quota summaries passes
    them in. Read-only."""
    agreement = (
        selectors.agreement_in_force(partner=partner)
        if agreement_in_force is _UNKNOWN
        else agreement_in_force
    )
    shared = eligibility_check(
        partner=partner, quota_kind=None, agreement_in_force=agreement, money=money, facts=facts
    )
    result: dict[str | None, list[Unmet]] = {None: shared}
    agreement_ok = agreement is not None and not any(u.code == "agreement" for u in shared)
    lines = (
        quota
        if quota is not None
        else (selectors.quota_summary(agreement=agreement) if agreement_ok else {})
    )
    for kind in ELIGIBILITY_QUOTAS:
        if kind is None:
            continue
        exhausted = agreement_ok and lines[kind].left < 1
        result[kind] = [*shared, quota_unmet(kind)] if exhausted else list(shared)
    return result


def grace_period_check(*, partner: Partner, today: dt.date | None = None) -> Unmet | None:
    """The refusal after the renewal grace period, for a partner with no agreement in
    force: its last agreement ended more than AGREEMENT_GRACE_DAYS ago (None when it never
    had one, which the generic agreement requirement explains)."""
    today = today or timezone.localdate()
    last = (
        Agreement.objects.filter(
            partner=partner,
            state__in=[AgreementState.ACTIVE, AgreementState.EXPIRED],
            term_end__lt=today,
        )
        .order_by("-term_end")
        .first()
    )
    if last is None:
        return None
    grace_end = last.term_end + dt.timedelta(days=settings.AGREEMENT_GRACE_DAYS)
    return Unmet(
        "grace_period",
        f"Your certification agreement ended on {last.term_end:%d %b %Y} and its renewal "
        f"grace period on {grace_end:%d %b %Y}; new submissions are accepted again once the "
        "renewal is active.",
        "portal:agreement",
    )
