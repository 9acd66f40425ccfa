"""Demo data for joining the program (issue 14): one application waiting for the partner
team, so /manage/applications/ shows what managers decide on."""

from __future__ import annotations

from partners import services as partner_services
from partners.models import ProgramApplication


def seed_applications() -> None:
    """Idempotent: creates the demo application once."""
    if ProgramApplication.objects.filter(company="Initech").exists():
        return
    partner_services.application_submit(
        company="Initech",
        website="https://initech.example",
        contact_name="Peter Gibbons",
        contact_email="peter@initech.example",
        technology_partner_id="TP-2041",
        product_areas=["mediaspace_module", "api_workflow"],
        integration_summary=(
            "TPS report workflows for joint customers: a MediaSpace module that files each "
            "lecture recording under its report, and an API workflow that keeps them in sync."
        ),
    )
