from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"

    def ready(self) -> None:
        from certportal.cache_invalidation import track
        from reviews import receivers  # noqa: F401  (connects the GitHub access sync)
        from reviews.metrics import receivers as metrics_receivers

        metrics_receivers.connect()

        track(
            "reviews.Finding",
            partner="request.integration.partner_id",
            request="request_id",
            integration="request.integration_id",
        )
        track(
            "reviews.FindingReply",
            partner="finding.request.integration.partner_id",
            request="finding.request_id",
            integration="finding.request.integration_id",
        )
        track(
            "reviews.RepoAccessGrant",
            partner="integration.partner_id",
            integration="integration_id",
        )
        track(
            "reviews.IntakeReport", partner="integration.partner_id", integration="integration_id"
        )
        track(
            "reviews.IntakeReportItem",
            partner="report.integration.partner_id",
            integration="report.integration_id",
        )
        track(
            "reviews.IntakeOverride",
            partner="request.integration.partner_id",
            request="request_id",
            integration="request.integration_id",
        )
        track(
            "reviews.WebhookDelivery",
            partner="integration.partner_id",
            integration="integration_id",
        )

        from certifications import intake_checks
        from reviews.intake import services as intake

        intake_checks.register(
            "intake_report",
            intake_checks.IntakeCheck(
                blockers=intake.intake_blockers, record_override=intake.intake_record_override
            ),
        )
        # Issue 15: review rounds show on both request pages; canned responses are
        # reference data; a reviewer's settings change their own pages.
        track(
            "reviews.ReviewRound",
            partner="request.integration.partner_id",
            request="request_id",
            integration="request.integration_id",
        )
        track("reviews.CannedResponse", everywhere=True)
        track("reviews.ReviewerProfile", user="user_id", also=("staff",))
