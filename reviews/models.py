from __future__ import annotations

from django.conf import settings
from django.db import models

from certifications.models import TEXT_MAX_LENGTH
from reviews.enums import (
    DisputeState,
    FindingCategory,
    FindingSeverity,
    FindingStage,
    FindingStatus,
    ReplyKind,
)


class Finding(models.Model):
    """An issue a reviewer found, citing a guideline; the partner replies and marks it
    addressed, the reviewer verifies it."""

    request = models.ForeignKey(
        "certifications.CertificationRequest", on_delete=models.CASCADE, related_name="findings"
    )
    stage = models.CharField(max_length=16, choices=FindingStage.choices)
    guideline = models.ForeignKey(
        "certifications.Guideline",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    category = models.CharField(max_length=20, choices=FindingCategory.choices)
    severity = models.CharField(max_length=12, choices=FindingSeverity.choices)
    status = models.CharField(
        max_length=12, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    title = models.CharField(max_length=200)
    reviewer_note = models.TextField(max_length=TEXT_MAX_LENGTH)
    dispute_state = models.CharField(
        max_length=12, blank=True, default="", db_default="", choices=DisputeState.choices
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stage", "created_at", "id"]
        indexes = [
            models.Index(fields=["request", "stage", "status"], name="finding_req_stage_status")
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.title}"


class FindingReply(models.Model):
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=TEXT_MAX_LENGTH)
    at = models.DateTimeField(auto_now_add=True)
    # Internal notes are for reviewers only: partner pages, e-mails and the partner API
    # read replies through `reviews.selectors.partner_replies`, which leaves them out.
    # db_default too: bulk loaders (seed_scale) insert rows without these columns.
    kind = models.CharField(
        max_length=20, default="reply", db_default="reply", choices=ReplyKind.choices
    )
    internal = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["finding", "internal", "at"], name="reply_finding_int_at")]

    def __str__(self) -> str:
        return f"Reply to finding {self.finding_id}"


class GrantState(models.TextChoices):
    PENDING = "pending", "Pending"
    INVITED = "invited", "Invited (waiting for the reviewer to accept)"
    ACTIVE = "active", "Active"
    FAILED = "failed", "Failed"
    REVOKED = "revoked", "Revoked"


class GrantSource(models.TextChoices):
    CONFIGURED = "configured", "Vendor reviewer account"
    ASSIGNED = "assigned", "Assigned reviewer"


class RepoAccessGrant(models.Model):
    """Read access of one vendor GitHub login to an integration's repository.

    One row per (integration, login): access is to the repository, which all versions of
    the integration share. ``request`` is the request that last needed it. Only
    ``reviews.access`` writes these rows; partners and staff read them to see where
    access stands."""

    integration = models.ForeignKey(
        "certifications.Integration", on_delete=models.CASCADE, related_name="access_grants"
    )
    request = models.ForeignKey(
        "certifications.CertificationRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="access_grants",
    )
    github_login = models.CharField(max_length=39)
    source = models.CharField(
        max_length=16, choices=GrantSource.choices, default=GrantSource.CONFIGURED
    )
    permission = models.CharField(max_length=16, default="pull")
    state = models.CharField(max_length=16, choices=GrantState.choices, default=GrantState.PENDING)
    invitation_id = models.PositiveBigIntegerField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["integration_id", "github_login"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "github_login"], name="grant_unique_login_per_integration"
            )
        ]
        indexes = [models.Index(fields=["state", "last_checked_at"], name="grant_state_checked")]

    def __str__(self) -> str:
        return f"{self.github_login} → {self.integration_id} ({self.state})"


class IntakeReportStatus(models.TextChoices):
    PENDING = "pending", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Could not be produced"


class IntakeReport(models.Model):
    """The automated intake check of one commit of an integration's repository (for one
    version number, which the changelog rule looks for). Computed once: a second request for
    the same commit and version reads this row (see reviews.intake.services)."""

    integration = models.ForeignKey(
        "certifications.Integration", on_delete=models.CASCADE, related_name="intake_reports"
    )
    commit_sha = models.CharField(max_length=40)
    version = models.CharField(max_length=40)
    status = models.CharField(
        max_length=12, choices=IntakeReportStatus.choices, default=IntakeReportStatus.PENDING
    )
    repo_private = models.BooleanField(null=True)
    files_total = models.PositiveIntegerField(default=0)
    files_read = models.PositiveIntegerField(default=0)
    github_calls = models.PositiveIntegerField(default=0)
    limited = models.BooleanField(default=False)
    notes = models.JSONField(default=list, blank=True)
    error = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "commit_sha", "version"], name="intake_report_once"
            )
        ]

    def __str__(self) -> str:
        return f"Intake report {self.integration_id}@{self.commit_sha[:12]}"


class IntakeItemOutcome(models.TextChoices):
    PASS = "pass", "Passed"
    FAIL = "fail", "Found a problem"
    INFO = "info", "For information"


class IntakeReportItem(models.Model):
    """One result of one rule: a pass (with what it matched) or one problem, with file and
    line. A secret's value is never stored: ``excerpt`` holds the masked line and
    ``value_hash`` a keyed hash (to recognise the same secret across commits)."""

    report = models.ForeignKey(IntakeReport, on_delete=models.CASCADE, related_name="items")
    rule_id = models.CharField(max_length=40)
    guideline_code = models.CharField(max_length=16)
    severity = models.CharField(max_length=12)
    outcome = models.CharField(max_length=8, choices=IntakeItemOutcome.choices)
    path = models.CharField(max_length=400, blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)
    excerpt = models.CharField(max_length=200, blank=True)
    message = models.CharField(max_length=300, blank=True)
    value_hash = models.CharField(max_length=64, blank=True)
    finding = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.outcome} {self.path}"


class IntakeOverride(models.Model):
    """A reviewer let a request through intake despite the report's blockers, and why."""

    request = models.ForeignKey(
        "certifications.CertificationRequest",
        on_delete=models.CASCADE,
        related_name="intake_overrides",
    )
    report = models.ForeignKey(
        IntakeReport, null=True, on_delete=models.SET_NULL, related_name="overrides"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(max_length=TEXT_MAX_LENGTH)
    blockers = models.JSONField(default=list)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"Intake override on request {self.request_id}"


class WebhookStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One delivery of the GitHub App's webhook, as received (a summary, not the payload).
    ``delivery_id`` and the payload digest are unique: a replay is recognised and ignored."""

    delivery_id = models.CharField(max_length=64, unique=True)
    payload_sha256 = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=40)
    action = models.CharField(max_length=40, blank=True)
    repository_id = models.PositiveBigIntegerField(null=True, blank=True)
    repository_full_name = models.CharField(max_length=140, blank=True)
    integration = models.ForeignKey(
        "certifications.Integration",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_deliveries",
    )
    ref = models.CharField(max_length=255, blank=True)
    head_sha = models.CharField(max_length=40, blank=True)
    member_login = models.CharField(max_length=39, blank=True)
    status = models.CharField(
        max_length=12, choices=WebhookStatus.choices, default=WebhookStatus.QUEUED
    )
    outcome = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "GitHub webhook delivery"
        verbose_name_plural = "GitHub webhook deliveries"
        indexes = [
            models.Index(fields=["integration", "event", "-received_at"], name="webhook_int_event")
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.delivery_id}"


# --- Reviewers' workspace (issue 15) --------------------------------------------------------


class CannedResponse(models.Model):
    """A reviewer's stock text, offered on the reply form of findings that cite its
    guideline (or on every finding, without one)."""

    guideline = models.ForeignKey(
        "certifications.Guideline",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Offered on findings citing this guideline; empty: on every finding.",
    )
    title = models.CharField(max_length=120)
    body = models.TextField(max_length=TEXT_MAX_LENGTH)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["guideline__code", "title", "id"]

    def __str__(self) -> str:
        return self.title


class ReviewerProfile(models.Model):
    """What automatic assignment knows of a reviewer: the capacity a manager set (open
    requests at once; 0 keeps them out of automatic assignment), out-of-office dates and
    the partners they declared a conflict of interest with."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile"
    )
    capacity = models.PositiveSmallIntegerField(
        default=0,
        help_text="Open requests this reviewer takes at once (set by a partner manager); "
        "0 keeps them out of automatic assignment.",
    )
    away_from = models.DateField(null=True, blank=True)
    away_until = models.DateField(null=True, blank=True)
    conflicts = models.ManyToManyField(
        "partners.Partner",
        blank=True,
        related_name="+",
        help_text="Partners this reviewer declared a conflict of interest with.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(away_from__isnull=True)
                | models.Q(away_until__isnull=True)
                | models.Q(away_until__gte=models.F("away_from")),
                name="reviewerprofile_away_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"Reviewer profile of {self.user}"

    def is_away(self, on) -> bool:
        if self.away_from is None:
            return False
        return self.away_from <= on and (self.away_until is None or on <= self.away_until)


class ReviewRound(models.Model):
    """One round of review of a request: the commit the partner submitted (or resubmitted)
    and when. The request page compares a round with the one before it and with the
    integration's last certified commit."""

    request = models.ForeignKey(
        "certifications.CertificationRequest", on_delete=models.CASCADE, related_name="rounds"
    )
    number = models.PositiveSmallIntegerField()
    commit_sha = models.CharField(max_length=40, blank=True)
    transition = models.CharField(max_length=32)
    started_at = models.DateTimeField()

    class Meta:
        ordering = ["request_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["request", "number"], name="reviewround_unique_number")
        ]

    def __str__(self) -> str:
        return f"Round {self.number} of request {self.request_id}"


class CompareCache(models.Model):
    """GitHub's answer to comparing two commits of one repository, stored once per commit
    pair: commits never change, so neither does the answer (a missing commit is stored
    too, as a clear message)."""

    repo = models.CharField(max_length=140)
    base = models.CharField(max_length=40)
    head = models.CharField(max_length=40)
    ok = models.BooleanField(default=True)
    payload = models.JSONField(default=dict)
    fetched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repo", "base", "head"], name="comparecache_unique")
        ]

    def __str__(self) -> str:
        return f"{self.repo} {self.base[:7]}...{self.head[:7]}"


# The metrics summary's tables live beside the code that keeps them.
from reviews.metrics.models import (  # noqa: E402, F401
    MetricsCell,
    MetricsChange,
    MetricsFacts,
    MetricsState,
)
