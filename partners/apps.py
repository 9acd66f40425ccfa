from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self) -> None:
        from certportal.cache_invalidation import track

        track("partners.Partner", partner="pk", verify=True)
        track("partners.Membership", partner="partner_id", user="user_id")
        track("partners.BusinessReview", partner="partner_id")
        track("partners.SupportPlan", partner="partner_id")
        track("partners.Agreement", partner="partner_id", verify=True)
        for name in ("Payment", "MarketingActivity", "QuotaEntry"):
            track(f"partners.{name}", partner="agreement.partner_id")
