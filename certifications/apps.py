from django.apps import AppConfig


class CertificationsConfig(AppConfig):
    name = "certifications"

    def ready(self) -> None:
        from certifications import (
            page_scopes,
            receivers,  # noqa: F401  (the overview's stored keys)
        )
        from certportal.cache_invalidation import track

        track(
            "certifications.Integration",
            partner="partner_id",
            integration="pk",
            verify=True,
            also=(page_scopes.QUEUE_NAMES,),
        )
        track(
            "certifications.CertificationRequest",
            partner="integration.partner_id",
            request="pk",
            integration="integration_id",
            watch=page_scopes.QUEUE_FIELDS,
            extra=page_scopes.request_write_scopes,
        )
        for name in ("TransitionLog", "Document", "TestEnvironment", "SealApproval"):
            track(
                f"certifications.{name}",
                partner="request.integration.partner_id",
                request="request_id",
                integration="request.integration_id",
            )
        track(
            "certifications.CredentialReveal",
            partner="environment.request.integration.partner_id",
            request="environment.request_id",
            integration="environment.request.integration_id",
        )
        track(
            "certifications.Certificate",
            partner="request.integration.partner_id",
            request="request_id",
            integration="request.integration_id",
            verify=True,
        )
        track(
            "certifications.Listing",
            partner="integration.partner_id",
            integration="integration_id",
            verify=True,
        )
        track("certifications.Guideline", everywhere=True)
