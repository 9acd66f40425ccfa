"""Partner managers' pages (/manage/)."""

from django.urls import path

from partners import manage_views as views

app_name = "manage"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("partners/<int:pk>/", views.partner_detail, name="partner"),
    path("metrics/", views.metrics_view, name="metrics"),
    path("credential-reveals/", views.credential_reveals, name="credential_reveals"),
    path("exports/partners.csv", views.export_partners, name="export_partners"),
    path("exports/agreements.csv", views.export_agreements, name="export_agreements"),
    path("exports/certifications.csv", views.export_certifications, name="export_certifications"),
]
