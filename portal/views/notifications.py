"""In-app notifications for every signed-in user: the list (newest first, unread count),
mark read, and the e-mail preference for non-critical notifications.

Every query is scoped to ``request.user``: another person's notification is a 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from certportal import outbox
from certportal.models import EmailDigest, Notification, UserProfile

PAGE_SIZE = 25


class PreferencesForm(forms.Form):
    email_noncritical = forms.BooleanField(
        label="Also e-mail me non-critical notifications",
        required=False,
        help_text="Critical notifications (decisions, requested changes, failures) are always "
        "e-mailed. Everything stays listed here either way.",
    )
    email_digest = forms.ChoiceField(
        label="When to e-mail me",
        choices=EmailDigest.choices,
        widget=forms.RadioSelect,
        required=False,  # left unanswered: the choice stays as it was
        help_text="Once a day: one summary e-mail each day lists everything since the last one.",
    )


class ListFilterForm(forms.Form):
    show = forms.ChoiceField(choices=[("all", "All"), ("unread", "Unread")], required=False)

    def only_unread(self) -> bool:
        return self.is_valid() and self.cleaned_data["show"] == "unread"


class ReadForm(forms.Form):
    """Mark read; with `open`, also follow the notification's link."""

    open = forms.BooleanField(required=False)

    def opens(self) -> bool:
        return self.is_valid() and self.cleaned_data["open"]


def notification_list(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(recipient=request.user).only(
        "pk", "event", "subject", "link", "created_at", "read_at", "critical"
    )
    only_unread = ListFilterForm(request.GET).only_unread()
    if only_unread:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "only_unread": only_unread,
            "unread": outbox.unread_count(request.user),
        },
    )


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and follow its link (or go back to the list)."""
    row = Notification.objects.filter(recipient=request.user, pk=pk).only("pk", "link").first()
    if row is None:
        raise Http404("No such notification.")
    outbox.mark_read(user=request.user, notification_id=row.pk)
    if ReadForm(request.POST).opens() and url_has_allowed_host_and_scheme(
        row.link, allowed_hosts={request.get_host()}
    ):
        return redirect(row.link)
    return redirect("notifications:list")


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = outbox.mark_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return redirect("notifications:list")


def notification_preferences(request: HttpRequest) -> HttpResponse:
    profile = UserProfile.objects.filter(user=request.user).first()
    current = profile.email_noncritical if profile is not None else True
    digest = profile.email_digest if profile is not None else EmailDigest.IMMEDIATELY
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            outbox.preferences_save(
                user=request.user,
                email_noncritical=form.cleaned_data["email_noncritical"],
                email_digest=form.cleaned_data["email_digest"] or None,
            )
            messages.success(request, "Your notification preferences were saved.")
            return redirect("notifications:preferences")
    else:
        form = PreferencesForm(initial={"email_noncritical": current, "email_digest": digest})
    return render(request, "notifications/preferences.html", {"form": form})
