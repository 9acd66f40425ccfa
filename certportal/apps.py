from django.apps import AppConfig


class CertportalConfig(AppConfig):
    name = "certportal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from certportal import cache_invalidation

        cache_invalidation.connect()
