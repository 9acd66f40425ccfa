import pytest
from django.urls import reverse

from certportal.models import UserProfile
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def test_dashboard_shows_agreement_quota_and_eligibility(client, draft, partner_admin):
    client.force_login(partner_admin)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Active" in body
    assert "Paid" in body
    assert "Major" in body and "Minor" in body
    assert "Marketing credit" in body
    assert "meets every program requirement" in body
    # the draft is waiting on the partner and listed at the top
    assert body.index("Waiting on you") < body.index("Acme Captions 1.0.0")


def test_dashboard_links_each_missing_requirement_to_its_fix(client, partner, partner_admin):
    client.force_login(partner_admin)
    body = client.get(reverse("portal:dashboard")).content.decode()
    assert reverse("portal:business_review") in body
    assert reverse("portal:support_plan") in body
    assert reverse("portal:agreement") in body
    assert "No agreement yet" in body


def test_dashboard_lists_open_findings(client, changes_requested, partner_viewer):
    client.force_login(partner_viewer)
    body = client.get(reverse("portal:dashboard")).content.decode()
    assert "Upload fails on large files" in body
    assert "Changes requested" in body


def test_dashboard_empty_states(client, partner, partner_viewer):
    client.force_login(partner_viewer)
    body = client.get(reverse("portal:dashboard")).content.decode()
    assert "Nothing is waiting on you" in body
    assert "No integrations registered yet" in body


def test_staff_non_member_sees_no_partner_data(client, draft, manager):
    client.force_login(manager)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 403
    assert b"not a member" in response.content
    assert b"Acme" not in response.content


def test_switcher_shown_only_for_several_memberships(client, partner, partner_admin):
    client.force_login(partner_admin)
    assert b"org-switch" not in client.get(reverse("portal:dashboard")).content
    second = PartnerFactory(name="Second Org")
    from partners.models import Membership

    Membership.objects.create(user=partner_admin, partner=second, role="viewer")
    assert b"org-switch" in client.get(reverse("portal:dashboard")).content


def test_switch_partner_changes_current_organisation(client, partner, partner_admin):
    second = PartnerFactory(name="Second Org")
    from partners.models import Membership

    Membership.objects.create(user=partner_admin, partner=second, role="viewer")
    client.force_login(partner_admin)
    response = client.post(reverse("portal:switch_partner"), {"partner": second.pk})
    assert response.status_code == 302
    body = client.get(reverse("portal:dashboard")).content.decode()
    assert "<h1>Second Org</h1>" in body
    assert UserProfile.objects.get(user=partner_admin).current_partner_id == second.pk


def test_switch_to_foreign_partner_is_404(client, partner_admin, other_partner):
    client.force_login(partner_admin)
    response = client.post(reverse("portal:switch_partner"), {"partner": other_partner.pk})
    assert response.status_code == 404


def test_profile_choice_is_used_on_new_session(client, partner, partner_admin):
    second = PartnerFactory(name="Zulu Org")
    member_user = partner_admin
    from partners.models import Membership

    Membership.objects.create(user=member_user, partner=second, role="viewer")
    UserProfile.objects.create(user=member_user, current_partner_id=second.pk)
    client.force_login(member_user)
    assert "<h1>Zulu Org</h1>" in client.get(reverse("portal:dashboard")).content.decode()
