"""The partner portal (/portal/...) and the public certificate verification page."""

from django.urls import include, path

from portal.views import (
    apply,
    dashboard,
    findings,
    intake,
    marketplace,
    public,
    quota,
    requests,
    seal,
    wizard,
)
from portal.views import partners as partner_views

app_name = "portal"

urlpatterns = [
    path("portal/", dashboard.dashboard, name="dashboard"),
    path("portal/switch/", partner_views.switch_partner, name="switch_partner"),
    path("portal/integrations/", dashboard.integration_list, name="integration_list"),
    path("portal/integrations/new/", dashboard.integration_create, name="integration_create"),
    path("portal/integrations/<int:pk>/", dashboard.integration_detail, name="integration_detail"),
    path("portal/integrations/<int:pk>/edit/", dashboard.integration_edit, name="integration_edit"),
    path("portal/integrations/<int:pk>/requests/new/", wizard.request_new, name="request_new"),
    path("portal/requests/<int:pk>/", requests.request_detail, name="request_detail"),
    path("portal/requests/<int:pk>/step/<slug:step>/", wizard.request_step, name="request_step"),
    path("portal/requests/<int:pk>/submit/", wizard.request_submit, name="request_submit"),
    path("portal/requests/<int:pk>/resubmit/", requests.request_resubmit, name="request_resubmit"),
    path("portal/requests/<int:pk>/withdraw/", requests.request_withdraw, name="request_withdraw"),
    path(
        "portal/requests/<int:pk>/intake/rerun/",
        intake.request_intake_rerun,
        name="request_intake_rerun",
    ),
    path("portal/findings/<int:pk>/", requests.finding_thread, name="finding_thread"),
    path("portal/findings/<int:pk>/reply/", requests.finding_reply, name="finding_reply"),
    path("portal/findings/<int:pk>/dispute/", findings.finding_dispute, name="finding_dispute"),
    path(
        "portal/documents/<int:pk>/download/",
        requests.document_download,
        name="document_download",
    ),
    path("portal/agreement/", partner_views.agreement, name="agreement"),
    path("portal/quota/request/", quota.quota_request, name="quota_request"),
    path(
        "portal/agreement/<int:pk>/<slug:ledger>.csv",
        partner_views.agreement_ledger_csv,
        name="agreement_ledger_csv",
    ),
    path("portal/business-review/", partner_views.business_review, name="business_review"),
    path("portal/support-plan/", partner_views.support_plan, name="support_plan"),
    path("portal/team/", partner_views.team, name="team"),
    path("portal/team/invite/", partner_views.team_invite, name="team_invite"),
    path("portal/team/<int:pk>/role/", partner_views.member_role, name="member_role"),
    path("portal/team/<int:pk>/remove/", partner_views.member_remove, name="member_remove"),
    path("portal/invitations/<str:token>/", partner_views.invite_accept, name="invite_accept"),
    path("verify/<str:code>/", public.verify, name="verify"),
    path("favicon.ico", public.favicon, name="favicon"),
    path("apply/", apply.apply, name="apply"),
    path("apply/thanks/", apply.apply_thanks, name="apply_thanks"),
    path("apply/answer/<str:token>/", apply.apply_answer, name="apply_answer"),
    # API access: tokens and webhooks (partner admins)
    path("portal/", include("portal.api_urls")),
    path("verify/<str:code>/seal.svg", seal.seal_badge, name="seal_badge"),
    path("verify/<str:code>/verification.json", seal.verify_json, name="verify_json"),
    path("marketplace/", marketplace.marketplace, name="marketplace"),
]
