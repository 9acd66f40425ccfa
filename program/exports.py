"""CSV exports for partner managers, streamed row by row with the csv module.

Cells that a spreadsheet would read as a formula (=, +, -, @, tab, CR) are prefixed with a
quote so an exported partner-supplied name cannot run as a formula (CSV injection)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone

from certifications import overview
from certifications import selectors as cert_selectors
from certportal.csvexport import FORMULA_PREFIXES, _cell, stream_csv  # noqa: F401 - re-exported
from partners import selectors as partner_selectors

PARTNER_HEADER = [
    "partner",
    "standing",
    "business_review",
    "support_plan",
    "agreement_state",
    "term_start",
    "term_end",
    "fee",
    "paid",
    "outstanding",
    "major_used",
    "major_left",
    "minor_used",
    "minor_left",
    "marketing_credit_used",
    "marketing_credit_left",
    "certifications_this_term",
    "open_requests",
]


def partner_rows(*, today: dt.date | None = None) -> Iterator[list]:
    today = today or timezone.localdate()
    for partner in overview.partners_overview(today=today).order_by("name").iterator():
        row = overview.PartnerRow(partner, today)
        yield [
            partner.name,
            partner.standing,
            partner.review_state or "",
            partner.has_support_plan,
            partner.agreement_state or "",
            partner.agreement_term_start,
            partner.agreement_term_end,
            partner_selectors.money(partner.agreement_fee) if partner.agreement_id else None,
            row.paid if partner.agreement_id else None,
            row.outstanding if partner.agreement_id else None,
            partner.major_used,
            row.major_left,
            partner.minor_used,
            row.minor_left,
            row.credit_used if partner.agreement_id else None,
            row.credit_left if partner.agreement_id else None,
            partner.certs_this_term,
            partner.open_requests,
        ]


def export_partners() -> StreamingHttpResponse:
    return stream_csv(f"partners-{timezone.localdate():%Y%m%d}.csv", PARTNER_HEADER, partner_rows())


AGREEMENT_HEADER = [
    "agreement_id",
    "partner",
    "state",
    "term_start",
    "term_end",
    "currency",
    "fee",
    "paid",
    "outstanding",
    "major_included",
    "major_extra",
    "major_used",
    "minor_included",
    "minor_extra",
    "minor_used",
    "marketing_credit",
    "marketing_credit_used",
]


def agreement_rows() -> Iterator[list]:
    qs = partner_selectors.agreements_with_totals().order_by("partner__name", "term_start", "pk")
    for a in qs.iterator():
        yield [
            a.pk,
            a.partner_name,
            a.state,
            a.term_start,
            a.term_end,
            a.currency,
            a.fee,
            partner_selectors.money(a.paid),
            max(a.fee - partner_selectors.money(a.paid), partner_selectors.money(0)),
            a.major_quota,
            a.major_extra,
            a.major_used,
            a.minor_quota,
            a.minor_extra,
            a.minor_used,
            a.marketing_credit,
            partner_selectors.money(a.credit_used),
        ]


def export_agreements() -> StreamingHttpResponse:
    return stream_csv(
        f"agreements-{timezone.localdate():%Y%m%d}.csv", AGREEMENT_HEADER, agreement_rows()
    )


CERTIFICATION_HEADER = [
    "verification_code",
    "partner",
    "integration",
    "product_area",
    "version",
    "kind",
    "commit_sha",
    "issued_at",
    "valid_until",
    "superseded",
]


def certification_rows(*, start: dt.date | None, end: dt.date | None) -> Iterator[list]:
    qs = cert_selectors.certificates_issued(start=start, end=end)
    for c in qs.iterator(chunk_size=500):
        integration = c.request.integration
        yield [
            c.verification_code,
            integration.partner.name,
            integration.name,
            integration.product_area,
            c.version,
            c.request.kind,
            c.commit_sha,
            c.issued_at,
            c.valid_until,
            c.superseded_by_id is not None,
        ]


def export_certifications(*, start: dt.date | None, end: dt.date | None) -> StreamingHttpResponse:
    return stream_csv(
        certifications_filename(start=start, end=end),
        CERTIFICATION_HEADER,
        certification_rows(start=start, end=end),
    )


def certifications_filename(
    *, start: dt.date | None, end: dt.date | None, today: dt.date | None = None
) -> str:
    """The export named by the dates it covers (issue 14), e.g.
    `certifications_2026-01-01_to_2026-03-31.csv`; an open end is today (nothing is issued
    later), an open start is "all"."""
    end = end or today or timezone.localdate()
    return f"certifications_{start.isoformat() if start else 'all'}_to_{end.isoformat()}.csv"
