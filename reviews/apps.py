from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"

    def ready(self) -> None:
        # Connect the certification-event receivers (GitHub access sync).
        from reviews import receivers  # noqa: F401
