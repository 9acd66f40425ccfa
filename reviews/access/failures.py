"""Making GitHub problems visible on the grant rows, where staff and partners look.

Permanent problems (public repo, missing README or commit, 403/404/422) fail the grants and
notify the people who can fix them; temporary ones only annotate grants still waiting.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction
from django.utils import timezone

from certifications.enums import OPEN_STATES
from certifications.models import Integration
from certportal import pagecache
from certportal.links import link
from certportal.outbox import notify
from partners import services as partner_services
from reviews.access.desired import _open_requests, _save
from reviews.models import GrantState, RepoAccessGrant


def _fail(grant: RepoAccessGrant, reason: str, now: dt.datetime) -> bool:
    """Mark one grant failed; True when this is news (state or reason changed)."""
    changed = grant.state != GrantState.FAILED or grant.last_error != reason
    _save(grant, now=now, state=GrantState.FAILED, last_error=reason)
    return changed


def repo_access_mark_failed(
    *,
    integration: Integration,
    reason: str,
    notify_staff: bool = False,
    now: dt.datetime | None = None,
) -> int:
    """Record a permanent GitHub problem on the integration's live grants.

    Side effects: grants (not revoked) become failed with ``reason`` as last_error; when
    that is news, partner admins and the assigned reviewers get a ``github_access_failed``
    notification (partner managers too with ``notify_staff``, e.g. a public repository
    breaks a program rule).
    Returns the number of grants newly failed."""
    now = now or timezone.now()
    with transaction.atomic():
        grants = list(
            RepoAccessGrant.objects.select_for_update()
            .filter(integration=integration)
            .exclude(state=GrantState.REVOKED)
        )
        changed = sum(1 for grant in grants if _fail(grant, reason, now))
        if not changed:
            return 0
        request = _open_requests(integration).select_related("assigned_reviewer").first()
        recipients = list(partner_services.partner_admins(integration.partner_id))
        recipients += [
            r.assigned_reviewer
            for r in integration.requests.filter(
                state__in=OPEN_STATES, assigned_reviewer__isnull=False
            ).select_related("assigned_reviewer")
        ]
        if notify_staff:
            recipients += partner_services.partner_managers()
        digest = hashlib.sha256(reason.encode()).hexdigest()[:16]
        notify(
            recipients=recipients,
            event="github_access_failed",
            subject=f"{integration}: reviewers could not get access to the GitHub repository",
            context={"integration": integration, "request": request, "message": reason},
            link=link("portal:request_detail", request.pk) if request else "",
            dedupe_key=f"github-access-failed:{integration.pk}:{digest}:{now:%Y%m%d}",
        )
    return changed


def repo_access_record_transient(*, integration_id: int, error: str) -> None:
    """Keep the latest temporary GitHub problem visible on grants still waiting."""
    changed = RepoAccessGrant.objects.filter(
        integration_id=integration_id, state__in=[GrantState.PENDING, GrantState.INVITED]
    ).update(last_error=error[:2000], last_checked_at=timezone.now())
    if changed:  # update() sends no signal: the pages showing grants must be redrawn
        partner_id = (
            Integration.objects.filter(pk=integration_id)
            .values_list("partner_id", flat=True)
            .first()
        )
        pagecache.bump("program", f"partner:{partner_id}" if partner_id else "global")
