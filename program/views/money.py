"""Managers' money pages: an agreement's ledgers as CSV, the fees by year with overdue
payments, and the renewals due."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from certifications import ledgers as cert_ledgers
from partners import ledgers, renewals, selectors
from program import exports
from program.views.partners import PER_PAGE, manager_required


@require_GET
@manager_required
def ledger_csv(request, pk, agreement_pk, ledger):
    partner = get_object_or_404(selectors.partners_for(user=request.user), pk=pk)
    agreement = get_object_or_404(partner.agreements.all(), pk=agreement_pk)
    if ledger not in cert_ledgers.LEDGERS:
        raise Http404("No such ledger")
    header, rows = cert_ledgers.ledger_rows(
        cert_ledgers.agreement_ledgers(agreement=agreement), ledger
    )
    return exports.stream_csv(
        f"{partner.slug}-{agreement.term_start:%Y-%m-%d}-{ledger}.csv", header, rows
    )


@require_GET
@manager_required
def fees(request):
    overdue = Paginator(ledgers.overdue_agreements(), PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {"agreement": a, "paid": selectors.money(a.paid), "due": a.fee - selectors.money(a.paid)}
        for a in overdue.object_list
    ]
    return render(
        request,
        "manage/fees.html",
        {
            "years": ledgers.fees_by_year(),
            "overdue": overdue,
            "rows": rows,
            "due_days": ledgers.PAYMENT_DUE_DAYS,
            "nav_section": "manage",
        },
    )


@require_GET
@manager_required
def renewals_due(request):
    page = Paginator(renewals.renewals_due(), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "manage/renewals.html",
        {
            "page": page,
            "rows": [renewals.RenewalRow(a) for a in page.object_list],
            "thresholds": renewals.REMINDER_DAYS,
            "nav_section": "manage",
        },
    )
