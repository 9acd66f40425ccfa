"""Eligibility per kind of request, as the dashboard and the wizard show it (issue 14): the
shared requirements once, then for each kind either "Ready" or the reason with its way out
(ask the partner team for extra quota, renew the agreement)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from partners.services import Unmet

# Which requests use each quota (partners.services.ELIGIBILITY_QUOTAS), in the partner's words.
QUOTA_LABELS: dict[str | None, str] = {
    "major": "Initial certifications and major updates",
    "minor": "Minor updates",
    None: "Docs-only updates",
}


def way_out(unmet: Unmet, *, next_url: str) -> dict:
    """One unmet requirement as a page shows it: the message and the links that fix it."""
    row: dict = {"message": unmet.message, "url": "", "ask_url": "", "renew_url": ""}
    if unmet.code.startswith("quota_"):
        kind = unmet.code.removeprefix("quota_")
        query = urlencode({"kind": kind, "next": next_url})
        row["ask_url"] = f"{reverse('portal:quota_request')}?{query}"
        row["renew_url"] = reverse("portal:agreement")
    elif unmet.fix_url_name:
        row["url"] = reverse(unmet.fix_url_name)
    return row


def eligibility_rows(per_quota: dict[str | None, list[Unmet]], *, next_url: str) -> list[dict]:
    """One row per kind of request: ready, or what is still missing for it alone (the
    shared requirements are listed once, above the rows)."""
    shared = {u.code for u in per_quota[None]}
    rows = []
    for kind, label in QUOTA_LABELS.items():
        own = [u for u in per_quota[kind] if u.code not in shared]
        rows.append(
            {
                "label": label,
                "ready": not per_quota[kind],
                "blocked_by_shared": bool(shared),
                "unmet": [way_out(u, next_url=next_url) for u in own],
            }
        )
    return rows
