"""The certification requests, spread over every state and kind with the SLA fields,
reviewer, submission and closing dates their state implies, and what each one has: its
transition log (the path to its state), two documents, a finding when its state implies
one, a certificate when certified, and a notification of its last transition."""

from __future__ import annotations

import datetime as dt

from certifications.enums import DocumentType, RequestKind
from certifications.enums import RequestState as S
from certifications.models import Certificate, CertificationRequest, Document, TransitionLog
from certportal.models import Notification
from devtools.scale.shape import CLOSED, KIND_MIX, OPEN_REVIEW, PATHS, REVIEWERS, SHA, STATE_MIX
from devtools.scale.writers import copy_rows, next_id
from reviews.models import Finding

REQUEST_FIELDS = [
    "id",
    "integration",
    "version",
    "kind",
    "commit_sha",
    "state",
    "readme_confirmed",
    "checklist",
    "change_summary",
    "vendor_side_change",
    "assigned_reviewer",
    "created_by",
    "created_at",
    "updated_at",
    "submitted_at",
    "closed_at",
    "held_from",
    "sla_target_days",
    "sla_elapsed_seconds",
    "sla_running_since",
    "sla_due_at",
    "sla_reminders_sent",
    "deployment_date",
]
LOG_FIELDS = ["request", "actor", "transition", "from_state", "to_state", "comment", "at"]
DOCUMENT_FIELDS = [
    "request",
    "doc_type",
    "version",
    "file",
    "original_name",
    "content_type",
    "size",
    "sha256",
    "carried_over",
    "uploaded_by",
    "uploaded_at",
]
FINDING_FIELDS = [
    "request",
    "stage",
    "guideline",
    "category",
    "severity",
    "status",
    "title",
    "reviewer_note",
    "created_by",
    "created_at",
    "updated_at",
]
CERTIFICATE_FIELDS = [
    "request",
    "version",
    "commit_sha",
    "issued_at",
    "valid_until",
    "verification_code",
]
NOTIFICATION_FIELDS = [
    "recipient",
    "event",
    "critical",
    "subject",
    "body_text",
    "body_html",
    "link",
    "dedupe_key",
    "state",
    "attempts",
    "last_error",
    "created_at",
    "sent_at",
    "read_at",
]
PARTNER_ACTIONS = ("submit", "resubmit", "withdraw")


def seed_requests(
    *,
    now: dt.datetime,
    n_requests: int,
    integrations: tuple[int, int],
    per_partner: int,
    user0: int,
    reviewer_ids: list[int],
) -> dict[str, int]:
    """`n_requests` requests over the `integrations` (count, first id) in turn, created by
    their partner's admin (partner i's admin is user ``user0 + i``); returns the counts."""
    n_integrations, integration0 = integrations
    request0 = next_id(CertificationRequest)
    log_rows, doc_rows, finding_rows, cert_rows, notif_rows = [], [], [], [], []
    request_rows = []
    for r in range(n_requests):
        rid = request0 + r
        integration_index = r % n_integrations
        partner_index = integration_index // per_partner
        seq = r // n_integrations  # the integration's nth version
        state = STATE_MIX[(r * 7 + seq) % len(STATE_MIX)]
        kind = RequestKind.INITIAL if seq == 0 else KIND_MIX[(r + seq) % len(KIND_MIX)]
        created = now - dt.timedelta(days=700) + dt.timedelta(minutes=(r * 5) % 1_000_000)
        path = PATHS[state]
        submitted = created + dt.timedelta(days=1) if path else None
        closed = created + dt.timedelta(days=len(path) * 3) if state in CLOSED else None
        running = now - dt.timedelta(days=r % 9) if state in OPEN_REVIEW else None
        due = (
            now + dt.timedelta(days=10 - r % 15, hours=r % 24)
            if state in OPEN_REVIEW or state in (S.CHANGES_REQUESTED, S.ON_HOLD)
            else None
        )
        reviewer = reviewer_ids[r % REVIEWERS] if state not in (S.DRAFT,) else None
        admin_user = user0 + partner_index
        version = f"{seq + 1}.{r % 10}.0"
        request_rows.append(
            (
                rid,
                integration0 + integration_index,
                version,
                kind,
                SHA if path else "",
                state,
                True,
                {},
                "",
                False,
                reviewer,
                admin_user,
                created,
                created + dt.timedelta(days=len(path) * 3),
                submitted,
                closed,
                S.USER_TESTING if state == S.ON_HOLD else "",
                10,
                r % 5 * 3600,
                running,
                due,
                [],
                None,
            )
        )
        at = created
        for name, source, target in path:
            at = at + dt.timedelta(days=2, hours=r % 7)
            actor = admin_user if name in PARTNER_ACTIONS else reviewer
            log_rows.append((rid, actor, name, source, target, "", at))
        for doc_type in (DocumentType.USER_GUIDE, DocumentType.RELEASE_NOTES):
            doc_rows.append(
                (
                    rid,
                    doc_type,
                    1,
                    f"documents/{rid}/{doc_type}",
                    f"{doc_type}.pdf",
                    "application/pdf",
                    1024,
                    "0" * 64,
                    False,
                    admin_user,
                    created,
                )
            )
        if state in (S.CHANGES_REQUESTED, S.CODE_REVIEW, S.USER_TESTING, S.REJECTED) or (
            r % 5 == 0 and path
        ):
            status = "open" if state in (S.CHANGES_REQUESTED, S.USER_TESTING) else "verified"
            finding_rows.append(
                (
                    rid,
                    "user_testing",
                    None,
                    "functional",
                    "major",
                    status,
                    f"Finding on request {rid}",
                    "Steps to reproduce.",
                    reviewer,
                    at,
                    at,
                )
            )
        if state in (S.CERTIFIED, S.PUBLISHED):
            valid_until = closed + dt.timedelta(days=730)
            cert_rows.append((rid, version, SHA, closed, valid_until, f"scale{rid:012d}"))
        if path:
            notif_rows.append(
                (
                    admin_user,
                    f"request.{path[-1][0]}",
                    True,
                    f"Request {rid} moved",
                    f"Your request moved to {state}.",
                    "",
                    f"/portal/requests/{rid}/",
                    "",
                    "sent",
                    1,
                    "",
                    at,
                    at,
                    at if r % 3 else None,
                )
            )

    counts = {"requests": copy_rows(CertificationRequest, REQUEST_FIELDS, request_rows)}
    del request_rows
    counts["transition_log"] = copy_rows(TransitionLog, LOG_FIELDS, log_rows)
    counts["documents"] = copy_rows(Document, DOCUMENT_FIELDS, doc_rows)
    counts["findings"] = copy_rows(Finding, FINDING_FIELDS, finding_rows)
    counts["certificates"] = copy_rows(Certificate, CERTIFICATE_FIELDS, cert_rows)
    counts["notifications"] = copy_rows(Notification, NOTIFICATION_FIELDS, notif_rows)
    return counts
