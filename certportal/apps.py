from django.apps import AppConfig


class CertportalConfig(AppConfig):
    name = "certportal"
    verbose_name = "Audit trail and notifications"

    def ready(self) -> None:
        from certportal import cache_invalidation

        cache_invalidation.connect()
