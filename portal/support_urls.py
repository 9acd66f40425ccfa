"""Partner-portal support pages and the "Submit an update" flow (mounted under /portal/)."""

from django.urls import path

from portal.views import support as views
from portal.views import updates as update_views

app_name = "support"

urlpatterns = [
    path("support/", views.ticket_list, name="ticket_list"),
    path("support/new/", views.ticket_new, name="ticket_new"),
    path("support/tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("support/tickets/<int:pk>/<slug:action>/", views.ticket_action, name="ticket_action"),
    path("support/attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("support/integrations/<int:pk>/", views.integration_support, name="integration"),
    path("integrations/<int:pk>/update/", update_views.update_start, name="update_start"),
]
