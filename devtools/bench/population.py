"""The people of the mixed workload (run inside the production environment of one size by
``bench --prepare``): 100 partner admins spread over the partners, the 10 reviewers and two
partner managers, each with a session of their own, the pages they reload and how often.

Partner i's admin is ``scale-admin-<i>`` (seed_scale); the second manager is created here
when missing (one user row, added to the managers' group)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from certifications.enums import RequestState
from certifications.models import CertificationRequest
from certportal import roles
from devtools.bench.sessions import session_cookie
from devtools.scale.shape import PREFIX, REVIEWERS
from partners.models import Partner

PARTNER_PEOPLE = 100
MANAGER_PEOPLE = 2
# role → (seconds between two reloads at the realistic rate, the pages of one reload)
ROLES = {
    "partner": (20.0, ("partner_dashboard", "partner_request_detail", "api_request_list")),
    "reviewer": (10.0, ("reviewer_workspace", "admin_request")),
    "manager": (20.0, ("manager_overview", "metrics")),
}
STAFF_PAGES = ("reviewer_workspace", "admin_request", "manager_overview", "metrics")
# Seconds between two writes at the realistic rate (devtools.bench.writes).
WRITE_INTERVAL = 2.0
ADMIN_LIST = "/admin/certifications/certificationrequest/"


def partner_numbers(n_partners: int, count: int = PARTNER_PEOPLE) -> list[int]:
    """`count` partner numbers (1-based) spread evenly over `n_partners`."""
    count = min(count, n_partners)
    return [1 + i * n_partners // count for i in range(count)]


def partner_usernames(n_partners: int) -> list[str]:
    return [f"{PREFIX}admin-{n:05d}" for n in partner_numbers(n_partners)]


def reviewer_usernames() -> list[str]:
    return [f"{PREFIX}reviewer-{i:02d}" for i in range(1, REVIEWERS + 1)]


def manager_usernames() -> list[str]:
    User = get_user_model()
    names = [f"{PREFIX}manager"] + [f"{PREFIX}manager-{i}" for i in range(2, MANAGER_PEOPLE + 1)]
    group = Group.objects.get(name=roles.PARTNER_MANAGER)
    for name in names[1:]:
        user, created = User.objects.get_or_create(
            username=name, defaults={"is_staff": True, "email": f"{name}@scale.example"}
        )
        if created:
            user.groups.add(group)
    return names


def scale_partner_count() -> int:
    return Partner.objects.filter(slug__startswith=PREFIX).count()


def _partner_request(user) -> int:
    mine = CertificationRequest.objects.filter(integration__partner__memberships__user=user)
    pick = mine.filter(state=RequestState.CHANGES_REQUESTED).order_by("-pk").first()
    return (pick or mine.order_by("-pk").first()).pk


def _reviewed_request(user) -> int:
    pick = (
        CertificationRequest.objects.filter(assigned_reviewer=user, state=RequestState.USER_TESTING)
        .order_by("-pk")
        .first()
    )
    return pick.pk


def _paths(role: str, user) -> list[list[str]]:
    if role == "partner":
        pk = _partner_request(user)
        paths = ["/portal/", f"/portal/requests/{pk}/", "/api/v1/requests?limit=25"]
    elif role == "reviewer":
        paths = [f"{ADMIN_LIST}queue/", f"{ADMIN_LIST}{_reviewed_request(user)}/change/"]
    else:
        paths = ["/manage/", "/manage/metrics/"]
    return [[page, path] for page, path in zip(ROLES[role][1], paths, strict=True)]


def people() -> list[dict]:
    """Everyone of the mixed workload: role, username, session cookie, period (s) and the
    [page, path] pairs of one reload."""
    User = get_user_model()
    names = {
        "partner": partner_usernames(scale_partner_count()),
        "reviewer": reviewer_usernames(),
        "manager": manager_usernames(),
    }
    out = []
    for role, usernames in names.items():
        users = User.objects.in_bulk(usernames, field_name="username")
        for name in usernames:
            user = users[name]
            out.append(
                {
                    "role": role,
                    "username": name,
                    "cookie": session_cookie(user),
                    "period": ROLES[role][0],
                    "pages": _paths(role, user),
                }
            )
    return out
