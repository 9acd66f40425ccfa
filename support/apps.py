from django.apps import AppConfig


def _on_request_transitioned(sender, *, request_id, transition, **kwargs) -> None:
    """A certified initial certification or major update gets its post-certification support
    meeting (sent after commit); `meeting_ensure` decides by the request's kind."""
    if transition not in ("cr_pass", "docs_pass"):
        return
    from support.services import meeting_ensure

    meeting_ensure(request_id=request_id)


class SupportConfig(AppConfig):
    name = "support"

    def ready(self) -> None:
        from certifications.signals import request_transitioned
        from certportal.cache_invalidation import track

        track("support.Ticket", partner="partner_id")
        track("support.TicketEvent", partner="ticket.partner_id")
        track("support.TicketAttachment", partner="ticket.partner_id")
        track(
            "support.SupportMeeting",
            partner="request.integration.partner_id",
            request="request_id",
            integration="request.integration_id",
        )
        track("support.DeploymentCycle", everywhere=True)

        request_transitioned.connect(
            _on_request_transitioned, dispatch_uid="support.meeting_on_certified"
        )
