from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"

    def ready(self) -> None:
        from certportal.cache_invalidation import track
        from reviews import receivers  # noqa: F401  (connects the GitHub access sync)

        track("reviews.Finding", partner="request.integration.partner_id")
        track("reviews.FindingReply", partner="finding.request.integration.partner_id")
        track("reviews.RepoAccessGrant", partner="integration.partner_id")
