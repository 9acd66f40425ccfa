from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Partner-facing pages, the public pages and the portal shell (no models)."""

    name = "portal"
    verbose_name = "Partner portal"
