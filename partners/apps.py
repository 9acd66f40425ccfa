from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self) -> None:
        from certportal import webhooks
        from certportal.cache_invalidation import track
        from partners.selectors import partner_admins

        webhooks.register_admins_resolver(partner_admins)

        track("partners.Partner", partner="pk", verify=True, also=("queue:names",))
        track("partners.Membership", partner="partner_id", user="user_id")
        track("partners.BusinessReview", partner="partner_id")
        track("partners.SupportPlan", partner="partner_id")
        track("partners.Agreement", partner="partner_id", verify=True)
        for name in ("Payment", "MarketingActivity", "QuotaEntry"):
            track(f"partners.{name}", partner="agreement.partner_id")
