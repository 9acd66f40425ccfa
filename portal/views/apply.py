"""The public "Apply to the certified partner program" pages (no login): the application
form, its thank-you page and the applicant's answer to a request for more information
(reached through the signed link in that e-mail)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from certifications.enums import ProductArea
from certportal.auth import address_limit_retry_after
from certportal.errors import ProgramError
from partners import services
from partners.enums import ApplicationState
from portal.apply_forms import ApplicationAnswerForm, ApplicationForm, HoneypotForm

THROTTLE_PREFIX = "certportal:apply-throttle:"


def _limit(request, *, count: bool) -> int | None:
    return address_limit_retry_after(
        request,
        prefix=THROTTLE_PREFIX,
        limit=settings.APPLY_THROTTLE_LIMIT,
        window_minutes=settings.APPLY_THROTTLE_WINDOW_MINUTES,
        count=count,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def apply(request):
    form = ApplicationForm(request.POST or None)
    honeypot = HoneypotForm(request.POST or None)
    context = {"form": form, "honeypot": honeypot}
    if request.method != "POST":
        return render(request, "portal/apply.html", context)
    retry_after = _limit(request, count=False)
    if retry_after is not None:
        # What was typed stays in the form; the person can send it when the window ends.
        context["retry_minutes"] = max(1, -(-retry_after // 60))
        response = render(request, "portal/apply.html", context, status=429)
        response["Retry-After"] = str(retry_after)
        return response
    if honeypot.is_spam():
        _limit(request, count=True)
        return redirect("portal:apply_thanks")
    if not form.is_valid():
        return render(request, "portal/apply.html", context, status=400)
    try:
        services.application_submit(**form.cleaned_data)
    except ProgramError as exc:
        messages.error(request, exc.message)
        return render(request, "portal/apply.html", context, status=exc.status_code)
    _limit(request, count=True)
    return redirect("portal:apply_thanks")


@login_not_required
@require_GET
def apply_thanks(request):
    return render(request, "portal/apply_thanks.html")


@login_not_required
@require_http_methods(["GET", "POST"])
def apply_answer(request, token):
    application = services.application_from_token(token)
    if application is None:
        return render(request, "portal/apply_answer.html", {"invalid": True}, status=400)
    waiting = application.state == ApplicationState.MORE_INFO_REQUESTED
    form = ApplicationAnswerForm(request.POST or None) if waiting else None
    context = {
        "application": application,
        "waiting": waiting,
        "form": form,
        "areas": [ProductArea(a).label for a in application.product_areas if a in ProductArea],
    }
    status = 200
    if request.method == "POST":
        if form is None:
            status = 409
        elif form.is_valid():
            try:
                services.application_answer(
                    application=application, reply=form.cleaned_data["reply"]
                )
            except ProgramError as exc:
                messages.error(request, exc.message)
                status = exc.status_code
            else:
                messages.success(request, "Thank you: your answer was sent to the partner team.")
                return redirect(reverse("portal:apply_answer", args=[token]))
        else:
            status = 400
    return render(request, "portal/apply_answer.html", context, status=status)
