"""The back office's profile page for vendor staff: their own GitHub login (reviewers get
repository access through it). Mounted at /admin/profile/ by config/urls.py."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from certportal import roles
from certportal.errors import ProgramError
from certportal.models import UserProfile
from reviews import github
from reviews.profile import reviewer_github_login_set


class GitHubLoginForm(forms.Form):
    github_login = forms.CharField(
        label="Your GitHub login",
        max_length=40,
        required=False,
        help_text="The GitHub account that gets read access to the repositories of the "
        "requests assigned to you. Leave empty to remove it.",
    )


def _page(request: HttpRequest, form: GitHubLoginForm, status: int = 200) -> TemplateResponse:
    context = {
        **admin.site.each_context(request),
        "title": "Your profile",
        "form": form,
        "github_configured": github.is_configured(),
    }
    return TemplateResponse(request, "admin/reviews/profile.html", context, status=status)


def staff_profile(request: HttpRequest) -> HttpResponse:
    if not roles.is_vendor_staff(request.user):
        raise PermissionDenied
    if request.method != "POST":
        profile = UserProfile.objects.filter(user=request.user).first()
        current = profile.github_login if profile else ""
        return _page(request, GitHubLoginForm(initial={"github_login": current}))
    form = GitHubLoginForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        profile = reviewer_github_login_set(
            user=request.user, login=form.cleaned_data["github_login"]
        )
    except ProgramError as exc:
        form.add_error("github_login", exc.message)
        return _page(request, form, status=exc.status_code)
    if profile.github_login:
        messages.success(request, f"Your GitHub login is {profile.github_login}.")
    else:
        messages.success(request, "Your GitHub login was removed.")
    return redirect("staff_profile")


staff_profile_view = admin.site.admin_view(staff_profile)
