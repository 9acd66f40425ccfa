"""Bulk, realistic program data for performance work (PostgreSQL only).

    python manage.py seed_scale --partners 2000 --requests 200000

Writes partners with an approved business review, support plan, an active paid agreement
and an admin user each; integrations; requests spread over every state and kind (with the
SLA fields, reviewer, submission and closing dates their state implies); documents;
findings; about five transition-log rows per request; certificates for certified
versions; notifications. Rows go in with PostgreSQL COPY and explicit ids, so 200,000
requests take a minute or two. Scale rows are recognisable by the ``scale-`` slug and
username prefix. Running it again with the same size does nothing; another size on the
same database is refused (use a fresh database per size, as ``bench`` does)."""

from __future__ import annotations

import datetime as dt
import io
import json
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from certifications.enums import DocumentType, ProductArea, RequestKind
from certifications.enums import RequestState as S
from certifications.models import (
    Certificate,
    CertificationRequest,
    Document,
    Integration,
    TransitionLog,
)
from certportal import roles
from certportal.models import Notification
from devtools.models import BenchRow
from partners.models import Agreement, BusinessReview, Membership, Partner, Payment, SupportPlan
from reviews.models import Finding

PREFIX = "scale-"
REVIEWERS = 10
SHA = "a" * 40

# The transitions that lead to each state (the log the request would have), built from
# the shared beginnings of the paths.
_SUBMIT = [("submit", S.DRAFT, S.SUBMITTED)]
_INTAKE = [*_SUBMIT, ("intake_ok", S.SUBMITTED, S.USER_TESTING)]
_TO_CODE_REVIEW = [
    *_INTAKE,
    ("ut_changes", S.USER_TESTING, S.CHANGES_REQUESTED),
    ("resubmit", S.CHANGES_REQUESTED, S.USER_TESTING),
    ("ut_pass", S.USER_TESTING, S.CODE_REVIEW),
]
_CR_CHANGES = [
    *_INTAKE,
    ("ut_pass", S.USER_TESTING, S.CODE_REVIEW),
    ("cr_changes", S.CODE_REVIEW, S.CHANGES_REQUESTED),
]
_CERTIFIED = [*_TO_CODE_REVIEW, ("cr_pass", S.CODE_REVIEW, S.CERTIFIED)]
PATHS: dict[str, list[tuple[str, str, str]]] = {
    S.DRAFT: [],
    S.SUBMITTED: _SUBMIT,
    S.USER_TESTING: _INTAKE,
    S.CODE_REVIEW: _TO_CODE_REVIEW,
    S.CHANGES_REQUESTED: _CR_CHANGES,
    S.ON_HOLD: [*_INTAKE, ("hold", S.USER_TESTING, S.ON_HOLD)],
    S.CERTIFIED: _CERTIFIED,
    S.PUBLISHED: [*_CERTIFIED, ("publish", S.CERTIFIED, S.PUBLISHED)],
    S.WITHDRAWN: [
        *_SUBMIT,
        ("intake_incomplete", S.SUBMITTED, S.CHANGES_REQUESTED),
        ("withdraw", S.CHANGES_REQUESTED, S.WITHDRAWN),
    ],
    S.REJECTED: [
        *_CR_CHANGES,
        ("resubmit", S.CHANGES_REQUESTED, S.USER_TESTING),
        ("reject", S.USER_TESTING, S.REJECTED),
    ],
}
# A program in steady state: most history is certified/published, a working set is open.
STATE_MIX = (
    [S.PUBLISHED] * 6
    + [S.CERTIFIED] * 3
    + [S.CODE_REVIEW, S.USER_TESTING, S.SUBMITTED, S.CHANGES_REQUESTED, S.DRAFT]
    + [S.ON_HOLD, S.WITHDRAWN, S.REJECTED]
)
KIND_MIX = [RequestKind.MINOR, RequestKind.MAJOR, RequestKind.MINOR, RequestKind.DOCS]
AREAS = list(ProductArea.values)
OPEN_REVIEW = {S.SUBMITTED, S.USER_TESTING, S.CODE_REVIEW}


def _cell(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    elif isinstance(value, (dt.datetime, dt.date)):
        value = value.isoformat()
    text = str(value)
    if any(ch in text for ch in "\\\t\n\r"):
        text = (
            text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "")
        )
    return text


def copy_rows(model, fields: list[str], rows) -> int:
    """COPY ``rows`` (tuples in ``fields`` order) into ``model``'s table; returns the count."""
    columns = [model._meta.get_field(name).column for name in fields]
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write("\t".join(_cell(v) for v in row))
        buffer.write("\n")
        count += 1
    buffer.seek(0)
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({cols}) FROM STDIN", buffer)
    return count


def _next_id(model) -> int:
    return (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1


def _reset_sequence(model) -> None:
    """Point the id sequence past the explicit ids COPY wrote (Django's own statement)."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)


def scale_counts() -> tuple[int, int]:
    partners = Partner.objects.filter(slug__startswith=PREFIX).count()
    requests = CertificationRequest.objects.filter(
        integration__partner__slug__startswith=PREFIX
    ).count()
    return partners, requests


def ensure_bench_rows(count: int = 50) -> None:
    missing = count - BenchRow.objects.count()
    if missing > 0:
        start = BenchRow.objects.count()
        BenchRow.objects.bulk_create(
            BenchRow(name=f"Row {start + i + 1}", value=(start + i + 1) * 7) for i in range(missing)
        )


class Command(BaseCommand):
    help = "Bulk-load realistic program data (PostgreSQL; idempotent per size)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--partners", type=int, default=2000)
        parser.add_argument("--requests", type=int, default=200000)
        parser.add_argument("--integrations-per-partner", type=int, default=10)

    def handle(self, *args, **opts) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale needs PostgreSQL (it loads rows with COPY).")
        n_partners, n_requests = opts["partners"], opts["requests"]
        per_partner = max(1, opts["integrations_per_partner"])
        if n_partners < 1 or n_requests < n_partners:
            raise CommandError("Need at least one partner and one request per partner.")
        ensure_bench_rows()
        have = scale_counts()
        if have == (n_partners, n_requests):
            self.stdout.write(f"Already seeded: {n_partners} partners, {n_requests} requests.")
            return
        if have != (0, 0):
            raise CommandError(
                f"This database already holds scale data of another size {have}; "
                "use a fresh database per size."
            )
        started = time.monotonic()
        with transaction.atomic():
            counts = self._seed(n_partners, n_requests, per_partner)
        for model in (
            get_user_model(),
            Partner,
            Membership,
            BusinessReview,
            SupportPlan,
            Agreement,
            Payment,
            Integration,
            CertificationRequest,
            TransitionLog,
            Document,
            Finding,
            Certificate,
            Notification,
        ):
            _reset_sequence(model)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        summary = ", ".join(f"{v} {k}" for k, v in counts.items())
        self.stdout.write(f"Seeded {summary} in {time.monotonic() - started:.0f}s.")

    # ------------------------------------------------------------------------------------

    def _staff(self) -> list:
        User = get_user_model()
        reviewer_group = Group.objects.get(name=roles.REVIEWER)
        manager_group = Group.objects.get(name=roles.PARTNER_MANAGER)
        reviewers = []
        for i in range(1, REVIEWERS + 1):
            user, _ = User.objects.get_or_create(
                username=f"{PREFIX}reviewer-{i:02d}",
                defaults={"is_staff": True, "email": f"reviewer{i}@scale.example"},
            )
            user.groups.add(reviewer_group)
            reviewers.append(user)
        manager, _ = User.objects.get_or_create(
            username=f"{PREFIX}manager", defaults={"is_staff": True, "email": "m@scale.example"}
        )
        manager.groups.add(manager_group)
        # Only the benchmark's stock-admin peer logs in as this one.
        User.objects.get_or_create(
            username=f"{PREFIX}superuser",
            defaults={"is_staff": True, "is_superuser": True, "email": "su@scale.example"},
        )
        return reviewers

    def _seed(self, n_partners: int, n_requests: int, per_partner: int) -> dict[str, int]:
        User = get_user_model()
        now = timezone.now()
        today = now.date()
        reviewers = self._staff()
        reviewer_ids = [r.pk for r in reviewers]
        counts: dict[str, int] = {}

        user0, partner0 = _next_id(User), _next_id(Partner)
        counts["partners"] = copy_rows(
            Partner,
            [
                "id",
                "name",
                "slug",
                "website",
                "standing",
                "standing_since",
                "standing_note",
                "created_at",
            ],
            (
                (
                    partner0 + i,
                    f"Scale Partner {i + 1:05d}",
                    f"{PREFIX}{i + 1:05d}",
                    "https://partner.example",
                    "good",
                    today,
                    "",
                    now - dt.timedelta(days=900),
                )
                for i in range(n_partners)
            ),
        )
        copy_rows(
            User,
            [
                "id",
                "password",
                "is_superuser",
                "username",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
            ],
            (
                (
                    user0 + i,
                    "!",
                    False,
                    f"{PREFIX}admin-{i + 1:05d}",
                    "Admin",
                    f"{i + 1}",
                    f"admin{i + 1}@partner{i + 1}.example",
                    False,
                    True,
                    now,
                )
                for i in range(n_partners)
            ),
        )
        copy_rows(
            Membership,
            ["user", "partner", "role", "created_at"],
            ((user0 + i, partner0 + i, "admin", now) for i in range(n_partners)),
        )
        copy_rows(
            BusinessReview,
            [
                "partner",
                "use_cases",
                "workflows",
                "joint_solutions",
                "state",
                "manager_comments",
                "submitted_at",
                "decided_at",
                "updated_at",
            ],
            (
                (
                    partner0 + i,
                    "Lecture capture.",
                    "Upload, caption, publish.",
                    "Joint LMS.",
                    "approved",
                    "",
                    now,
                    now,
                    now,
                )
                for i in range(n_partners)
            ),
        )
        copy_rows(
            SupportPlan,
            [
                "partner",
                "partner_contact_name",
                "partner_contact_email",
                "partner_contact_phone",
                "partner_contact_hours",
                "technical_contact_name",
                "technical_contact_email",
                "vendor_contact_name",
                "vendor_contact_email",
                "vendor_contact_phone",
                "vendor_contact_hours",
                "support_tool_url",
                "vendor_access_instructions",
                "response_critical_hours",
                "response_high_hours",
                "response_normal_hours",
                "response_low_hours",
                "updated_at",
            ],
            (
                (
                    partner0 + i,
                    "Support",
                    "support@partner.example",
                    "",
                    "9-5",
                    "Tech",
                    "tech@partner.example",
                    "",
                    "",
                    "",
                    "",
                    "https://support.partner.example",
                    "Open a ticket.",
                    4,
                    8,
                    24,
                    72,
                    now,
                )
                for i in range(n_partners)
            ),
        )
        agreement0 = _next_id(Agreement)
        fee = Agreement._meta.get_field("fee").get_default()
        copy_rows(
            Agreement,
            [
                "id",
                "partner",
                "term_start",
                "term_end",
                "fee",
                "currency",
                "major_quota",
                "minor_quota",
                "marketing_credit",
                "state",
                "legal_name",
                "billing_contact_name",
                "billing_contact_email",
                "billing_address",
                "purchase_order",
                "notes",
                "payment_instructions",
                "document_url",
                "requested_at",
                "sent_at",
                "signed_at",
                "activated_at",
                "reminders_sent",
            ],
            (
                (
                    agreement0 + i,
                    partner0 + i,
                    today - dt.timedelta(days=100),
                    today + dt.timedelta(days=265),
                    fee,
                    "USD",
                    400,
                    600,
                    1500,
                    "active",
                    f"Scale Partner {i + 1:05d} Ltd",
                    "Billing",
                    "billing@partner.example",
                    "1 Main St",
                    "",
                    "",
                    "",
                    "",
                    now,
                    now,
                    now,
                    now,
                    [],
                )
                for i in range(n_partners)
            ),
        )
        copy_rows(
            Payment,
            ["agreement", "amount", "paid_on", "reference", "recorded_at"],
            ((agreement0 + i, fee, today, f"INV-{i + 1}", now) for i in range(n_partners)),
        )

        n_integrations = n_partners * per_partner
        integration0 = _next_id(Integration)
        counts["integrations"] = copy_rows(
            Integration,
            ["id", "partner", "name", "product_area", "github_repo", "description", "created_at"],
            (
                (
                    integration0 + k,
                    partner0 + k // per_partner,
                    f"Integration {k % per_partner + 1}",
                    AREAS[k % len(AREAS)],
                    f"scale-{k // per_partner + 1}/repo-{k % per_partner + 1}",
                    "",
                    now - dt.timedelta(days=800),
                )
                for k in range(n_integrations)
            ),
        )

        request0 = _next_id(CertificationRequest)
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
            closed = (
                created + dt.timedelta(days=len(path) * 3)
                if state in (S.CERTIFIED, S.PUBLISHED, S.WITHDRAWN, S.REJECTED)
                else None
            )
            running = now - dt.timedelta(days=r % 9) if state in OPEN_REVIEW else None
            due = (
                now + dt.timedelta(days=10 - r % 15, hours=r % 24)
                if state in OPEN_REVIEW or state in (S.CHANGES_REQUESTED, S.ON_HOLD)
                else None
            )
            reviewer = reviewer_ids[r % REVIEWERS] if state not in (S.DRAFT,) else None
            admin_user = user0 + partner_index
            request_rows.append(
                (
                    rid,
                    integration0 + integration_index,
                    f"{seq + 1}.{r % 10}.0",
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
                actor = admin_user if name in ("submit", "resubmit", "withdraw") else reviewer
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
                open_ = state in (S.CHANGES_REQUESTED, S.USER_TESTING)
                finding_rows.append(
                    (
                        rid,
                        "user_testing",
                        None,
                        "functional",
                        "major",
                        "open" if open_ else "verified",
                        f"Finding on request {rid}",
                        "Steps to reproduce.",
                        reviewer,
                        at,
                        at,
                    )
                )
            if state in (S.CERTIFIED, S.PUBLISHED):
                cert_rows.append(
                    (
                        rid,
                        f"{seq + 1}.{r % 10}.0",
                        SHA,
                        closed,
                        closed + dt.timedelta(days=730),
                        f"scale{rid:012d}",
                    )
                )
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

        counts["requests"] = copy_rows(
            CertificationRequest,
            [
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
            ],
            request_rows,
        )
        del request_rows
        counts["transition_log"] = copy_rows(
            TransitionLog,
            ["request", "actor", "transition", "from_state", "to_state", "comment", "at"],
            log_rows,
        )
        counts["documents"] = copy_rows(
            Document,
            [
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
            ],
            doc_rows,
        )
        counts["findings"] = copy_rows(
            Finding,
            [
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
            ],
            finding_rows,
        )
        counts["certificates"] = copy_rows(
            Certificate,
            ["request", "version", "commit_sha", "issued_at", "valid_until", "verification_code"],
            cert_rows,
        )
        counts["notifications"] = copy_rows(
            Notification,
            [
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
            ],
            notif_rows,
        )
        return counts
