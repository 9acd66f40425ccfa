"""What the partner's integration page says about the reviewers' repository access: which
GitHub accounts get access and why, the live state of each, and what the partner must do
when access cannot be granted automatically (GitHub not connected, or a grant failed).

Database reads only, like ``desired``: the page never calls GitHub."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from certifications.enums import OPEN_STATES
from certifications.models import Integration
from certportal.models import UserProfile
from reviews.github import is_configured
from reviews.models import GrantSource, GrantState, RepoAccessGrant

STATE_LABELS = {
    GrantState.PENDING: "Pending",
    GrantState.INVITED: "Invited",
    GrantState.ACTIVE: "Active",
    GrantState.REVOKED: "Removed",
    GrantState.FAILED: "Failed",
}


@dataclass(frozen=True)
class AccessRow:
    login: str
    who: str
    state: str  # a GrantState value, or "" when no grant row exists yet
    state_label: str
    reason: str
    checked_at: object = None


@dataclass
class AccessPanel:
    rows: list[AccessRow] = field(default_factory=list)
    automatic: bool = True
    # Logins the partner must add by hand (read access), when access is not automatic.
    to_add_by_hand: list[str] = field(default_factory=list)
    reviewer_without_login: bool = False
    has_open_request: bool = False


def repo_access_panel(*, integration: Integration) -> AccessPanel:
    """The access panel of one integration (the caller has scoped it to the partner)."""
    open_requests = list(
        integration.requests.filter(state__in=OPEN_STATES).values_list(
            "assigned_reviewer_id", flat=True
        )
    )
    reviewer_ids = {r for r in open_requests if r}
    logins = dict(
        UserProfile.objects.filter(user_id__in=reviewer_ids).values_list("user_id", "github_login")
    )
    panel = AccessPanel(automatic=is_configured(), has_open_request=bool(open_requests))
    panel.reviewer_without_login = any(not (logins.get(r) or "").strip() for r in reviewer_ids)
    grants = {
        g.github_login: g
        for g in RepoAccessGrant.objects.filter(integration=integration).order_by("github_login")
    }
    expected: dict[str, str] = {}
    if open_requests:
        for login in settings.GITHUB_REVIEWER_LOGINS:
            if login.strip():
                expected.setdefault(login.strip().lower(), GrantSource.CONFIGURED.label)
        for login in logins.values():
            if (login or "").strip():
                expected.setdefault(login.strip().lower(), GrantSource.ASSIGNED.label)
    for login in sorted({*expected, *grants}):
        grant = grants.get(login)
        who = expected.get(login) or (grant.get_source_display() if grant else "")
        if grant is None:
            row = AccessRow(login, who, "", "Not requested yet", "")
        else:
            row = AccessRow(
                login,
                who,
                grant.state,
                STATE_LABELS.get(grant.state, grant.get_state_display()),
                grant.last_error if grant.state == GrantState.FAILED else "",
                grant.last_checked_at,
            )
        panel.rows.append(row)
        needs_hand = not panel.automatic or row.state == GrantState.FAILED
        if login in expected and needs_hand and row.state != GrantState.ACTIVE:
            panel.to_add_by_hand.append(login)
    return panel
