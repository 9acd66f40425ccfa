"""Partner-portal pages of the partners app: organisation switcher, the program forms
(agreement, business review, support plan) and the team with e-mailed invitations.

Reads are open to every member; writes need the partner-admin role (403 otherwise) and go
through partners.services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from certifications import ledgers as cert_ledgers
from certportal.csvexport import stream_csv
from certportal.errors import ProgramError
from partners import selectors, services
from partners.enums import REVIEW_EDITABLE_STATES, MemberRole
from partners.forms import (
    AcceptInviteForm,
    AgreementRequestForm,
    BusinessReviewActionForm,
    BusinessReviewForm,
    InviteForm,
    RoleForm,
    SupportPlanForm,
    SwitchPartnerForm,
)
from portal import context as portal_context
from portal.context import paginate, portal_view, render_portal, require_role

ADMIN = MemberRole.ADMIN


@require_POST
@portal_view
def switch_partner(request):
    form = SwitchPartnerForm(request.POST)
    if not form.is_valid() or not portal_context.switch(request, form.cleaned_data["partner"]):
        raise Http404("Not a member of that organisation")
    return redirect("portal:dashboard")


# --- Agreement ------------------------------------------------------------------------------


@portal_view
def agreement(request):
    partner = request.portal.partner
    current = selectors.agreement_current(partner=partner)
    form = None
    status = 200
    if request.method == "POST":
        require_role(request, ADMIN)
    if request.portal.is_admin:
        initial = {}
        if current is not None:
            initial = {f: getattr(current, f) for f in AgreementRequestForm.Meta.fields}
            initial["purchase_order"] = initial["notes"] = ""
        form = AgreementRequestForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                services.agreement_request(partner=partner, actor=request.user, **form.cleaned_data)
            except ProgramError as exc:
                messages.error(request, exc.message)
                status = exc.status_code
            else:
                messages.success(request, "Agreement requested. The partner team will follow up.")
                return redirect("portal:agreement")
    history = paginate(request, selectors.agreements_of(partner=partner), 10)
    return render_portal(
        request,
        "portal/agreement.html",
        {
            "current": current,
            "money": selectors.money_summary(agreement=current) if current else None,
            "ledgers": cert_ledgers.agreement_ledgers(agreement=current) if current else None,
            "history": history,
            "form": form,
        },
        status=status,
    )


@require_GET
@portal_view
def agreement_ledger_csv(request, pk, ledger):
    """One of the organisation's agreements' ledgers as CSV (another's agreement: 404)."""
    agreement = get_object_or_404(selectors.agreements_of(partner=request.portal.partner), pk=pk)
    if ledger not in cert_ledgers.LEDGERS:
        raise Http404("No such ledger")
    header, rows = cert_ledgers.ledger_rows(
        cert_ledgers.agreement_ledgers(agreement=agreement), ledger
    )
    return stream_csv(f"agreement-{agreement.term_start:%Y-%m-%d}-{ledger}.csv", header, rows)


# --- Business review ---------------------------------------------------------------------


@portal_view
def business_review(request):
    partner = request.portal.partner
    review = selectors.business_review_of(partner=partner)
    editable = review is None or review.state in REVIEW_EDITABLE_STATES
    if request.method == "POST":
        require_role(request, ADMIN)
    form = None
    status = 200
    if request.portal.is_admin and editable:
        initial = {f: getattr(review, f) for f in BusinessReviewForm.Meta.fields} if review else {}
        form = BusinessReviewForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            submitted = BusinessReviewActionForm(request.POST).submits()
            try:
                services.business_review_save(
                    partner=partner, actor=request.user, submit=submitted, **form.cleaned_data
                )
            except ProgramError as exc:
                messages.error(request, exc.message)
                status = exc.status_code
            else:
                messages.success(
                    request,
                    "Submitted for approval." if submitted else "Business review saved.",
                )
                return redirect("portal:business_review")
    elif request.method == "POST":
        messages.error(request, "The business review can no longer be edited.")
        status = 409
    return render_portal(
        request,
        "portal/business_review.html",
        {"review": review, "form": form, "editable": editable},
        status=status,
    )


# --- Support plan ------------------------------------------------------------------------------


@portal_view
def support_plan(request):
    partner = request.portal.partner
    plan = selectors.support_plan_of(partner=partner)
    if request.method == "POST":
        require_role(request, ADMIN)
    form = None
    status = 200
    if request.portal.is_admin:
        initial = {f: getattr(plan, f) for f in SupportPlanForm.Meta.fields} if plan else {}
        form = SupportPlanForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                services.support_plan_save(partner=partner, actor=request.user, **form.cleaned_data)
            except ProgramError as exc:
                messages.error(request, exc.message)
                status = exc.status_code
            else:
                messages.success(request, "Support plan saved.")
                return redirect("portal:support_plan")
    return render_portal(
        request, "portal/support_plan.html", {"plan": plan, "form": form}, status=status
    )


# --- Team -----------------------------------------------------------------------------------------


def _team_page(request, *, invite_form=None, status=200):
    partner = request.portal.partner
    page = paginate(
        request,
        selectors.members_of(partner=partner),
    )
    for membership in page:
        membership.role_form = RoleForm(
            initial={"role": membership.role}, auto_id=f"m{membership.pk}_%s"
        )
    return render_portal(
        request,
        "portal/team.html",
        {"page": page, "invite_form": invite_form or InviteForm()},
        status=status,
    )


@portal_view
def team(request):
    return _team_page(request)


@require_POST
@portal_view
def team_invite(request):
    require_role(request, ADMIN)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _team_page(request, invite_form=form)
    email = form.cleaned_data["email"]
    try:
        services.invitation_send(
            partner=request.portal.partner,
            email=email,
            role=form.cleaned_data["role"],
            actor=request.user,
            accept_url=lambda token: request.build_absolute_uri(
                reverse("portal:invite_accept", args=[token])
            ),
        )
    except ProgramError as exc:
        messages.error(request, exc.message)
        return _team_page(request, invite_form=form, status=exc.status_code)
    messages.success(request, f"Invitation sent to {email}.")
    return redirect("portal:team")


def _member_of_current(request, pk):
    require_role(request, ADMIN)
    return get_object_or_404(selectors.members_of(partner=request.portal.partner), pk=pk)


@require_POST
@portal_view
def member_role(request, pk):
    membership = _member_of_current(request, pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_change_role(
                membership=membership, role=form.cleaned_data["role"], actor=request.user
            )
        except ProgramError as exc:
            messages.error(request, exc.message)
            return _team_page(request, status=exc.status_code)
        messages.success(request, f"{membership.user.get_username()}'s role changed.")
    return redirect("portal:team")


@require_POST
@portal_view
def member_remove(request, pk):
    membership = _member_of_current(request, pk)
    try:
        services.membership_remove(membership=membership, actor=request.user)
    except ProgramError as exc:
        messages.error(request, exc.message)
        return _team_page(request, status=exc.status_code)
    messages.success(request, f"{membership.user.get_username()} was removed.")
    return redirect("portal:team")


@login_not_required
def invite_accept(request, token):
    invitation = services.invitation_read(token)
    if invitation is None:
        return render(request, "portal/invite_invalid.html", status=400)
    partner = invitation.partner
    context = {"partner": partner, "role": invitation.role, "email": invitation.email}
    if services.invitation_is_spent(invitation=invitation, user=request.user):
        return render(request, "portal/invite_invalid.html", context, status=400)
    if request.user.is_authenticated:
        if request.method != "POST":
            return render(request, "portal/invite_accept.html", context)
        try:
            services.invitation_accept(invitation=invitation, user=request.user)
        except ProgramError:
            return render(request, "portal/invite_invalid.html", context, status=400)
        portal_context.switch(request, partner.pk)
        messages.success(request, f"You joined {partner.name}.")
        return redirect("portal:dashboard")
    form = AcceptInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                invitation=invitation,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except ProgramError:
            return render(request, "portal/invite_invalid.html", context, status=400)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        portal_context.switch(request, partner.pk)
        messages.success(request, f"Welcome! You joined {partner.name}.")
        return redirect("portal:dashboard")
    context["form"] = form
    context["login_url"] = f"{reverse('login')}?next={request.path}"
    return render(request, "portal/invite_accept.html", context)
