"""GitHub's events instead of polling: the GitHub App's webhook deliveries, verified,
recorded once and acted on in a task.

``webhook_receive`` (called by the endpoint) checks the HMAC-SHA256 signature with
``GITHUB_WEBHOOK_SECRET``, ignores a replay (same delivery id, or the same signed payload
under a new id), stores a summary row and queues ``task_github_webhook`` after commit, so
GitHub gets its 2xx within milliseconds. ``webhook_process`` (the task) does the work:

* ``push`` to a branch or tag of a registered repository: the new commit is offered to the
  integration's drafts and its intake report is queued for each draft's version;
* ``repository`` made public, ``member`` removal of a vendor reviewer: staff are alerted
  and the repository's access reconciliation is queued at once.

The hourly access reconcile stays the safety net for a delivery that never arrives."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from certifications.enums import RequestState
from certifications.models import CertificationRequest, Integration
from certportal import roles
from certportal.errors import ProgramError
from certportal.links import link
from certportal.outbox import notify
from reviews.intake.services import intake_report_ensure
from reviews.models import GrantState, RepoAccessGrant, WebhookDelivery, WebhookStatus
from reviews.signals import webhook_delivery_queued

logger = logging.getLogger(__name__)

HANDLED_EVENTS = frozenset({"push", "repository", "member", "ping"})
_DELIVERY_RE = re.compile(r"^[0-9A-Za-z-]{1,64}$")
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")
_ZERO_SHA = "0" * 40


class WebhookRefused(ProgramError):
    """A delivery that cannot be accepted; ``status`` is the HTTP answer."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message, code="invalid")
        self.status = status


def signature_valid(*, body: bytes, header: str, secret: str) -> bool:
    """GitHub's ``X-Hub-Signature-256: sha256=<hex HMAC of the raw body>``, compared in
    constant time. No secret configured means nothing can be verified: refuse."""
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def _integration_for(repository: dict[str, Any]) -> Integration | None:
    repo_id = repository.get("id")
    full_name = str(repository.get("full_name") or "")
    query = Q(github_repo__iexact=full_name) if full_name else Q(pk__in=[])
    if isinstance(repo_id, int) and not isinstance(repo_id, bool):
        query |= Q(github_repo_id=repo_id)
    return Integration.objects.filter(query).order_by("pk").first()


def webhook_receive(
    *, delivery_id: str, event: str, body: bytes, signature: str
) -> tuple[WebhookDelivery, bool]:
    """Verify and record one delivery; returns (row, replayed). Raises WebhookRefused."""
    if not signature_valid(body=body, header=signature, secret=settings.GITHUB_WEBHOOK_SECRET):
        logger.warning("GitHub webhook delivery refused: bad or missing signature")
        raise WebhookRefused("The signature does not match.", status=401)
    if not _DELIVERY_RE.match(delivery_id or ""):
        raise WebhookRefused("The X-GitHub-Delivery header is missing.", status=400)
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise WebhookRefused("The payload is not JSON.", status=400) from exc
    if not isinstance(payload, dict):
        raise WebhookRefused("The payload is not a JSON object.", status=400)
    digest = hashlib.sha256(body).hexdigest()
    existing = WebhookDelivery.objects.filter(
        Q(delivery_id=delivery_id) | Q(payload_sha256=digest)
    ).first()
    if existing is not None:
        return existing, True
    repository = payload.get("repository") if isinstance(payload.get("repository"), dict) else {}
    integration = _integration_for(repository) if repository else None
    event = (event or "")[:40]
    action = str(payload.get("action") or "")[:40]
    ref = str(payload.get("ref") or "")[:255]
    # The commit a push leaves the ref at: for an annotated tag "after" is the tag object,
    # so prefer the head commit's id.
    head_commit = payload.get("head_commit") if isinstance(payload.get("head_commit"), dict) else {}
    head = (
        str(head_commit.get("id") or payload.get("after") or "").lower() if event == "push" else ""
    )
    member = payload.get("member") if isinstance(payload.get("member"), dict) else {}
    handled = event in HANDLED_EVENTS and integration is not None
    row = WebhookDelivery(
        delivery_id=delivery_id,
        payload_sha256=digest,
        event=event,
        action=action,
        repository_id=repository.get("id") if isinstance(repository.get("id"), int) else None,
        repository_full_name=str(repository.get("full_name") or "")[:140],
        integration=integration,
        ref=ref,
        head_sha=head if _SHA_RE.match(head) and head != _ZERO_SHA else "",
        member_login=str(member.get("login") or "")[:39],
        status=WebhookStatus.QUEUED if handled else WebhookStatus.IGNORED,
        outcome=""
        if handled
        else ("Not a registered repository." if integration is None else "Event not used."),
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # the same delivery arrived twice at once
        return WebhookDelivery.objects.get(
            Q(delivery_id=delivery_id) | Q(payload_sha256=digest)
        ), True
    if handled:
        pk = row.pk
        transaction.on_commit(
            lambda: webhook_delivery_queued.send(sender=WebhookDelivery, delivery_pk=pk)
        )
    return row, False


def _staff() -> list[Any]:
    return [*roles.staff_in(roles.REVIEWER), *roles.staff_in(roles.PARTNER_MANAGER)]


def _alert(delivery: WebhookDelivery, *, event: str, subject: str, message: str) -> None:
    notify(
        recipients=_staff(),
        event=event,
        subject=subject,
        context={"message": message},
        link=link("admin:reviews_webhookdelivery_change", delivery.pk),
        critical=True,
    )


def _reviewer_logins(integration_id: int) -> set[str]:
    logins = {login.casefold() for login in settings.GITHUB_REVIEWER_LOGINS}
    logins |= {
        login.casefold()
        for login in RepoAccessGrant.objects.filter(integration_id=integration_id)
        .exclude(state=GrantState.REVOKED)
        .values_list("github_login", flat=True)
    }
    return logins


def _on_push(delivery: WebhookDelivery) -> tuple[str, bool]:
    if not delivery.head_sha:
        return "No new commit (a deleted branch or tag).", False
    drafts = list(
        CertificationRequest.objects.filter(
            integration_id=delivery.integration_id, state=RequestState.DRAFT
        ).select_related("integration")
    )
    for draft in drafts:
        intake_report_ensure(
            integration=draft.integration, commit_sha=delivery.head_sha, version=draft.version
        )
    if not drafts:
        return f"Commit {delivery.head_sha[:12]} recorded; no draft to offer it to.", False
    return (
        f"Commit {delivery.head_sha[:12]} offered to {len(drafts)} draft(s); report queued.",
        False,
    )


def _on_repository(delivery: WebhookDelivery) -> tuple[str, bool]:
    if delivery.action != "publicized":
        return f"Repository {delivery.action or 'event'}: nothing to do.", False
    name = delivery.repository_full_name
    _alert(
        delivery,
        event="repository_public",
        subject=f"Repository {name} was made public",
        message=f"The partner repository {name} is now public on GitHub. The program requires "
        "a private repository: intake reports of its commits block intake. Access is being "
        "reconciled now.",
    )
    return "Made public: staff alerted, access reconciliation queued.", True


def _on_member(delivery: WebhookDelivery) -> tuple[str, bool]:
    login = delivery.member_login
    if delivery.action != "removed" or login.casefold() not in _reviewer_logins(
        delivery.integration_id
    ):
        return "Member change that does not concern a vendor reviewer.", False
    name = delivery.repository_full_name
    _alert(
        delivery,
        event="reviewer_access_removed",
        subject=f"Reviewer {login} was removed from {name}",
        message=f"The vendor reviewer {login} was removed from the repository {name}. The "
        "access reconciliation runs now and will invite the reviewer again while a review "
        "needs it.",
    )
    return f"Reviewer {login} removed: staff alerted, access reconciliation queued.", True


HANDLERS = {"push": _on_push, "repository": _on_repository, "member": _on_member}


@dataclass(frozen=True)
class WebhookResult:
    """What processing did: the delivery row, and whether the repository's access must be
    reconciled now (the task queues that sync; this module cannot import the tasks)."""

    delivery: WebhookDelivery | None
    sync_access: bool = False


def webhook_process(*, delivery_pk: int) -> WebhookResult:
    """Act on one recorded delivery (the task's work); a processed one is left alone."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_pk).first()
        if delivery is None or delivery.status != WebhookStatus.QUEUED:
            return WebhookResult(delivery)
        handler = HANDLERS.get(delivery.event)
        outcome, sync = (
            handler(delivery) if handler and delivery.integration_id else ("Acknowledged.", False)
        )
        delivery.status = WebhookStatus.PROCESSED
        delivery.outcome = outcome[:300]
        delivery.processed_at = timezone.now()
        delivery.save(update_fields=["status", "outcome", "processed_at"])
    return WebhookResult(delivery, sync_access=sync)
