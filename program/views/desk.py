"""The support desk's pages (/manage/support/, /manage/deployments/): the ticket queue
with breach flags, a ticket with every desk action, raising a ticket for a joint customer,
the support meetings and the deployment calendar. Support agents and partner managers only;
every change goes through support.services."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from certifications import deployments
from certifications import selectors as cert_selectors
from certportal import security
from certportal.errors import ProgramError
from program.views.meeting_open import open_form
from support import permissions as perms
from support import selectors, services
from support.enums import TicketState
from support.forms import (
    DeployForm,
    DeploymentCalendarForm,
    MeetingHeldForm,
    MeetingListForm,
    MeetingScheduleForm,
    NoteForm,
    QueueFilterForm,
    ReasonForm,
    ReopenForm,
    ReplyForm,
    ResolveForm,
    TicketForm,
    TriageForm,
    WaitForm,
)
from support.models import DeploymentCycle
from support.web import attachment_response, event_page, ticket_from_form

PER_PAGE = 25


desk_required = security.role_required(perms.is_support_staff, reason="not on the support desk")


# --- Queue -------------------------------------------------------------------------------


@desk_required
def queue(request):
    integrations = selectors.certified_integrations(user=request.user)
    form = QueueFilterForm(request.GET or None, integrations=integrations)
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "state": data["state"],
            "severity": data["severity"],
            "integration_id": data["integration"].pk if data["integration"] else None,
            "breach": data["breach"],
        }
    now = timezone.now()
    qs = selectors.ticket_queue(user=request.user, now=now, **filters)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "support/staff/queue.html",
        {"form": form, "page": page, "query": query.urlencode(), "now": now, "subnav": "queue"},
    )


@desk_required
def ticket_new(request):
    integrations = selectors.certified_integrations(user=request.user)
    form = TicketForm(
        request.POST or None, request.FILES or None, integrations=integrations, with_customer=True
    )
    status = 200
    if request.method == "POST":
        ticket, status = ticket_from_form(request, form, customer_name=True)
        if ticket is not None:
            return redirect("support_staff:ticket", ticket.pk)
    return render(
        request, "support/staff/ticket_new.html", {"form": form, "subnav": "queue"}, status=status
    )


# --- A ticket ----------------------------------------------------------------------------

FORMS = {
    "triage": TriageForm,
    "escalate": ReasonForm,
    "reply": ReplyForm,
    "note": NoteForm,
    "wait": WaitForm,
    "resolve": ResolveForm,
    "reopen": ReopenForm,
}


def _ticket_context(request, ticket, bound=None) -> dict:
    available = {t.name for t in ticket.get_available_user_state_transitions(request.user)}
    now = timezone.now()
    forms = {f"{name}_form": cls(prefix=name) for name, cls in FORMS.items()}
    if bound:
        forms.update(bound)
    events = event_page(request, selectors.all_events(ticket))
    return {
        "ticket": ticket,
        "events": events.object_list,
        "events_page": events,
        "events_url": reverse("support_staff:ticket", args=[ticket.pk]),
        "plan": selectors.support_plan_for(ticket.partner_id),
        "targets": selectors.targets(selectors.support_plan_for(ticket.partner_id)),
        "available": available,
        "can_triage": ticket.state in (TicketState.NEW, TicketState.TRIAGED),
        "response_breached": ticket.first_response_breached(now),
        "resolution_breached": ticket.resolution_breached(now)
        and ticket.state not in (TicketState.CLOSED,),
        "now": now,
        "subnav": "queue",
        **forms,
    }


@desk_required
def ticket_detail(request, pk):
    ticket = get_object_or_404(selectors.tickets_for(user=request.user), pk=pk)
    return render(request, "support/staff/ticket.html", _ticket_context(request, ticket))


@require_POST
@desk_required
def ticket_action(request, pk, action):
    if action not in (*FORMS, "close"):
        raise Http404("Unknown action")
    ticket = get_object_or_404(selectors.tickets_for(user=request.user), pk=pk)
    form = None
    if action in FORMS:
        form = FORMS[action](request.POST, request.FILES, prefix=action)
    user = request.user
    try:
        if form is not None and not form.is_valid():
            raise ProgramError("Fill in the form to continue.")
        data = form.cleaned_data if form is not None else {}
        if action == "triage":
            services.ticket_triage(
                ticket=ticket,
                actor=user,
                classification=data["classification"],
                comment=data["comment"],
            )
        elif action == "escalate":
            services.ticket_escalate(ticket=ticket, actor=user, reason=data["reason"])
        elif action == "reply":
            services.ticket_reply(
                ticket=ticket, actor=user, body=data["body"], uploads=data["attachments"]
            )
        elif action == "note":
            services.ticket_note(ticket=ticket, actor=user, body=data["body"])
        elif action == "wait":
            services.ticket_wait_on_reporter(ticket=ticket, actor=user, question=data["question"])
        elif action == "resolve":
            services.ticket_resolve(ticket=ticket, actor=user, resolution=data["resolution"])
        elif action == "reopen":
            services.ticket_reopen(
                ticket=ticket, actor=user, reason=data["reason"], target=data["target"]
            )
        else:
            services.ticket_close(ticket=ticket, actor=user)
    except ProgramError as exc:
        messages.error(request, exc.message)
        ticket.refresh_from_db()
        bound = {f"{action}_form": form} if form is not None else None
        return render(
            request,
            "support/staff/ticket.html",
            _ticket_context(request, ticket, bound),
            status=exc.status_code,
        )
    messages.success(request, _action_done(action, ticket))
    return redirect("support_staff:ticket", ticket.pk)


# What each action did, in the confirmation shown after it (issue 14: escalating said
# only "Done.").
ACTION_DONE = {
    "triage": "Ticket triaged.",
    "reply": "Reply sent to the reporter.",
    "note": "Internal note added (the partner does not see it).",
    "wait": "Question sent; the ticket waits on the reporter.",
    "resolve": "Ticket resolved; the reporter was told.",
    "reopen": "Ticket reopened.",
    "close": "Ticket closed.",
}


def _action_done(action: str, ticket) -> str:
    if action == "escalate":
        ticket.refresh_from_db()
        return (
            f"Escalated to {ticket.partner.name}: its admins were notified with your reason "
            f"and must acknowledge the ticket. It is now {ticket.get_state_display().lower()}."
        )
    return ACTION_DONE.get(action, "Done.")


@desk_required
def attachment_download(request, pk):
    attachment = get_object_or_404(selectors.attachments_for(user=request.user), pk=pk)
    return attachment_response(attachment)


# --- Support meetings --------------------------------------------------------------------


@desk_required
def meeting_list(request):

    show = MeetingListForm(request.GET).show_value()
    qs = selectors.meetings_for(user=request.user, pending_only=show != "all")
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "support/staff/meetings.html",
        {"page": page, "show": show, "subnav": "meetings", "open_form": open_form(request.user)},
    )


def _meeting_page(request, meeting, *, schedule_form=None, held_form=None, status=200):
    initial = {}
    if meeting.scheduled_for:
        initial = {
            "when": timezone.localtime(meeting.scheduled_for),
            "vendor_attendees": meeting.vendor_attendees,
            "partner_attendees": meeting.partner_attendees,
        }
    return render(
        request,
        "support/staff/meeting.html",
        {
            "meeting": meeting,
            "plan": selectors.support_plan_for(meeting.request.integration.partner_id),
            "schedule_form": schedule_form or MeetingScheduleForm(initial=initial),
            "held_form": held_form or MeetingHeldForm(),
            "subnav": "meetings",
        },
        status=status,
    )


@desk_required
def meeting_detail(request, pk):
    meeting = get_object_or_404(selectors.meetings_for(user=request.user), pk=pk)
    return _meeting_page(request, meeting)


@require_POST
@desk_required
def meeting_action(request, pk, action):
    meeting = get_object_or_404(selectors.meetings_for(user=request.user), pk=pk)
    if action == "schedule":
        form = MeetingScheduleForm(request.POST)
        kwargs = {"schedule_form": form}
    elif action == "held":
        form = MeetingHeldForm(request.POST)
        kwargs = {"held_form": form}
    else:
        raise Http404("Unknown action")
    if not form.is_valid():
        return _meeting_page(request, meeting, status=400, **kwargs)
    try:
        if action == "schedule":
            services.meeting_schedule(meeting=meeting, actor=request.user, **form.cleaned_data)
            messages.success(request, "The meeting is scheduled; the partner's admins were told.")
        else:
            services.meeting_mark_held(meeting=meeting, actor=request.user, **form.cleaned_data)
            messages.success(request, "The meeting is recorded as held.")
    except ProgramError as exc:
        messages.error(request, exc.message)
        meeting.refresh_from_db()
        return _meeting_page(request, meeting, status=exc.status_code, **kwargs)
    return redirect("support_staff:meeting", meeting.pk)


# --- Deployment calendar -----------------------------------------------------------------


def _calendar_page(request, *, form=None, deploy_form=None, deploy_day=None, status=200):
    """The calendar from `?from=` (default: four weeks ago). A `from` outside the calendar's
    range is a form error (400) and the page shows the default period."""
    today = timezone.localdate()
    if form is None:
        form = DeploymentCalendarForm(request.GET)
        if not form.is_valid():
            status = 400
    start = form.start(default=today - dt.timedelta(days=28))
    end = start + dt.timedelta(days=7 * 16)
    cycles = deployments.calendar(
        cert_selectors.requests_for(user=request.user), start=start, end=end
    )
    done = {
        c.deploy_on: c
        for c in DeploymentCycle.objects.filter(deploy_on__in=[c.deploy_on for c in cycles])
    }
    for cycle in cycles:
        cycle.deployed = done.get(cycle.deploy_on)
    return render(
        request,
        "support/staff/deployments.html",
        {
            "cycles": cycles,
            "today": today,
            "start": start,
            "earlier": max(start - dt.timedelta(days=7 * 16), deployments.CALENDAR_FIRST_DAY),
            "later": min(end, deployments.CALENDAR_LAST_DAY),
            "calendar_form": form,
            "form": deploy_form or DeployForm(),
            "deploy_day": deploy_day,
            "subnav": "deployments",
        },
        status=status,
    )


@desk_required
def deployment_calendar(request):
    return _calendar_page(request)


@require_POST
@desk_required
def deployment_mark(request, day):
    try:
        deploy_on = dt.date.fromisoformat(day)
    except ValueError as exc:
        raise Http404("Not a date") from exc
    if not deployments.is_cycle_day(deploy_on):
        raise Http404("Not a deployment day")
    form = DeployForm(request.POST)
    if not form.is_valid():
        # Shown again on the cycle's own form, with what was typed and the reason.
        return _calendar_page(
            request,
            form=DeploymentCalendarForm({"from": deploy_on - dt.timedelta(days=28)}),
            deploy_form=form,
            deploy_day=deploy_on,
            status=400,
        )
    try:
        services.deployment_mark_deployed(
            deploy_on=deploy_on, actor=request.user, notes=form.cleaned_data["notes"]
        )
    except ProgramError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The cycle of {deploy_on:%d %b %Y} is marked deployed.")
    return redirect("support_staff:deployments")
