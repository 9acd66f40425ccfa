"""The GitHub App's webhook endpoint, the only page of reviews outside the back office.

It is exempt from the login requirement and from CSRF — both protect sessions, and GitHub
has none — and authenticates every delivery by its HMAC signature instead
(``reviews.webhooks.webhook_receive``). POST only; it answers at once and queues the work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from reviews import webhooks

# GitHub caps payloads at 25 MB; the events used here are a few KB. A larger body is
# refused before it is read.
MAX_BODY_BYTES = 1024 * 1024


@csrf_exempt
@login_not_required
@require_POST
def github_webhook(request: HttpRequest) -> JsonResponse:
    length = request.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        return JsonResponse({"detail": "Payload too large."}, status=413)
    try:
        delivery, replayed = webhooks.webhook_receive(
            delivery_id=request.headers.get("X-GitHub-Delivery", ""),
            event=request.headers.get("X-GitHub-Event", ""),
            body=request.body,
            signature=request.headers.get("X-Hub-Signature-256", ""),
        )
    except webhooks.WebhookRefused as exc:
        return JsonResponse({"detail": exc.message}, status=exc.status)
    if replayed:
        return JsonResponse({"detail": "Already received; ignored."}, status=200)
    return JsonResponse({"detail": "Queued.", "status": delivery.status}, status=202)
