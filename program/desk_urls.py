"""The support desk's pages (mounted under /manage/)."""

from django.urls import path

from program.views import desk as views
from program.views import meeting_open

app_name = "support_staff"

urlpatterns = [
    path("support/", views.queue, name="queue"),
    path("support/new/", views.ticket_new, name="ticket_new"),
    path("support/tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("support/tickets/<int:pk>/<slug:action>/", views.ticket_action, name="ticket_action"),
    path("support/attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("support/meetings/", views.meeting_list, name="meetings"),
    path("support/meetings/open/", meeting_open.meeting_open, name="meeting_open"),
    path("support/meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("support/meetings/<int:pk>/<slug:action>/", views.meeting_action, name="meeting_action"),
    path("deployments/", views.deployment_calendar, name="deployments"),
    path("deployments/<str:day>/deploy/", views.deployment_mark, name="deployment_mark"),
]
