"""An agreement's two ledgers with the requests named (the quota ledger only holds ids):
what the managers' partner page, the partner's agreement page, their CSV exports and the
API read. Three queries whatever the number of entries."""

from __future__ import annotations

from dataclasses import dataclass

from certifications.selectors import request_labels
from partners import ledgers
from partners.enums import QuotaKind
from partners.models import Agreement


@dataclass(frozen=True)
class AgreementLedgers:
    agreement: Agreement
    quota: dict[str, list[ledgers.QuotaLine]]
    requests: dict[int, str]
    marketing: list[ledgers.CreditLine]

    @property
    def quota_sections(self) -> list[tuple[str, list[tuple[ledgers.QuotaLine, str]]]]:
        """(kind label, [(line, the request it names)]) per quota kind."""
        return [
            (
                label,
                [(line, self.requests.get(line.request_id, "")) for line in self.quota[kind]],
            )
            for kind, label in QuotaKind.choices
        ]


def agreement_ledgers(*, agreement: Agreement) -> AgreementLedgers:
    quota = ledgers.quota_ledger(agreement=agreement)
    ids = [line.request_id for lines in quota.values() for line in lines]
    return AgreementLedgers(
        agreement, quota, request_labels(ids), ledgers.marketing_ledger(agreement=agreement)
    )


QUOTA_HEADER = ["date", "quota", "entry", "request", "units", "balance", "by", "reason"]
MARKETING_HEADER = ["date", "activity", "amount", "credit_left", "approved_by", "currency"]


def ledger_rows(data: AgreementLedgers, which: str) -> tuple[list[str], list[list]]:
    """Header and rows of one ledger for a CSV file (`which`: "quota" or "marketing")."""
    if which == "quota":
        rows = [
            [
                line.at,
                line.quota_kind,
                line.what,
                label,
                line.units,
                line.balance,
                line.by,
                line.reason,
            ]
            for _kind, lines in data.quota_sections
            for line, label in lines
        ]
        return QUOTA_HEADER, rows
    currency = data.agreement.currency
    rows = [
        [line.on, line.title, line.amount, line.balance, line.approved_by, currency]
        for line in data.marketing
    ]
    return MARKETING_HEADER, rows


LEDGERS = ("quota", "marketing")
