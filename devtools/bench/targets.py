"""What the benchmark loads: the pages, the role whose session each is sent with, and (run
inside the production environment of one size by ``bench --prepare``) the role users'
sessions, each page's URL in that database and its SQL query count, the variants' URLs
(``devtools.bench.variants``) and the mixed workload's people (``devtools.bench.population``)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from certifications.enums import RequestState
from certifications.models import Certificate, CertificationRequest
from devtools.bench.sessions import session_cookie
from devtools.scale.shape import PREFIX

REFERENCE = "reference_template50"
# page name → (role whose session is sent, or "" for anonymous)
PAGES = {
    "reference_constant": "partner",
    "reference_template50": "partner",
    "stock_admin_changelist": "superuser",
    "partner_dashboard": "partner",
    "partner_request_detail": "partner",
    # The same data over the API (session auth, as the docs page uses; ETag'd JSON).
    "api_request_list": "partner",
    "api_request_detail": "partner",
    "verify": "",
    "reviewer_queue": "reviewer",
    # The reviewers' landing page (their workspace queue: tabs, one template per row).
    "reviewer_workspace": "reviewer",
    "admin_request": "reviewer",
    "manager_overview": "manager",
    "metrics": "manager",
}
# role → a user seed_scale creates
USERS = {
    "partner": f"{PREFIX}admin-00001",
    "reviewer": f"{PREFIX}reviewer-01",
    "manager": f"{PREFIX}manager",
    "superuser": f"{PREFIX}superuser",
}


def session_cookies() -> dict[str, str]:
    """role → the session cookie of its user, written directly (staff sessions carry a
    verified second factor); "" → "" for anonymous pages."""
    User = get_user_model()
    cookies = {"": ""}
    for role, username in USERS.items():
        cookies[role] = session_cookie(User.objects.get(username=username))
    return cookies


def page_urls() -> dict[str, str]:
    """page → its path in this database (the role users' own requests and certificate)."""
    User = get_user_model()
    partner_user = User.objects.get(username=USERS["partner"])
    reviewer = User.objects.get(username=USERS["reviewer"])
    mine = CertificationRequest.objects.filter(integration__partner__memberships__user=partner_user)
    detail = mine.filter(state=RequestState.CHANGES_REQUESTED).order_by("-pk").first()
    detail = detail or mine.order_by("-pk").first()
    certificate = Certificate.objects.filter(request__in=mine).order_by("-pk").first()
    reviewed = (
        CertificationRequest.objects.filter(
            assigned_reviewer=reviewer, state=RequestState.USER_TESTING
        )
        .order_by("-pk")
        .first()
    )
    admin_list = "/admin/certifications/certificationrequest/"
    return {
        "reference_constant": "/bench/constant/",
        "reference_template50": "/bench/template50/",
        "stock_admin_changelist": "/bench/stock-admin/certifications/certificationrequest/",
        "partner_dashboard": "/portal/",
        "partner_request_detail": f"/portal/requests/{detail.pk}/",
        "api_request_list": "/api/v1/requests?limit=25",
        "api_request_detail": f"/api/v1/requests/{detail.pk}",
        "verify": f"/verify/{certificate.verification_code}/",
        # the queue: awaiting review, soonest due first (the admin's default order)
        "reviewer_queue": f"{admin_list}?state__exact={RequestState.SUBMITTED}",
        "reviewer_workspace": f"{admin_list}queue/",
        "admin_request": f"{admin_list}{reviewed.pk}/change/",
        "manager_overview": "/manage/",
        "metrics": "/manage/metrics/",
    }


def count_queries(page: str, path: str, cookie: str) -> int:
    """The SQL queries of a second GET of `path` with `cookie` through the test client
    (the first warms caches); CommandError unless it answers 200."""
    client = Client(HTTP_HOST="127.0.0.1")
    if cookie:
        name, value = cookie.split("=", 1)
        client.cookies[name] = value
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    if response.status_code != 200:
        raise CommandError(f"{page} {path} answered {response.status_code}")
    return len(ctx.captured_queries)


def prepare() -> dict:
    """Sessions for the role users, the URLs to load and each page's query count, as
    measured (page cache on) and rendered afresh (page cache off)."""
    cookies = session_cookies()
    urls = page_urls()
    page_cookies = {page: cookies[role] for page, role in PAGES.items()}

    def counts() -> dict[str, int]:
        return {page: count_queries(page, path, page_cookies[page]) for page, path in urls.items()}

    queries = counts()
    with override_settings(PAGE_CACHE_SECONDS=0):
        uncached = counts()
    return {
        "urls": urls,
        "cookies": page_cookies,
        "role_cookies": cookies,
        "queries": queries,
        "queries_uncached": uncached,
    }
