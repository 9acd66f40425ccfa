"""Partner managers' pages for joining the program (/manage/applications/, /manage/partners/new/):
the applications from the public page with accept / ask for more / decline, and an
organisation created directly with its first admin invited. Every change goes through
partners.services."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from certifications.enums import ProductArea
from certportal.errors import ProgramError
from certportal.models import AuditEvent
from partners import selectors, services
from partners.enums import OPEN_APPLICATION_STATES, ApplicationState
from program.application_forms import ApplicationDecisionForm, PartnerCreateForm
from program.labels import action_label
from program.views.partners import PER_PAGE, manager_required

DECISION_MESSAGES = {
    "accept": "Application accepted: the organisation is created and its contact invited as "
    "first admin.",
    "request_info": "Your questions were e-mailed to the applicant.",
    "decline": "Application declined; the applicant was told why.",
}


def _invite_url(request):
    return lambda token: request.build_absolute_uri(reverse("portal:invite_accept", args=[token]))


def _area_labels(codes) -> list[str]:
    return [ProductArea(code).label for code in codes if code in ProductArea]


@require_GET
@manager_required
def application_list(request):
    show = request.GET.get("show", "open")
    qs = selectors.applications_for(user=request.user)
    if show == "open":
        qs = qs.filter(state__in=OPEN_APPLICATION_STATES)
    elif show in ApplicationState.values:
        qs = qs.filter(state=show)
    else:
        show = "all"
    page = Paginator(qs.order_by("-created_at", "-pk"), PER_PAGE).get_page(request.GET.get("page"))
    for application in page:
        application.area_labels = _area_labels(application.product_areas)
    filters = [("open", "Open"), *ApplicationState.choices, ("all", "All")]
    return render(
        request,
        "manage/applications.html",
        {"page": page, "show": show, "filters": filters, "nav_section": "manage"},
    )


def _decide(request, application, form) -> str | None:
    """Run the chosen decision; returns the success message, or None after an error
    message (the form keeps what was typed)."""
    data = form.cleaned_data
    decision = data["decision"]
    try:
        if decision == "accept":
            services.application_accept(
                application=application,
                actor=request.user,
                partner_name=data["partner_name"] or application.company,
                standing=data["standing"] or "good",
                message=data["message"],
                accept_url=_invite_url(request),
            )
        elif decision == "request_info":
            services.application_request_info(
                application=application,
                actor=request.user,
                message=data["message"],
                answer_url=lambda token: request.build_absolute_uri(
                    reverse("portal:apply_answer", args=[token])
                ),
            )
        else:
            services.application_decline(
                application=application, actor=request.user, message=data["message"]
            )
    except ProgramError as exc:
        messages.error(request, exc.message)
        return None
    return DECISION_MESSAGES[decision]


# decision → (button title, the fields its form shows)
SECTIONS = {
    "accept": ("Accept and invite the contact", ("partner_name", "standing")),
    "request_info": ("Ask for more information", ("message",)),
    "decline": ("Decline", ("message",)),
}


@require_http_methods(["GET", "POST"])
@manager_required
def application_detail(request, pk):
    application = get_object_or_404(selectors.applications_for(user=request.user), pk=pk)
    posted = request.POST.get("decision") if request.method == "POST" else None
    forms = {
        decision: ApplicationDecisionForm(
            request.POST if decision == posted else None,
            initial={"partner_name": application.company, "decision": decision},
            auto_id=f"id_{decision}_%s",
        )
        for decision in SECTIONS
    }
    status = 200
    if request.method == "POST":
        form = forms.get(posted)
        if form is not None and form.is_valid():
            done = _decide(request, application, form)
            if done:
                messages.success(request, done)
                return redirect("manage:application", pk=application.pk)
        else:
            messages.error(request, "Please correct the form.")
        status = 400
    events = [
        {"event": e, "label": action_label(e.action)}
        for e in AuditEvent.objects.filter(
            object_type="partners.programapplication", object_id=application.pk
        ).select_related("actor")[:20]
    ]
    sections = [
        {
            "decision": decision,
            "title": title,
            "form": forms[decision],
            "fields": [forms[decision][name] for name in names],
        }
        for decision, (title, names) in SECTIONS.items()
    ]
    return render(
        request,
        "manage/application.html",
        {
            "application": application,
            "area_labels": _area_labels(application.product_areas),
            "sections": sections if application.is_open else [],
            "events": events,
            "nav_section": "manage",
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@manager_required
def partner_new(request):
    form = PartnerCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                partner = services.partner_create_with_admin(
                    actor=request.user, accept_url=_invite_url(request), **form.cleaned_data
                )
            except ProgramError as exc:
                messages.error(request, exc.message)
                status = exc.status_code
            else:
                messages.success(
                    request,
                    f"{partner.name} created; {form.cleaned_data['admin_email']} is invited "
                    "as its first admin.",
                )
                return redirect("manage:partner", pk=partner.pk)
        else:
            status = 400
    return render(
        request, "manage/partner_new.html", {"form": form, "nav_section": "manage"}, status=status
    )
