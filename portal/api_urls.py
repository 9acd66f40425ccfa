"""The portal's API access pages (/portal/api/...): tokens and webhooks. Included by
portal.urls, so the names are in the `portal` namespace."""

from django.urls import path

from portal.views import api_access

urlpatterns = [
    path("api/", api_access.tokens, name="api_tokens"),
    path("api/tokens/<int:pk>/revoke/", api_access.token_revoke, name="api_token_revoke"),
    path("api/webhooks/", api_access.webhooks, name="api_webhooks"),
    path("api/webhooks/<int:pk>/", api_access.webhook_detail, name="api_webhook"),
    path("api/webhooks/<int:pk>/resume/", api_access.webhook_resume, name="api_webhook_resume"),
    path("api/webhooks/<int:pk>/delete/", api_access.webhook_delete, name="api_webhook_delete"),
    path(
        "api/deliveries/<int:pk>/redeliver/",
        api_access.delivery_redeliver,
        name="api_delivery_redeliver",
    ),
]
