from django.apps import AppConfig


class CertificationsConfig(AppConfig):
    name = "certifications"

    def ready(self) -> None:
        from certifications import receivers  # noqa: F401  (the overview's stored keys)
        from certportal.cache_invalidation import track

        track("certifications.Integration", partner="partner_id", verify=True)
        track("certifications.CertificationRequest", partner="integration.partner_id")
        for name in ("TransitionLog", "Document", "TestEnvironment"):
            track(f"certifications.{name}", partner="request.integration.partner_id")
        track(
            "certifications.CredentialReveal",
            partner="environment.request.integration.partner_id",
        )
        track("certifications.Certificate", partner="request.integration.partner_id", verify=True)
        track("certifications.Listing", partner="integration.partner_id", verify=True)
        track("certifications.Guideline", everywhere=True)
        track("certifications.SealApproval", partner="request.integration.partner_id")
