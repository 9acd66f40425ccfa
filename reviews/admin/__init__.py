"""The reviewers' back office: the review queue (CertificationRequest changelist) and the
request page (package, test access, transitions, findings, timeline).

Every write here calls a service (certifications.services / reviews.services); the admin
never sets `state` and never saves a stateful model. Buttons are shown from the available
user transitions (presentation only); the service is the guard.

Django's autodiscovery imports `reviews.admin`; importing `certification_requests` and
`records` here registers the admins:

- `queue`: the changelist, its filters and capped paginator, the assignment actions;
- `review_page`: the request page, its forms and the actions posted from it (reads in
  `reviews.request_page`);
- `certification_requests`: the registered CertificationRequest admin joining those two halves;
- `records`: the plain Finding, FindingReply and RepoAccessGrant admins;
- `intake_panel` / `intake_records`: the intake report's panel actions on the request page,
  and the lists of reports, overrides and GitHub webhook deliveries;
- `workspace`, `workspace_actions`, `workspace_records` (issue 15): the reviewers' queue
  and landing page, reviewer settings, the request page's seal-approval / thread /
  what-changed actions, and the lists of their records;
- `common`: SLA badges, the reviewer list, the permission-cache load.

The fixes of library admin views (django-otp's devices, the changelist's date hierarchy)
live in `certportal.admin_fixes`, for every admin of the project."""

from reviews.admin.certification_requests import CertificationRequestAdmin
from reviews.admin.common import SLA_BADGE
from reviews.admin.intake_records import (
    IntakeOverrideAdmin,
    IntakeReportAdmin,
    WebhookDeliveryAdmin,
)
from reviews.admin.metrics_records import (
    MetricsCellAdmin,
    MetricsChangeAdmin,
    MetricsFactsAdmin,
    MetricsStateAdmin,
)
from reviews.admin.queue import (
    AssignedReviewerFilter,
    CappedCountPaginator,
    PartnerFilter,
    ReviewerChoiceForm,
    SlaStatusFilter,
)
from reviews.admin.records import FindingAdmin, FindingReplyAdmin, RepoAccessGrantAdmin
from reviews.admin.review_page import (
    TRANSITION_LABELS,
    FindingForm,
    FindingStatusForm,
    TransitionForm,
)
from reviews.admin.workspace_records import (
    CannedResponseAdmin,
    CompareCacheAdmin,
    ReviewerProfileAdmin,
    ReviewRoundAdmin,
)

__all__ = [
    "SLA_BADGE",
    "TRANSITION_LABELS",
    "AssignedReviewerFilter",
    "CannedResponseAdmin",
    "CappedCountPaginator",
    "CertificationRequestAdmin",
    "CompareCacheAdmin",
    "FindingAdmin",
    "FindingForm",
    "FindingReplyAdmin",
    "FindingStatusForm",
    "IntakeOverrideAdmin",
    "IntakeReportAdmin",
    "MetricsCellAdmin",
    "MetricsChangeAdmin",
    "MetricsFactsAdmin",
    "MetricsStateAdmin",
    "PartnerFilter",
    "RepoAccessGrantAdmin",
    "ReviewRoundAdmin",
    "ReviewerChoiceForm",
    "ReviewerProfileAdmin",
    "SlaStatusFilter",
    "TransitionForm",
    "WebhookDeliveryAdmin",
]
