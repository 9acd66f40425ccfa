import re

import pytest
from django.contrib.auth.models import User
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from partners.models import Membership
from partners.services import INVITE_SALT
from partners.services import invitation_create as invite_token

pytestmark = pytest.mark.django_db


def invite_link(client):
    body = mail.outbox[-1].body
    return re.search(r"http://testserver(/portal/invitations/[^/\s]+/)", body).group(1)


def test_team_lists_members(client, partner_admin, partner_viewer):
    client.force_login(partner_viewer)
    body = client.get(reverse("portal:team")).content.decode()
    assert "acme-admin-t@example.com" in body
    assert "Invite a member" not in body


def test_admin_invites_and_anonymous_accepts(client, partner, partner_admin):
    client.force_login(partner_admin)
    response = client.post(
        reverse("portal:team_invite"), {"email": "new@example.com", "role": "developer"}
    )
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["new@example.com"]
    link = invite_link(client)
    anonymous = Client()
    assert b"Create your account" in anonymous.get(link).content
    response = anonymous.post(
        link,
        {
            "first_name": "Nia",
            "last_name": "Newbie",
            "username": "newbie",
            "password1": "Long-pass-phrase-77",
            "password2": "Long-pass-phrase-77",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.email == "new@example.com"
    assert user.get_full_name() == "Nia Newbie"
    assert Membership.objects.get(user=user, partner=partner).role == "developer"
    # the same link cannot create a second account
    again = Client().get(link)
    assert again.status_code == 400


def test_logged_in_user_accepts(client, partner, other_partner_admin):
    token = invite_token(partner_id=partner.pk, email="x@example.com", role="viewer")
    client.force_login(other_partner_admin)
    url = reverse("portal:invite_accept", args=[token])
    assert b"Accept the invitation" in client.get(url).content
    assert client.post(url).status_code == 302
    assert Membership.objects.get(user=other_partner_admin, partner=partner).role == "viewer"


def test_expired_or_tampered_invite(client, partner, monkeypatch):
    token = invite_token(partner_id=partner.pk, email="x@example.com", role="admin")
    assert Client().get(reverse("portal:invite_accept", args=[token + "x"])).status_code == 400
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(0))
    old = signing.TimestampSigner(salt=INVITE_SALT).sign_object(
        {"p": partner.pk, "e": "x@example.com", "r": "admin"}
    )
    assert Client().get(reverse("portal:invite_accept", args=[old])).status_code == 400


def test_invalid_invite_form(client, partner_admin):
    client.force_login(partner_admin)
    response = client.post(reverse("portal:team_invite"), {"email": "nope", "role": "admin"})
    assert response.status_code == 200
    assert b"error-summary" in response.content
    assert not mail.outbox


def test_developer_cannot_invite(client, partner_developer):
    client.force_login(partner_developer)
    response = client.post(
        reverse("portal:team_invite"), {"email": "a@example.com", "role": "admin"}
    )
    assert response.status_code == 403
    assert not mail.outbox


def test_change_role_and_remove(client, partner_admin, partner_viewer):
    membership = Membership.objects.get(user=partner_viewer)
    client.force_login(partner_admin)
    client.post(reverse("portal:member_role", args=[membership.pk]), {"role": "developer"})
    membership.refresh_from_db()
    assert membership.role == "developer"
    client.post(reverse("portal:member_remove", args=[membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_last_admin_cannot_be_removed(client, partner_admin):
    membership = Membership.objects.get(user=partner_admin)
    client.force_login(partner_admin)
    response = client.post(reverse("portal:member_remove", args=[membership.pk]))
    assert response.status_code == 400
    assert b"at least one admin" in response.content
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_other_tenant_membership_404(client, partner_viewer, other_partner_admin):
    membership = Membership.objects.get(user=partner_viewer)
    client.force_login(other_partner_admin)
    url = reverse("portal:member_role", args=[membership.pk])
    assert client.post(url, {"role": "admin"}).status_code == 404
    membership.refresh_from_db()
    assert membership.role == "viewer"
