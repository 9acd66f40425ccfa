"""The partner managers' pages (/manage/): the partners overview, one partner's agreement
work, program metrics and CSV exports. Only staff in the "Partner manager" group get in;
every change goes through partners.services."""

from __future__ import annotations

import datetime as dt
from html import escape

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods

from certifications import ledgers as cert_ledgers
from certifications import overview as program_overview
from certifications import selectors as cert_selectors
from certportal import roles, security
from certportal.errors import ProgramError
from certportal.models import AuditEvent
from certportal.pagecache import cached_view
from certportal.templatetags.display import money as money_text
from partners import selectors, services
from partners.enums import OPEN_AGREEMENT_STATES, AgreementState, BusinessReviewState, Standing
from program import forms as forms
from program.labels import labelled

PER_PAGE = 50


manager_required = security.role_required(roles.is_partner_manager, reason="not a partner manager")


# --- Overview ----------------------------------------------------------------------------------


@require_GET
# A stored copy exists only for someone who passed the check; it reads the partner-level
# rows and the open/certified counts (cache_invalidation's ``overview``).
@cached_view("manage-overview", scopes=["overview", "staff"])
@manager_required
def overview(request):
    form = forms.OverviewFilterForm(request.GET or None)
    filters, sort, desc = {}, "name", False
    if form.is_valid():
        filters = form.cleaned_data
        sort = filters["sort"] or "name"
        desc = filters["desc"]
    # Filtered, sorted and paged on the stored keys; live figures for the page's rows only.
    page, rows = program_overview.overview_page(
        partners=selectors.partners_for(user=request.user),
        filters=filters,
        sort=sort,
        desc=desc,
        number=request.GET.get("page"),
        per_page=PER_PAGE,
    )
    query = request.GET.copy()
    query.pop("page", None)
    # One reverse for the page: each row's link is this plus its id.
    url_base = reverse("manage:partner", args=[0]).removesuffix("0/")
    return render(
        request,
        "manage/overview.html",
        {
            "form": form,
            "filter_controls": form.controls(),
            "page": page,
            "rows": rows,
            "rows_html": _rows_html(rows, url_base),
            "query": query.urlencode(),
            "nav_section": "manage",
        },
    )


# One row of the overview's table. Drawn here, as the admin draws its changelist cells,
# rather than by the template: the template's variable lookups, escaping, filters (date,
# money, yesno) and number localization made the fifty rows more than half the page's
# drawing time (issue 19). Every value is a number, a date, a fixed word or escaped (with
# the stdlib's html.escape: what django.utils.html.escape applies, without its lazy-string
# wrapper, which was a third of this drawing's time).
ROW_HTML = """    <tr>
      <td data-label="Partner"><a href="{url}">{name}</a></td>
      <td data-label="Standing"><span class="badge {standing_badge}">{standing}</span></td>
      <td data-label="Business review">{review}</td>
      <td data-label="Support plan">{plan}</td>
      <td data-label="Agreement">{agreement}</td>
      <td data-label="Renewal">{renewal}</td>
      <td data-label="Fee">{fee}</td>
      <td data-label="Major used / left" class="num">{major_used} / {major_left}</td>
      <td data-label="Minor used / left" class="num">{minor_used} / {minor_left}</td>
      <td data-label="Marketing used / left" class="num">{marketing}</td>
      <td data-label="Certified this term" class="num">{certs}</td>
      <td data-label="Open requests" class="num">{open}</td>
    </tr>
"""
STANDING_LABELS = {value: escape(label) for value, label in Standing.choices}


def _day(value: dt.date, months: dict[int, str]) -> str:
    """The date filter's "j M Y" ("24 Aug 2027") without its per-call machinery; `months`
    remembers the page's translated month names."""
    month = months.get(value.month)
    if month is None:
        month = months[value.month] = MONTHS_3[value.month].title()
    return f"{value.day} {month} {value.year:04d}"


def _rows_html(rows, url_base: str) -> SafeString:
    """The table's rows (`ROW_HTML`, with the texts the template used to make)."""
    drawn, months = [], {}
    for row in rows:
        currency = escape(row["agreement_currency"] or "")
        standing, end = row["standing"], row["agreement_term_end"]
        if end is None:
            renewal = "—"
        elif row["renewal_due"]:
            renewal = f'<span class="badge badge-warn">Due {_day(end, months)}</span>'
        else:
            renewal = _day(end, months)
        if row["agreement_id"] is None:
            fee = marketing = "—"
        else:
            if row["fee_paid"]:
                fee = '<span class="badge badge-ok">Paid</span>'
            else:
                owed = money_text(row["outstanding"], currency)
                fee = f'<span class="badge badge-bad">{owed} outstanding</span>'
            used = money_text(row["credit_used"], currency)
            marketing = f"{used} / {money_text(row['credit_left'], currency)}"
        drawn.append(
            ROW_HTML.format(
                url=f"{url_base}{row['pk']}/",
                name=escape(row["name"]),
                standing_badge="badge-ok" if standing == Standing.GOOD else "badge-bad",
                standing=STANDING_LABELS.get(standing) or escape(standing),
                review=escape(row["review_state"] or "none"),
                plan="yes" if row["has_support_plan"] else "no",
                agreement=escape(row["agreement_state"] or "none"),
                renewal=renewal,
                fee=fee,
                major_used=row["major_used"],
                major_left=row["major_left"],
                minor_used=row["minor_used"],
                minor_left=row["minor_left"],
                marketing=marketing,
                certs=row["certs_this_term"],
                open=row["open_requests"],
            )
        )
    return SafeString("".join(drawn))


# --- One partner -----------------------------------------------------------------------------


def _with_form(service):
    """An action whose form fields are the service's keyword arguments (the agreement forms
    carry the agreement; the partner comes from the page)."""
    return lambda form, partner, actor: service(actor=actor, **form.cleaned_data)


def _review(form, partner, actor):
    d = form.cleaned_data
    services.business_review_decide(
        review=getattr(partner, "business_review", None),
        actor=actor,
        approve=d["decision"] == "approve",
        comment=d["comment"],
    )


# action → (form class, handler, success message); agreement forms take the partner.
ACTIONS = {
    "send": (
        forms.AgreementSendForm,
        _with_form(services.agreement_send),
        "Agreement sent with payment details.",
    ),
    "mark_signed": (
        forms.AgreementActionForm,
        _with_form(services.agreement_mark_signed),
        "Agreement marked signed.",
    ),
    "payment": (forms.PaymentForm, _with_form(services.payment_record), "Payment recorded."),
    "activate": (
        forms.AgreementActionForm,
        _with_form(services.agreement_activate),
        "Agreement activated.",
    ),
    "renew": (
        forms.AgreementActionForm,
        _with_form(services.agreement_renew),
        "Renewal created; send it to the partner.",
    ),
    "cancel": (
        forms.AgreementCancelForm,
        _with_form(services.agreement_cancel),
        "Agreement cancelled.",
    ),
    "quota": (forms.QuotaGrantForm, _with_form(services.quota_grant), "Extra quota granted."),
    "marketing": (
        forms.MarketingActivityForm,
        _with_form(services.marketing_activity_record),
        "Marketing activity recorded.",
    ),
    "review": (forms.BusinessReviewDecisionForm, _review, "Business review decided."),
    "standing": (
        forms.StandingForm,
        lambda form, partner, actor: services.partner_set_standing(
            partner=partner, actor=actor, **form.cleaned_data
        ),
        "Standing changed.",
    ),
}
AGREEMENT_ACTIONS_BY_STATE = {
    AgreementState.REQUESTED: ("send", "cancel"),
    AgreementState.SENT: ("mark_signed", "payment", "cancel"),
    AgreementState.SIGNED: ("payment", "activate", "cancel"),
    AgreementState.ACTIVE: ("payment", "quota", "marketing", "renew", "cancel"),
}
ACTION_TITLES = {
    "send": "Send the agreement",
    "mark_signed": "Mark signed",
    "payment": "Record a payment",
    "activate": "Activate",
    "renew": "Create the renewal",
    "cancel": "Cancel the agreement",
    "quota": "Grant extra quota",
    "marketing": "Record a marketing activity",
}


def _is_agreement_form(form_class) -> bool:
    return issubclass(form_class, forms.AgreementActionForm)


def _new_form(action, partner, *, data=None, agreement=None):
    form_class = ACTIONS[action][0]
    kwargs = {"data": data}
    if _is_agreement_form(form_class):
        kwargs["partner"] = partner
        if agreement is not None:
            kwargs["initial"] = {"agreement": agreement.pk}
            kwargs["auto_id"] = f"id_{action}_{agreement.pk}_%s"
    else:
        kwargs["auto_id"] = f"id_{action}_%s"
    return form_class(**kwargs)


@require_http_methods(["GET", "POST"])
@manager_required
def partner_detail(request, pk):
    partner = get_object_or_404(selectors.partners_for(user=request.user), pk=pk)
    bound = None
    status = 200
    if request.method == "POST":
        chosen = forms.PartnerActionForm(request.POST, actions=ACTIONS)
        if not chosen.is_valid():
            messages.error(request, "Choose an action.")
            return redirect("manage:partner", pk=partner.pk)
        action = chosen.cleaned_data["action"]
        form = _new_form(action, partner, data=request.POST)
        if form.is_valid():
            try:
                ACTIONS[action][1](form, partner, request.user)
            except ProgramError as exc:
                messages.error(request, exc.message)
                status = exc.status_code
            else:
                messages.success(request, ACTIONS[action][2])
                return redirect("manage:partner", pk=partner.pk)
        else:
            messages.error(request, "Please correct the form.")
            status = 400
        agreement_id = form["agreement"].value() if "agreement" in form.fields else ""
        if _is_agreement_form(ACTIONS[action][0]):
            form.auto_id = f"id_{action}_{agreement_id}_%s"
        bound = (action, str(agreement_id or ""), form)
    return render(request, "manage/partner.html", _partner_context(partner, bound), status=status)


def _partner_context(partner, bound) -> dict:
    agreements = list(
        selectors.agreements_with_totals().filter(partner=partner).order_by("-term_start", "-pk")
    )
    today = timezone.localdate()
    current = selectors.agreement_current(partner=partner)
    blocks = []
    for agreement in agreements:
        agreement.paid = selectors.money(agreement.paid)
        agreement.credit_used = selectors.money(agreement.credit_used)
        actions = []
        if agreement.state in OPEN_AGREEMENT_STATES:
            for action in AGREEMENT_ACTIONS_BY_STATE[agreement.state]:
                if bound and bound[0] == action and bound[1] == str(agreement.pk):
                    form = bound[2]
                else:
                    form = _new_form(action, partner, agreement=agreement)
                actions.append({"name": action, "title": ACTION_TITLES[action], "form": form})
        blocks.append(
            {
                "agreement": agreement,
                "is_current": current is not None and current.pk == agreement.pk,
                "outstanding": max(agreement.fee - agreement.paid, selectors.money(0)),
                "major_total": agreement.major_quota + agreement.major_extra,
                "minor_total": agreement.minor_quota + agreement.minor_extra,
                "major_left": max(
                    agreement.major_quota + agreement.major_extra - agreement.major_used, 0
                ),
                "minor_left": max(
                    agreement.minor_quota + agreement.minor_extra - agreement.minor_used, 0
                ),
                "credit_left": max(
                    agreement.marketing_credit - agreement.credit_used, selectors.money(0)
                ),
                "renewal_due": agreement.state == AgreementState.ACTIVE
                and today
                <= agreement.term_end
                <= today + dt.timedelta(days=program_overview.RENEWAL_WINDOW_DAYS),
                "actions": actions,
            }
        )

    def simple(action):
        if bound and bound[0] == action:
            return bound[2]
        return _new_form(action, partner)

    review = getattr(partner, "business_review", None)
    return {
        "ledgers": cert_ledgers.agreement_ledgers(agreement=current) if current else None,
        "certificates": cert_selectors.certificates_of_partner(partner_id=partner.pk),
        "two_person_rule": settings.SEAL_TWO_PERSON_RULE,
        "partner": partner,
        "blocks": blocks,
        "review": review,
        "review_decidable": review is not None and review.state == BusinessReviewState.SUBMITTED,
        "review_form": simple("review"),
        "standing_form": simple("standing"),
        "support_plan": getattr(partner, "support_plan", None),
        "events": labelled(
            list(AuditEvent.objects.filter(partner_id=partner.pk).select_related("actor")[:20])
        ),
        "nav_section": "manage",
    }
