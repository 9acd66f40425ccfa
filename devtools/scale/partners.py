"""The staff users, the partners (each with an approved business review, a support plan,
an active paid agreement and an admin user) and their integrations."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from certifications.models import Integration
from certportal import roles
from devtools.scale.shape import AREAS, PREFIX, REVIEWERS
from devtools.scale.writers import copy_rows, next_id
from partners.models import Agreement, BusinessReview, Membership, Partner, Payment, SupportPlan

PARTNER_FIELDS = [
    "id",
    "name",
    "slug",
    "website",
    "standing",
    "standing_since",
    "standing_note",
    "created_at",
]
USER_FIELDS = [
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
]
REVIEW_FIELDS = [
    "partner",
    "use_cases",
    "workflows",
    "joint_solutions",
    "state",
    "manager_comments",
    "submitted_at",
    "decided_at",
    "updated_at",
]
SUPPORT_PLAN_FIELDS = [
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
]
AGREEMENT_FIELDS = [
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
]
INTEGRATION_FIELDS = [
    "id",
    "partner",
    "name",
    "product_area",
    "github_repo",
    "description",
    "created_at",
]


class Seeded(NamedTuple):
    """How many rows went in, and the id of the first (row i has id first_id + i)."""

    count: int
    first_id: int


def seed_staff() -> list[int]:
    """The reviewers, the partner manager and the superuser; returns the reviewers' ids."""
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
        reviewers.append(user.pk)
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


def seed_partners(now: dt.datetime, n_partners: int) -> tuple[Seeded, Seeded]:
    """`n_partners` partners with everything an eligible partner has; returns the partners
    and their admin users (partner i's admin is user i)."""
    User = get_user_model()
    today = now.date()
    user0, partner0 = next_id(User), next_id(Partner)
    partners = copy_rows(
        Partner,
        PARTNER_FIELDS,
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
    users = copy_rows(
        User,
        USER_FIELDS,
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
    review = ("Lecture capture.", "Upload, caption, publish.", "Joint LMS.", "approved", "")
    copy_rows(
        BusinessReview,
        REVIEW_FIELDS,
        ((partner0 + i, *review, now, now, now) for i in range(n_partners)),
    )
    plan = ("Support", "support@partner.example", "", "9-5", "Tech", "tech@partner.example")
    plan += ("", "", "", "", "https://support.partner.example", "Open a ticket.", 4, 8, 24, 72)
    copy_rows(
        SupportPlan, SUPPORT_PLAN_FIELDS, ((partner0 + i, *plan, now) for i in range(n_partners))
    )
    _seed_agreements(now, partner0, n_partners)
    return Seeded(partners, partner0), Seeded(users, user0)


def _seed_agreements(now: dt.datetime, partner0: int, n_partners: int) -> None:
    """An active agreement (its term around today, the default fee) and its payment each."""
    today = now.date()
    agreement0 = next_id(Agreement)
    fee = Agreement._meta.get_field("fee").get_default()
    copy_rows(
        Agreement,
        AGREEMENT_FIELDS,
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


def seed_integrations(now: dt.datetime, partner0: int, n_partners: int, per_partner: int) -> Seeded:
    """`per_partner` integrations for each partner, over the product areas in turn."""
    integration0 = next_id(Integration)
    count = copy_rows(
        Integration,
        INTEGRATION_FIELDS,
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
            for k in range(n_partners * per_partner)
        ),
    )
    return Seeded(count, integration0)
