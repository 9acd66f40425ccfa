"""Declared access expectations for every URL pattern, and the helpers the matrix runs on.

`EXPECT` maps a pattern key (see urlwalk.Route.key) to who may GET and who may POST it.
"May" means the view lets the role through (any status but a refusal or a 5xx; the
service may still answer 400/409). Everybody else must be refused: 403, 404, 405 or a
redirect to a login / second-factor page. `tenant=True` marks URLs that point at one of
partner A's objects: partner B's admin must get exactly 404 there."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from django.apps import apps
from django.db import connection
from django.urls import reverse

from tests.security.urlwalk import Route, admin_model_for, model_label_of

ANON = frozenset({"anonymous"})
A_VIEW = frozenset({"viewer", "developer", "admin"})
A_DEV = frozenset({"developer", "admin"})
A_ADMIN = frozenset({"admin"})
B = frozenset({"admin_b"})
MEMBERS = A_VIEW | B
STAFF = frozenset({"reviewer", "reviewer_other", "manager", "support"})
DESK = frozenset({"manager", "support"})
MANAGER = frozenset({"manager"})
ASSIGNED = frozenset({"reviewer"})
REVIEWERS = frozenset({"reviewer", "reviewer_other"})
QUEUE = REVIEWERS | MANAGER
USERS = MEMBERS | STAFF
EVERYONE = USERS | ANON
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Expect:
    get: frozenset[str]
    post: frozenset[str]
    tenant: bool = False
    # Roles whose outcome depends on the model (admin generic URLs): allowed or refused,
    # but never a 5xx.
    maybe: frozenset[str] = NOBODY
    kwargs: Callable[[dict], dict] | None = None
    data: Callable[[dict], dict] | None = None


def pk(name: str) -> Callable[[dict], dict]:
    return lambda o: {"pk": o[name].pk}


EXPECT: dict[str, Expect] = {
    # --- site, accounts --------------------------------------------------------------------
    "home": Expect(USERS, USERS),
    "healthz": Expect(EVERYONE, NOBODY),
    # GitHub's webhook: no session, no CSRF token; a delivery without a valid signature
    # is refused with 401 whoever sends it (reviews.views.github_webhook).
    "github_webhook": Expect(NOBODY, NOBODY),
    "login": Expect(EVERYONE, EVERYONE),
    # Partner members have no second factor: the page sends them on.
    "otp_verify": Expect(STAFF, STAFF, maybe=MEMBERS),
    "otp_setup": Expect(USERS, USERS),
    # Logging out is always allowed (its redirect goes to the login page).
    "logout": Expect(NOBODY, NOBODY, maybe=EVERYONE),
    "password_change": Expect(USERS, USERS),
    "password_change_done": Expect(USERS, NOBODY),
    "password_reset": Expect(EVERYONE, EVERYONE),
    "password_reset_done": Expect(EVERYONE, NOBODY),
    "password_reset_confirm": Expect(
        EVERYONE, EVERYONE, kwargs=lambda o: {"uidb64": "MQ", "token": "set-password"}
    ),
    "password_reset_complete": Expect(EVERYONE, NOBODY),
    # --- back office (admin): custom and site-wide URLs ------------------------------------
    "admin:index": Expect(STAFF, STAFF),
    "admin:login": Expect(EVERYONE, EVERYONE),
    "admin:logout": Expect(NOBODY, NOBODY, maybe=EVERYONE),
    "admin:password_change": Expect(STAFF, STAFF),
    "admin:password_change_done": Expect(STAFF, NOBODY),
    "admin:autocomplete": Expect(NOBODY, NOBODY),  # no autocomplete fields are declared
    "admin:jsi18n": Expect(STAFF, NOBODY),
    "admin:view_on_site": Expect(
        NOBODY, NOBODY, maybe=STAFF, kwargs=lambda o: {"content_type_id": 1, "object_id": 1}
    ),
    "admin:auth_user_password_change": Expect(NOBODY, NOBODY),
    "admin:otp_totp_totpdevice_config": Expect(NOBODY, NOBODY, maybe=STAFF),
    "admin:otp_totp_totpdevice_qrcode": Expect(NOBODY, NOBODY, maybe=STAFF),
    "admin:review_transition": Expect(STAFF, STAFF, kwargs=pk("in_review")),
    # A staff member's own GitHub login (issue 14).
    "staff_profile": Expect(STAFF, STAFF),
    "admin:review_assign_me": Expect(STAFF, STAFF, kwargs=pk("in_review")),
    "admin:review_reveal": Expect(
        STAFF,
        ASSIGNED,
        kwargs=lambda o: {"pk": o["in_review"].pk, "env_pk": o["environment"].pk},
    ),
    "admin:review_finding_add": Expect(STAFF, STAFF, kwargs=pk("in_review")),
    "admin:review_finding_status": Expect(
        STAFF, STAFF, kwargs=lambda o: {"pk": o["in_review"].pk, "finding_pk": o["finding"].pk}
    ),
    "admin:review_document": Expect(
        STAFF, STAFF, kwargs=lambda o: {"pk": o["certified"].pk, "doc_pk": o["document"].pk}
    ),
    # The intake panel's actions (a service refusal is a message on the request page).
    "admin:review_intake_run": Expect(STAFF, STAFF, kwargs=pk("in_review")),
    "admin:review_intake_finding": Expect(
        STAFF,
        STAFF,
        kwargs=lambda o: {"pk": o["in_review"].pk, "item_pk": o["intake_item"].pk},
    ),
    "admin:review_intake_override": Expect(STAFF, STAFF, kwargs=pk("in_review")),
    # Reviewers' workspace (issue 15): the queue, claiming, bulk assignment, reviewer
    # settings, the two-person rule and the reviewer's side of finding threads.
    "backoffice_landing": Expect(STAFF, STAFF),
    "admin:review_queue": Expect(QUEUE, NOBODY),
    "admin:review_queue_claim": Expect(NOBODY, REVIEWERS, kwargs=pk("in_review")),
    "admin:review_queue_assign": Expect(NOBODY, QUEUE),
    "admin:reviewer_settings": Expect(QUEUE, QUEUE),
    "admin:reviewer_settings_of": Expect(
        MANAGER | ASSIGNED,
        MANAGER | ASSIGNED,
        kwargs=lambda o: {"user_pk": o["reviewer_user"].pk},
    ),
    "admin:review_seal_ask": Expect(NOBODY, STAFF, kwargs=pk("in_review")),
    "admin:review_seal_decide": Expect(
        NOBODY,
        STAFF,
        kwargs=lambda o: {"pk": o["certified"].pk, "approval_pk": o["seal_approval"].pk},
    ),
    "admin:review_finding_reply": Expect(
        NOBODY, STAFF, kwargs=lambda o: {"pk": o["in_review"].pk, "finding_pk": o["finding"].pk}
    ),
    "admin:review_finding_dispute": Expect(
        NOBODY, STAFF, kwargs=lambda o: {"pk": o["in_review"].pk, "finding_pk": o["finding"].pk}
    ),
    "admin:app_list": Expect(STAFF, STAFF),
    "admin:<unnamed admin/(?P<url>.*)$>": Expect(NOBODY, NOBODY),
    # --- back office (admin): the generic ModelAdmin URLs of every registered model --------
    # Staff view (per model: some models are hidden from some roles, which gives 403);
    # nobody adds, edits or deletes through the admin; non-staff are sent to the login.
    "admin-model:changelist": Expect(NOBODY, NOBODY, maybe=STAFF),
    "admin-model:add": Expect(NOBODY, NOBODY),
    "admin-model:change": Expect(NOBODY, NOBODY, maybe=STAFF),
    # The request "change" page is the review page (read-only, POST re-renders it).
    "admin-model:change@certifications.certificationrequest": Expect(STAFF, STAFF),
    # Canned responses are the reviewers' own reference text (issue 15): reviewers and
    # managers add and edit them.
    "admin-model:add@reviews.cannedresponse": Expect(QUEUE, QUEUE),
    "admin-model:history": Expect(NOBODY, NOBODY, maybe=STAFF),
    "admin-model:delete": Expect(NOBODY, NOBODY),
    "admin-model:redirect": Expect(STAFF, STAFF),
    # --- partner portal ---------------------------------------------------------------------
    "portal:dashboard": Expect(MEMBERS, MEMBERS),
    "portal:switch_partner": Expect(
        NOBODY, A_VIEW, tenant=True, data=lambda o: {"partner": o["partner"].pk}
    ),
    "portal:integration_list": Expect(MEMBERS, MEMBERS),
    "portal:integration_create": Expect(A_DEV | B, A_DEV | B),
    "portal:integration_detail": Expect(A_VIEW, A_VIEW, tenant=True, kwargs=pk("integration")),
    "portal:integration_edit": Expect(A_DEV, A_DEV, tenant=True, kwargs=pk("integration")),
    "portal:request_new": Expect(A_DEV, A_DEV, tenant=True, kwargs=pk("module")),
    "portal:request_detail": Expect(A_VIEW, A_VIEW, tenant=True, kwargs=pk("in_review")),
    "portal:request_step": Expect(
        A_DEV, A_DEV, tenant=True, kwargs=lambda o: {"pk": o["draft"].pk, "step": "details"}
    ),
    "portal:request_submit": Expect(NOBODY, A_ADMIN, tenant=True, kwargs=pk("draft")),
    "portal:request_resubmit": Expect(NOBODY, A_ADMIN, tenant=True, kwargs=pk("in_review")),
    "portal:request_withdraw": Expect(NOBODY, A_ADMIN, tenant=True, kwargs=pk("draft")),
    "portal:request_intake_rerun": Expect(NOBODY, A_DEV, tenant=True, kwargs=pk("draft")),
    "portal:finding_thread": Expect(A_VIEW, NOBODY, tenant=True, kwargs=pk("finding")),
    "portal:finding_reply": Expect(NOBODY, A_DEV, tenant=True, kwargs=pk("finding")),
    "portal:finding_dispute": Expect(NOBODY, A_DEV, tenant=True, kwargs=pk("finding")),
    "portal:document_download": Expect(A_VIEW, A_VIEW, tenant=True, kwargs=pk("document")),
    "portal:agreement": Expect(MEMBERS, A_ADMIN | B),
    "portal:business_review": Expect(MEMBERS, A_ADMIN | B),
    "portal:support_plan": Expect(MEMBERS, A_ADMIN | B),
    "portal:team": Expect(MEMBERS, MEMBERS),
    "portal:team_invite": Expect(NOBODY, A_ADMIN | B),
    "portal:member_role": Expect(
        NOBODY,
        A_ADMIN,
        tenant=True,
        kwargs=pk("viewer_membership"),
        data=lambda o: {"role": "developer"},
    ),
    "portal:member_remove": Expect(NOBODY, A_ADMIN, tenant=True, kwargs=pk("viewer_membership")),
    # An invitation token is the capability: whoever holds it may accept it.
    "portal:invite_accept": Expect(
        EVERYONE, EVERYONE, kwargs=lambda o: {"token": o["invite_token"]}
    ),
    "portal:verify": Expect(
        EVERYONE, EVERYONE, kwargs=lambda o: {"code": o["certificate"].verification_code}
    ),
    # Issue 14: joining the program (public), the site icon, asking for extra quota.
    "portal:apply": Expect(EVERYONE, EVERYONE),
    "portal:apply_thanks": Expect(EVERYONE, NOBODY),
    # The signed answer link is the capability, like an invitation.
    "portal:apply_answer": Expect(
        EVERYONE, EVERYONE, kwargs=lambda o: {"token": o["answer_token"]}
    ),
    "portal:favicon": Expect(EVERYONE, NOBODY),
    "portal:quota_request": Expect(A_ADMIN | B, A_ADMIN | B),
    "portal:seal_badge": Expect(
        EVERYONE, NOBODY, kwargs=lambda o: {"code": o["certificate"].verification_code}
    ),
    "portal:verify_json": Expect(
        EVERYONE, NOBODY, kwargs=lambda o: {"code": o["certificate"].verification_code}
    ),
    "portal:marketplace": Expect(EVERYONE, NOBODY),
    "portal:agreement_ledger_csv": Expect(
        A_VIEW,
        NOBODY,
        tenant=True,
        kwargs=lambda o: {"pk": o["partner"].agreements.first().pk, "ledger": "quota"},
    ),
    # --- partner managers -------------------------------------------------------------------
    "manage:applications": Expect(MANAGER, NOBODY),
    "manage:application": Expect(MANAGER, MANAGER, kwargs=pk("application")),
    "manage:partner_new": Expect(MANAGER, MANAGER),
    "manage:overview": Expect(MANAGER, NOBODY),
    "manage:partner": Expect(MANAGER, MANAGER, kwargs=pk("partner")),
    "manage:metrics": Expect(MANAGER, NOBODY),
    "manage:metrics_csv": Expect(MANAGER, NOBODY, kwargs=lambda o: {"slug": "funnel"}),
    "manage:fees": Expect(MANAGER, NOBODY),
    "manage:renewals": Expect(MANAGER, NOBODY),
    "manage:ledger_csv": Expect(
        MANAGER,
        NOBODY,
        kwargs=lambda o: {
            "pk": o["partner"].pk,
            "agreement_pk": o["partner"].agreements.first().pk,
            "ledger": "quota",
        },
    ),
    "manage:certificate_revoke": Expect(
        NOBODY,
        MANAGER,
        kwargs=lambda o: {"pk": o["partner"].pk, "certificate_pk": o["certificate"].pk},
    ),
    "manage:certificate_revoke_decide": Expect(
        NOBODY,
        MANAGER,
        kwargs=lambda o: {"pk": o["partner"].pk, "certificate_pk": o["certificate"].pk},
    ),
    "manage:credential_reveals": Expect(MANAGER, NOBODY),
    "manage:export_partners": Expect(MANAGER, NOBODY),
    "manage:export_agreements": Expect(MANAGER, NOBODY),
    "manage:export_certifications": Expect(MANAGER, NOBODY),
    # --- support: portal side -----------------------------------------------------------------
    "support:ticket_list": Expect(MEMBERS, MEMBERS),
    "support:ticket_new": Expect(A_DEV | B, A_DEV | B),
    "support:ticket_detail": Expect(A_VIEW, A_VIEW, tenant=True, kwargs=pk("ticket")),
    "support:ticket_action": Expect(
        NOBODY,
        A_DEV,
        tenant=True,
        kwargs=lambda o: {"pk": o["ticket"].pk, "action": "close"},
    ),
    "support:attachment_download": Expect(A_VIEW, A_VIEW, tenant=True, kwargs=pk("attachment")),
    "support:integration": Expect(A_VIEW, A_VIEW, tenant=True, kwargs=pk("integration")),
    "support:update_start": Expect(A_DEV, A_DEV, tenant=True, kwargs=pk("integration")),
    # --- support: the desk (support agents and partner managers) ------------------------------
    "support_staff:queue": Expect(DESK, DESK),
    "support_staff:ticket_new": Expect(DESK, DESK),
    "support_staff:ticket": Expect(DESK, DESK, kwargs=pk("ticket")),
    "support_staff:ticket_action": Expect(
        NOBODY, DESK, kwargs=lambda o: {"pk": o["ticket"].pk, "action": "close"}
    ),
    "support_staff:attachment_download": Expect(DESK, DESK, kwargs=pk("attachment")),
    "support_staff:meetings": Expect(DESK, DESK),
    # A manager asks for a meeting (issue 14): POST only.
    "support_staff:meeting_open": Expect(NOBODY, MANAGER),
    "support_staff:meeting": Expect(DESK, DESK, kwargs=pk("meeting")),
    "support_staff:meeting_action": Expect(
        NOBODY, DESK, kwargs=lambda o: {"pk": o["meeting"].pk, "action": "schedule"}
    ),
    "support_staff:deployments": Expect(DESK, DESK),
    "support_staff:deployment_mark": Expect(
        NOBODY, DESK, kwargs=lambda o: {"day": o["deploy_day"]}
    ),
    # --- notifications (own rows only) --------------------------------------------------------
    "notifications:list": Expect(USERS, USERS),
    "notifications:read": Expect(NOBODY, A_ADMIN, tenant=True, kwargs=pk("notification")),
    "notifications:read_all": Expect(NOBODY, USERS),
    "notifications:preferences": Expect(USERS, USERS),
    # --- API access pages (partner admins; issue 17) --------------------------------------------
    "portal:api_tokens": Expect(A_ADMIN | B, A_ADMIN | B),
    "portal:api_token_revoke": Expect(NOBODY, A_ADMIN, tenant=True, kwargs=pk("api_token")),
    "portal:api_webhooks": Expect(A_ADMIN | B, A_ADMIN | B),
    "portal:api_webhook": Expect(A_ADMIN, A_ADMIN, tenant=True, kwargs=pk("webhook")),
    "portal:api_webhook_resume": Expect(NOBODY, A_ADMIN, tenant=True, kwargs=pk("webhook")),
    "portal:api_webhook_delete": Expect(NOBODY, A_ADMIN, tenant=True, kwargs=pk("webhook")),
    "portal:api_delivery_redeliver": Expect(NOBODY, A_ADMIN, tenant=True, kwargs=pk("delivery")),
    # --- the HTTP API (/api/v1/), with the session (the docs page's auth) ---------------------
    # The matrix POSTs form data: an API write then answers 400/422 once the caller passed
    # the door (role and tenant are checked first, in api.auth). Paths without a POST: 405.
    "api:openapi-json": Expect(EVERYONE, NOBODY),
    "api:openapi-view": Expect(USERS, NOBODY),
    "api:api-root": Expect(NOBODY, NOBODY),
    "api:integrations": Expect(MEMBERS, A_DEV | B),
    "api:integration_create": Expect(MEMBERS, A_DEV | B),
    "api:integration": Expect(
        A_VIEW, NOBODY, tenant=True, kwargs=lambda o: {"integration_id": o["integration"].pk}
    ),
    "api:integration_update": Expect(
        A_VIEW, NOBODY, tenant=True, kwargs=lambda o: {"integration_id": o["integration"].pk}
    ),
    "api:requests": Expect(MEMBERS, A_DEV | B),
    "api:request_create": Expect(MEMBERS, A_DEV | B),
    "api:request": Expect(
        A_VIEW, NOBODY, tenant=True, kwargs=lambda o: {"request_id": o["draft"].pk}
    ),
    "api:request_update": Expect(
        A_VIEW, NOBODY, tenant=True, kwargs=lambda o: {"request_id": o["draft"].pk}
    ),
    "api:checklist": Expect(NOBODY, NOBODY, kwargs=lambda o: {"request_id": o["draft"].pk}),
    "api:documents": Expect(
        NOBODY, A_DEV, tenant=True, kwargs=lambda o: {"request_id": o["draft"].pk}
    ),
    "api:environments": Expect(
        NOBODY, A_DEV, tenant=True, kwargs=lambda o: {"request_id": o["in_review"].pk}
    ),
    "api:environment": Expect(
        NOBODY,
        NOBODY,
        kwargs=lambda o: {"request_id": o["in_review"].pk, "environment_id": o["environment"].pk},
    ),
    "api:environment_delete": Expect(
        NOBODY,
        NOBODY,
        kwargs=lambda o: {"request_id": o["in_review"].pk, "environment_id": o["environment"].pk},
    ),
    "api:submit": Expect(
        NOBODY, A_ADMIN, tenant=True, kwargs=lambda o: {"request_id": o["draft"].pk}
    ),
    "api:withdraw": Expect(
        NOBODY, A_DEV, tenant=True, kwargs=lambda o: {"request_id": o["draft"].pk}
    ),
    "api:resubmit": Expect(
        NOBODY, A_DEV, tenant=True, kwargs=lambda o: {"request_id": o["in_review"].pk}
    ),
    "api:status": Expect(
        A_VIEW, NOBODY, tenant=True, kwargs=lambda o: {"request_id": o["in_review"].pk}
    ),
    "api:request_certificate": Expect(
        A_VIEW, NOBODY, tenant=True, kwargs=lambda o: {"request_id": o["certified"].pk}
    ),
    "api:intake_report": Expect(
        A_VIEW, NOBODY, tenant=True, kwargs=lambda o: {"request_id": o["in_review"].pk}
    ),
    "api:request_findings": Expect(
        A_VIEW, NOBODY, tenant=True, kwargs=lambda o: {"request_id": o["in_review"].pk}
    ),
    "api:replies": Expect(
        A_VIEW, A_DEV, tenant=True, kwargs=lambda o: {"finding_id": o["finding"].pk}
    ),
    "api:dispute": Expect(
        NOBODY, A_DEV, tenant=True, kwargs=lambda o: {"finding_id": o["finding"].pk}
    ),
    "api:reply": Expect(
        A_VIEW, A_DEV, tenant=True, kwargs=lambda o: {"finding_id": o["finding"].pk}
    ),
    "api:certificates": Expect(MEMBERS, NOBODY),
    "api:certificate": Expect(
        A_VIEW, NOBODY, tenant=True, kwargs=lambda o: {"certificate_id": o["certificate"].pk}
    ),
    "api:guidelines": Expect(MEMBERS, NOBODY),
    "api:account": Expect(MEMBERS, NOBODY),
    "api:staff_queue": Expect(STAFF, NOBODY),
    "api:staff_request": Expect(STAFF, NOBODY, kwargs=lambda o: {"request_id": o["in_review"].pk}),
    "api:staff_transition": Expect(
        NOBODY, STAFF, kwargs=lambda o: {"request_id": o["in_review"].pk}
    ),
    "api:staff_assign": Expect(NOBODY, STAFF, kwargs=lambda o: {"request_id": o["in_review"].pk}),
}

# URLs whose regex cannot be filled from kwargs.
FIXED_URLS = {
    "admin:app_list": "/admin/certifications/",
    "admin:<unnamed admin/(?P<url>.*)$>": "/admin/no-such-page/",
}


def expectation(route: Route) -> Expect | None:
    if route.key.startswith("admin-model:"):
        specific = f"{route.key}@{model_label_of(route.route)}"
        if specific in EXPECT:
            return EXPECT[specific]
    return EXPECT.get(route.key)


def _first_pk(model) -> Any:
    return model._default_manager.order_by("pk").values_list("pk", flat=True).first() or 999999


def concrete_url(route: Route, objects: dict) -> str:
    if route.key in FIXED_URLS:
        return FIXED_URLS[route.key]
    expect = expectation(route)
    if expect is not None and expect.kwargs is not None:
        return route.url(expect.kwargs(objects))
    if route.params and route.key.startswith("admin"):
        # Generic admin URLs point at the model's first row (partner A's, built first).
        first = _first_pk(admin_model_for(route.route))
        return route.url({name: first for name in route.params})
    return route.url({})


# --- Responses --------------------------------------------------------------------------------

# 401: the GitHub webhook's answer to a delivery without a valid signature, and the API's
# to a call without a token or session (a page redirects instead).
REFUSED = {401, 403, 404, 405}
# POST URLs authenticated by a signature instead of a session, hence without CSRF: a
# token-less POST must still be refused (by the signature check, 401).
CSRF_EXEMPT = {"github_webhook": 401}


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def login_paths() -> set[str]:
    return {reverse("login"), reverse("admin:login"), reverse("otp_verify"), reverse("otp_setup")}


def is_refusal(response, logins: set[str]) -> bool:
    if response.status_code in REFUSED:
        return True
    if response.status_code == 302:
        return urlparse(response["Location"]).path in logins
    return False


# --- Database snapshot ------------------------------------------------------------------------

SNAPSHOT_APPS = ("certifications", "partners", "reviews", "support", "certportal")
# Full rows (state fields, updated_at and all) of the models a refused POST could touch.
FULL_ROW_MODELS = (
    "partners.Partner",
    "partners.Membership",
    "partners.Agreement",
    "partners.BusinessReview",
    "partners.SupportPlan",
    "certifications.Integration",
    "certifications.CertificationRequest",
    "certifications.Document",
    "certifications.TestEnvironment",
    "reviews.Finding",
    "support.Ticket",
    "support.SupportMeeting",
    "certportal.Notification",
    "certportal.UserProfile",
)


def _tables() -> list[str]:
    tables = [
        m._meta.db_table for app in SNAPSHOT_APPS for m in apps.get_app_config(app).get_models()
    ]
    return [*tables, "auth_user", "auth_user_groups"]


def _rows_sql(label: str) -> str:
    """One scalar subquery that folds every row of the model (ordered by its key) into one
    text value: two snapshots differ exactly when a row was added, removed or changed."""
    model = apps.get_model(label)
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    if connection.vendor == "postgresql":
        folded = f"string_agg(r::text, '|' ORDER BY r.{pk})"
    else:  # SQLite: quote() spells each value (NULL, numbers, text) unambiguously
        columns = " || ',' || ".join(
            f"quote(r.{qn(f.column)})" for f in model._meta.concrete_fields
        )
        folded = f"group_concat({columns}, '|')"
    # Table and column names come from the models, never from input.
    return f"(SELECT {folded} FROM (SELECT * FROM {table} ORDER BY {pk}) r)"  # noqa: S608


def snapshot() -> tuple:
    """Row counts of every program table plus the full rows of the stateful models, in one
    query (a refused POST is compared with the baseline on every case: the snapshot is the
    matrix's hottest loop)."""
    tables = _tables()
    qn = connection.ops.quote_name
    # Table names come from the models, never from input.
    counts_sql = [f"(SELECT COUNT(*) FROM {qn(t)})" for t in tables]  # noqa: S608
    rows_sql = [_rows_sql(label) for label in FULL_ROW_MODELS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(counts_sql + rows_sql))
        values = cursor.fetchone()
    counts = dict(zip(tables, values[: len(tables)], strict=True))
    rows = dict(zip(FULL_ROW_MODELS, values[len(tables) :], strict=True))
    return counts, rows


def diff(before: tuple, after: tuple) -> list[str]:
    changes = [f"count {t}: {n} -> {after[0][t]}" for t, n in before[0].items() if after[0][t] != n]
    changes += [
        f"rows of {label} changed" for label, r in before[1].items() if after[1][label] != r
    ]
    return changes
