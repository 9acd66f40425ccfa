from django.shortcuts import redirect, render

from certportal import roles, security


def home(request):
    """After login: straight to the one workspace a person has, otherwise a chooser."""
    user = request.user
    context = {
        "is_reviewer": roles.is_reviewer(user),
        "is_manager": roles.is_partner_manager(user),
        "is_support": roles.is_support_agent(user),
        "is_staff": roles.is_vendor_staff(user),
    }
    is_member = user.memberships.exists()
    if is_member and not context["is_staff"]:
        return redirect("portal:dashboard")
    if not is_member:
        staff_roles = [context["is_reviewer"], context["is_manager"], context["is_support"]]
        if staff_roles == [True, False, False]:
            return redirect("admin:review_queue")
        if staff_roles == [False, True, False]:
            return redirect("manage:overview")
        if staff_roles == [False, False, True]:
            return redirect("support_staff:queue")
    return render(request, "home.html", context)


def page_not_found(request, exception=None):
    # A foreign tenant's object and a missing one both end here (scoped querysets give
    # 404): log it as a denial; the page never echoes the exception's text.
    security.log_denial(request, 404, "not found or outside the user's scope")
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)


def permission_denied(request, exception=None):
    security.log_denial(request, 403, str(exception or "permission denied"))
    return render(request, "403.html", status=403)
