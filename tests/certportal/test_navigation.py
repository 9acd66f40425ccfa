"""The top navigation (certportal.context_processors.portal): who sees which section."""

from __future__ import annotations

import pytest
from django.urls import reverse

from partners.enums import MemberRole
from partners.models import Membership
from tests.factories import member

pytestmark = pytest.mark.django_db

PORTAL = 'href="/portal/"'


def nav_of(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"), follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_portal_link_only_for_members(client, partner, partner_admin, manager):
    assert PORTAL in nav_of(client, partner_admin)
    managers_nav = nav_of(client, manager)
    assert PORTAL not in managers_nav and "Program management" in managers_nav
    member(partner, username="someone-else")  # another person's membership changes nothing
    assert PORTAL not in nav_of(client, manager)
    Membership.objects.create(user=manager, partner=partner, role=MemberRole.VIEWER)
    both = nav_of(client, manager)
    assert PORTAL in both and "Program management" in both
