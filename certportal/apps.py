from django.apps import AppConfig


class CertportalConfig(AppConfig):
    name = "certportal"
    verbose_name = "Audit trail and notifications"

    def ready(self) -> None:
        # Importing auth connects the per-address login-failure counter.
        from certportal import auth, cache_invalidation  # noqa: F401

        cache_invalidation.connect()
