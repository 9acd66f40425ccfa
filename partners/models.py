from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from certportal.search import trigram_index
from partners import permissions
from partners.enums import (
    REVIEW_EDITABLE_STATES,
    AgreementState,
    BusinessReviewState,
    MemberRole,
    QuotaEntryKind,
    QuotaKind,
    Standing,
)


def _default_fee() -> Decimal:
    return Decimal(settings.PROGRAM_FEE_USD)


def _default_major() -> int:
    return settings.PROGRAM_MAJOR_QUOTA


def _default_minor() -> int:
    return settings.PROGRAM_MINOR_QUOTA


def _default_credit() -> Decimal:
    return Decimal(settings.PROGRAM_MARKETING_CREDIT_USD)


# Free-text caps (issue 20: a 100,000-character reply was accepted). Enforced by the forms
# and the admin, which take max_length from these fields; the column stays unbounded text.
NOTE_MAX_LENGTH = 2_000  # a comment, a reason, a note
TEXT_MAX_LENGTH = 10_000  # prose: descriptions, review sections, replies


class Partner(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    website = models.URLField(blank=True)
    standing = models.CharField(max_length=16, choices=Standing.choices, default=Standing.GOOD)
    standing_since = models.DateField(default=dt.date.today)
    standing_note = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        # The review queue searches partners by name (name__icontains): issue 19.
        indexes = [trigram_index("name", name="partner_name_trgm")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=MemberRole.choices, default=MemberRole.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "partner"], name="membership_unique_user_partner"
            )
        ]
        ordering = ["partner__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner} ({self.role})"


class BusinessReview(ConcurrentTransitionMixin, models.Model):
    """Use cases, workflows and joint-customer solutions agreed with Partner and Product
    Management; approved by a partner manager before any certification."""

    partner = models.OneToOneField(
        Partner, on_delete=models.CASCADE, related_name="business_review"
    )
    use_cases = models.TextField(max_length=TEXT_MAX_LENGTH)
    workflows = models.TextField(max_length=TEXT_MAX_LENGTH)
    joint_solutions = models.TextField(
        max_length=TEXT_MAX_LENGTH, help_text="Solutions planned for joint customers."
    )
    state = FSMField(
        choices=BusinessReviewState.choices, default=BusinessReviewState.DRAFT, protected=True
    )
    manager_comments = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Business review of {self.partner}"

    @transition(
        field=state,
        source=list(REVIEW_EDITABLE_STATES),
        target=BusinessReviewState.SUBMITTED,
        permission=permissions.can_edit_partner_program,
    )
    def submit(self, *, at: dt.datetime) -> None:
        self.submitted_at = at

    @transition(
        field=state,
        source=BusinessReviewState.SUBMITTED,
        target=BusinessReviewState.APPROVED,
        permission=permissions.can_manage_program,
    )
    def approve(self, *, by, at: dt.datetime, comment: str = "") -> None:
        self.decided_at, self.decided_by = at, by
        self.manager_comments = comment

    @transition(
        field=state,
        source=BusinessReviewState.SUBMITTED,
        target=BusinessReviewState.RETURNED,
        permission=permissions.can_manage_program,
    )
    def return_for_changes(self, *, by, at: dt.datetime, comment: str) -> None:
        self.decided_at, self.decided_by = at, by
        self.manager_comments = comment


class SupportPlan(models.Model):
    """The support escalation plan: contacts on both sides and how vendor support reaches
    the partner's support tool."""

    partner = models.OneToOneField(Partner, on_delete=models.CASCADE, related_name="support_plan")
    partner_contact_name = models.CharField("Partner escalation contact", max_length=120)
    partner_contact_email = models.EmailField("Partner escalation e-mail")
    partner_contact_phone = models.CharField("Partner escalation phone", max_length=40, blank=True)
    partner_contact_hours = models.CharField(
        "Partner support hours", max_length=120, help_text="e.g. Mon–Fri 08:00–18:00 CET"
    )
    technical_contact_name = models.CharField("Technical-issue contact", max_length=120)
    technical_contact_email = models.EmailField("Technical-issue e-mail")
    vendor_contact_name = models.CharField("Vendor escalation contact", max_length=120, blank=True)
    vendor_contact_email = models.EmailField("Vendor escalation e-mail", blank=True)
    vendor_contact_phone = models.CharField("Vendor escalation phone", max_length=40, blank=True)
    vendor_contact_hours = models.CharField("Vendor support hours", max_length=120, blank=True)
    support_tool_url = models.URLField("Partner support tool URL")
    vendor_access_instructions = models.TextField(
        "How vendor support gets access",
        max_length=NOTE_MAX_LENGTH,
        help_text="Accounts, SSO group or process to request access.",
    )
    response_critical_hours = models.PositiveSmallIntegerField(
        "First response, critical (hours)", default=4
    )
    response_high_hours = models.PositiveSmallIntegerField(
        "First response, high (hours)", default=8
    )
    response_normal_hours = models.PositiveSmallIntegerField(
        "First response, normal (hours)", default=24
    )
    response_low_hours = models.PositiveSmallIntegerField("First response, low (hours)", default=72)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Support plan of {self.partner}"


class Agreement(ConcurrentTransitionMixin, models.Model):
    """One annual certification agreement: fee, included quotas and marketing credit."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="agreements")
    term_start = models.DateField()
    term_end = models.DateField()
    fee = models.DecimalField(max_digits=10, decimal_places=2, default=_default_fee)
    currency = models.CharField(max_length=3, default="USD")
    major_quota = models.PositiveSmallIntegerField(default=_default_major)
    minor_quota = models.PositiveSmallIntegerField(default=_default_minor)
    marketing_credit = models.DecimalField(max_digits=10, decimal_places=2, default=_default_credit)
    state = FSMField(
        choices=AgreementState.choices, default=AgreementState.REQUESTED, protected=True
    )
    # The agreement-change form
    legal_name = models.CharField(max_length=200)
    billing_contact_name = models.CharField(max_length=120)
    billing_contact_email = models.EmailField()
    billing_address = models.TextField(max_length=NOTE_MAX_LENGTH)
    purchase_order = models.CharField(max_length=80, blank=True)
    notes = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    # Set by the vendor when sending
    payment_instructions = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    document_url = models.URLField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    renewal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewed_by"
    )
    # Reminders already sent (days before expiry), so each threshold is sent once.
    reminders_sent = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-term_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "term_start"],
                condition=~Q(state=AgreementState.CANCELLED),
                name="agreement_one_per_partner_term",
            ),
            models.CheckConstraint(
                condition=Q(term_end__gt=models.F("term_start")), name="agreement_term_positive"
            ),
        ]
        indexes = [models.Index(fields=["state", "term_end"], name="agreement_state_end")]

    def __str__(self) -> str:
        return f"{self.partner} {self.term_start:%Y-%m-%d}–{self.term_end:%Y-%m-%d}"

    def paid_total(self) -> Decimal:
        return self.payments.aggregate(total=models.Sum("amount"))["total"] or Decimal("0")

    def is_paid(self) -> bool:
        return self.paid_total() >= self.fee

    @transition(
        field=state,
        source=AgreementState.REQUESTED,
        target=AgreementState.SENT,
        permission=permissions.can_manage_program,
    )
    def send(self, *, at: dt.datetime, payment_instructions: str, document_url: str = "") -> None:
        self.sent_at = at
        self.payment_instructions = payment_instructions
        self.document_url = document_url

    @transition(
        field=state,
        source=AgreementState.SENT,
        target=AgreementState.SIGNED,
        permission=permissions.can_manage_program,
    )
    def mark_signed(self, *, at: dt.datetime) -> None:
        self.signed_at = at

    @transition(
        field=state,
        source=AgreementState.SIGNED,
        target=AgreementState.ACTIVE,
        conditions=[is_paid],
        permission=permissions.can_manage_program,
    )
    def activate(self, *, at: dt.datetime) -> None:
        self.activated_at = at

    @transition(
        field=state,
        source=AgreementState.ACTIVE,
        target=AgreementState.EXPIRED,
        permission=permissions.can_manage_program,
    )
    def expire(self, *, at: dt.datetime) -> None:
        self.closed_at = at

    @transition(
        field=state,
        source=[
            AgreementState.REQUESTED,
            AgreementState.SENT,
            AgreementState.SIGNED,
            AgreementState.ACTIVE,
        ],
        target=AgreementState.CANCELLED,
        permission=permissions.can_manage_program,
    )
    def cancel(self, *, at: dt.datetime) -> None:
        self.closed_at = at


class Payment(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    paid_on = models.DateField()
    reference = models.CharField(max_length=120)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paid_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive")]

    def __str__(self) -> str:
        return f"{self.amount} on {self.paid_on} ({self.reference})"


class MarketingActivity(models.Model):
    """Draws on the agreement's marketing credit; the service refuses to exceed it."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.PROTECT, related_name="marketing_activities"
    )
    title = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    happened_on = models.DateField()
    description = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["happened_on", "id"]
        verbose_name_plural = "marketing activities"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="marketing_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.amount})"


class QuotaEntry(models.Model):
    """The quota ledger. What is left is derived from these rows, never a counter.

    consume: -1 when a request is submitted; refund: +1 when it is withdrawn before review
    starts; grant: +N extra units from a partner manager, with a reason."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="quota_entries")
    quota_kind = models.CharField(max_length=8, choices=QuotaKind.choices)
    entry_kind = models.CharField(max_length=8, choices=QuotaEntryKind.choices)
    units = models.SmallIntegerField()
    # certifications depends on partners, not the reverse: a plain id, not a foreign key.
    request_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    reason = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "quota entries"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(entry_kind=QuotaEntryKind.CONSUME, units=-1)
                    | Q(entry_kind=QuotaEntryKind.REFUND, units=1)
                    | Q(entry_kind=QuotaEntryKind.GRANT, units__gt=0)
                ),
                name="quota_entry_units_match_kind",
            ),
            models.UniqueConstraint(
                fields=["request_id", "entry_kind"],
                condition=Q(entry_kind__in=[QuotaEntryKind.CONSUME, QuotaEntryKind.REFUND]),
                name="quota_entry_once_per_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_kind} {self.units:+d} {self.quota_kind}"


# The public application to join the program (its own module; registered with this app).
from partners.application_models import ProgramApplication  # noqa: E402, F401

# API tokens live in their own module; importing them here registers the model.
from partners.tokens import ApiScope, ApiToken  # noqa: E402, F401
