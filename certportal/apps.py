from django.apps import AppConfig


class CertportalConfig(AppConfig):
    name = "certportal"
    verbose_name = "Audit trail and notifications"

    def ready(self) -> None:
        # Importing auth connects the per-address login-failure counter.
        # Importing webhook_tasks registers the webhook tasks with Celery.
        from certportal import auth, cache_invalidation, webhook_tasks  # noqa: F401

        cache_invalidation.connect()
