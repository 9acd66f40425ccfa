"""Partner managers' pages (/manage/)."""

from django.urls import path

from program.views import applications, certificates, money, reports
from program.views import partners as views

app_name = "manage"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("partners/<int:pk>/", views.partner_detail, name="partner"),
    path("partners/new/", applications.partner_new, name="partner_new"),
    path("applications/", applications.application_list, name="applications"),
    path("applications/<int:pk>/", applications.application_detail, name="application"),
    path(
        "partners/<int:pk>/agreements/<int:agreement_pk>/<slug:ledger>.csv",
        money.ledger_csv,
        name="ledger_csv",
    ),
    path(
        "partners/<int:pk>/certificates/<int:certificate_pk>/revoke/",
        certificates.certificate_revoke,
        name="certificate_revoke",
    ),
    path(
        "partners/<int:pk>/certificates/<int:certificate_pk>/revoke/decide/",
        certificates.certificate_revoke_decide,
        name="certificate_revoke_decide",
    ),
    path("fees/", money.fees, name="fees"),
    path("renewals/", money.renewals_due, name="renewals"),
    path("metrics/", reports.metrics_view, name="metrics"),
    path("metrics/<slug:slug>.csv", reports.metrics_csv, name="metrics_csv"),
    path("credential-reveals/", reports.credential_reveals, name="credential_reveals"),
    path("exports/partners.csv", reports.export_partners, name="export_partners"),
    path("exports/agreements.csv", reports.export_agreements, name="export_agreements"),
    path("exports/certifications.csv", reports.export_certifications, name="export_certifications"),
]
