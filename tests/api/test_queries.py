"""The API's lists and details cost the same number of SQL queries with 10 rows as with
500 (requests, documents, the timeline, findings), within a small budget."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certifications.models import CertificationRequest, Document, TransitionLog
from reviews.models import Finding
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

BUDGET = 14


def count(api, path: str) -> int:
    api.get(path)  # the token's last-use write happens once a minute, not per call
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path)
    assert response.status_code == 200, (path, response.content[:300])
    return len(ctx.captured_queries)


def grow(req, integration, n: int) -> None:
    """Bring the partner to `n` requests, and `req` to `n` documents, log rows and findings."""
    have = CertificationRequest.objects.filter(integration__partner=integration.partner).count()
    CertificationRequest.objects.bulk_create(
        CertificationRequest(integration=integration, version=f"9.{i}") for i in range(have, n)
    )
    now = timezone.now()
    start = req.documents.count()
    Document.objects.bulk_create(
        Document(
            request=req,
            doc_type="other",
            version=100 + i,
            file=f"documents/x/{i}",
            original_name=f"d{i}.pdf",
            content_type="application/pdf",
            size=1,
            sha256="0" * 64,
        )
        for i in range(start, n)
    )
    TransitionLog.objects.bulk_create(
        TransitionLog(request=req, transition="hold", from_state="draft", to_state="draft", at=now)
        for _ in range(req.log.count(), n)
    )
    Finding.objects.bulk_create(
        Finding(
            request=req,
            stage="intake",
            category="functional",
            severity="minor",
            title=f"F{i}",
            reviewer_note="n",
        )
        for i in range(req.findings.count(), n)
    )


def test_api_list_and_detail_are_flat_with_rows(api, draft, integration, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    IntegrationFactory(partner=integration.partner, name="Second")
    paths = {
        "request_list": "requests?limit=100",
        "request_detail": f"requests/{draft.pk}",
        "status": f"requests/{draft.pk}/status",
        "findings": f"requests/{draft.pk}/findings",
        "integrations": "integrations",
    }
    counts = {}
    for rows in (10, 500):
        grow(draft, integration, rows)
        counts[rows] = {name: count(api, path) for name, path in paths.items()}
    assert counts[10] == counts[500], counts
    assert max(counts[500].values()) <= BUDGET, counts
