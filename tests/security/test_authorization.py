"""Authorization beyond the matrix: fail-closed predicates (row 2), mass assignment and
explicit form fields (row 5), writes naming another tenant's ids (row 6), and the denial
log (rows 20 and 21)."""

from __future__ import annotations

import importlib
import logging
import pkgutil

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from certifications import permissions as cert_perms
from certifications.enums import ProductArea
from certifications.models import (
    CertificationRequest,
    CredentialReveal,
    Integration,
    TestEnvironment,
)
from partners.models import Membership
from portal import context as portal_context
from support.models import Ticket
from tests.factories import IntegrationFactory, complete_package, member
from tests.security.conftest import CANARIES, CANARY

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("certifications", "certportal", "partners", "reviews", "support")


def _client(user, **kwargs) -> Client:
    client = Client(raise_request_exception=False, **kwargs)
    client.force_login(user)
    return client


# --- Row 2: a permission predicate that fails denies the request, leaking nothing -----------


def test_raising_portal_role_check_denies_without_leaking(world, monkeypatch):
    def broken(self, minimum, partner_id=None):
        raise RuntimeError("predicate exploded: internal detail 42")

    monkeypatch.setattr(portal_context.PortalContext, "allows", broken)
    client = _client(world.users["developer"])
    url = reverse("portal:integration_edit", args=[world.objects["integration"].pk])
    before = Integration.objects.values_list("name", "description").get(
        pk=world.objects["integration"].pk
    )
    response = client.post(url, {"name": "Hijacked", "description": "x"})
    assert response.status_code == 500
    text = response.content.decode()
    assert CANARY not in text
    assert "internal detail" not in text and "Traceback" not in text
    after = Integration.objects.values_list("name", "description").get(
        pk=world.objects["integration"].pk
    )
    assert after == before


def test_raising_reveal_predicate_reveals_nothing(world, monkeypatch):
    def broken(request, user):
        raise RuntimeError("predicate exploded")

    monkeypatch.setattr(cert_perms, "can_reveal_credentials", broken)
    client = _client(world.users["reviewer"])
    url = reverse(
        "admin:review_reveal",
        args=[world.objects["in_review"].pk, world.objects["environment"].pk],
    )
    response = client.post(url)
    assert response.status_code == 500
    text = response.content.decode()
    assert CANARIES["password"] not in text and "Traceback" not in text
    assert CredentialReveal.objects.count() == 0


# --- Row 5: mass assignment --------------------------------------------------------------------


def test_extra_fields_on_integration_edit_are_ignored(world):
    integration = world.objects["integration"]
    client = _client(world.users["admin"])
    response = client.post(
        reverse("portal:integration_edit", args=[integration.pk]),
        {
            "name": "Acme Captions",
            "product_area": integration.product_area,
            "github_repo": integration.github_repo,
            "description": "New text",
            "partner": world.objects["partner_b"].pk,
            "organisation": world.objects["partner_b"].pk,
            "state": "approved",
            "reviewer": world.users["reviewer"].pk,
        },
    )
    assert response.status_code in (200, 302)
    integration.refresh_from_db()
    assert integration.partner_id == world.objects["partner"].pk


def test_extra_fields_on_request_details_are_ignored(world):
    draft = world.objects["draft"]
    client = _client(world.users["admin"])
    client.post(
        reverse("portal:request_step", args=[draft.pk, "details"]),
        {
            "version": "3.0.1",
            "kind": draft.kind,
            "commit_sha": draft.commit_sha,
            "state": "certified",
            "assigned_reviewer": world.users["reviewer"].pk,
            "reviewer": world.users["reviewer"].pk,
            "integration": world.objects["integration"].pk,
            "organisation": world.objects["partner_b"].pk,
        },
    )
    fresh = CertificationRequest.objects.get(pk=draft.pk)
    assert fresh.state == draft.state == "draft"
    assert fresh.assigned_reviewer_id is None
    assert fresh.integration_id == draft.integration_id


def test_extra_fields_on_ticket_create_are_ignored(world):
    client = _client(world.users["developer"])
    response = client.post(
        reverse("support:ticket_new"),
        {
            "integration": world.objects["integration"].pk,
            "severity": "normal",
            "subject": "Mass assignment probe",
            "description": "Nothing special.",
            "partner": world.objects["partner_b"].pk,
            "organisation": world.objects["partner_b"].pk,
            "state": "closed",
            "raised_by": world.users["admin_b"].pk,
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Mass assignment probe")
    assert ticket.partner_id == world.objects["partner"].pk
    assert ticket.raised_by_id == world.users["developer"].pk
    assert ticket.state == "new"


def _project_modules():
    for app in PROJECT_APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            yield importlib.import_module(info.name)


def test_model_forms_list_their_fields_explicitly():
    found = []
    for module in _project_modules():
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, forms.ModelForm)
                and value.__module__ == module.__name__
            ):
                found.append(value)
    assert found, "no ModelForm found: the scan is broken"
    bad = []
    for form_class in found:
        meta = getattr(form_class, "Meta", None)
        fields = getattr(meta, "fields", None)
        if fields == forms.ALL_FIELDS or not isinstance(fields, list | tuple):
            bad.append(f"{form_class.__module__}.{form_class.__name__}: fields={fields!r}")
        if getattr(meta, "exclude", None):
            bad.append(f"{form_class.__module__}.{form_class.__name__}: uses exclude")
    assert not bad, bad


# --- Row 6: writes naming another tenant's ids -------------------------------------------------


@pytest.fixture
def b_draft(world):
    """Partner B's module request, with its own test access."""
    integration = IntegrationFactory(
        partner=world.objects["partner_b"],
        name="Globex Module",
        product_area=ProductArea.MEDIASPACE_MODULE,
        github_repo="globex/module",
    )
    from certifications import services

    request = services.request_create(
        integration=integration, actor=world.users["admin_b"], version="1.0.0"
    )
    return complete_package(request, actor=world.users["admin_b"])


def test_deleting_another_tenants_test_access_is_refused(world, b_draft):
    own = world.objects["draft"]
    foreign_env = b_draft.environments.first()
    client = _client(world.users["admin"])
    response = client.post(
        reverse("portal:request_step", args=[own.pk, "environments"]),
        {"action": "delete", "env": foreign_env.pk},
    )
    assert response.status_code == 404
    assert TestEnvironment.objects.filter(pk=foreign_env.pk).exists()


def test_reading_another_tenants_document_is_refused(world, b_draft):
    document = b_draft.documents.first()
    client = _client(world.users["admin"])
    response = client.get(reverse("portal:document_download", args=[document.pk]))
    assert response.status_code == 404


def test_ticket_on_another_tenants_integration_is_refused(world, b_draft):
    client = _client(world.users["admin"])
    count = Ticket.objects.count()
    response = client.post(
        reverse("support:ticket_new"),
        {
            "integration": b_draft.integration_id,
            "severity": "normal",
            "subject": "Cross-tenant probe",
            "description": "Should not be stored.",
        },
    )
    assert response.status_code in (200, 400)
    assert Ticket.objects.count() == count


def test_acting_on_another_tenants_ticket_is_refused(world):
    client = _client(world.users["admin_b"])
    ticket = world.objects["ticket"]
    for action in ("reply", "acknowledge", "resolve", "close"):
        response = client.post(
            reverse("support:ticket_action", args=[ticket.pk, action]), {"body": "x"}
        )
        assert response.status_code == 404, action
    ticket.refresh_from_db()
    assert ticket.state == "new"
    assert not ticket.events.filter(actor=world.users["admin_b"]).exists()


def test_replying_to_another_tenants_finding_is_refused(world):
    client = _client(world.users["admin_b"])
    response = client.post(
        reverse("portal:finding_reply", args=[world.objects["finding"].pk]), {"body": "x"}
    )
    assert response.status_code == 404
    assert not world.objects["finding"].replies.exists()


def test_team_change_on_another_tenants_membership_is_refused(world):
    client = _client(world.users["admin_b"])
    membership = world.objects["viewer_membership"]
    response = client.post(reverse("portal:member_role", args=[membership.pk]), {"role": "admin"})
    assert response.status_code == 404
    assert Membership.objects.get(pk=membership.pk).role == "viewer"


# --- Rows 20 and 21: every denial is logged, user-controlled values escaped ----------------


def _security_records(caplog):
    return [r for r in caplog.records if r.name == "certportal.security"]


@pytest.mark.parametrize(
    ("role", "url_name", "arg", "status"),
    [
        ("viewer", "portal:integration_edit", "integration", 403),  # role too low
        ("admin_b", "portal:integration_detail", "integration", 404),  # other tenant
        ("reviewer", "portal:integration_list", None, 403),  # staff, not a member
        ("admin", "manage:overview", None, 403),  # not a partner manager
        ("support", "admin:review_reveal", "reveal", 403),  # not the assigned reviewer
    ],
)
def test_every_denial_is_logged(world, caplog, role, url_name, arg, status):
    if arg == "reveal":
        args = [world.objects["in_review"].pk, world.objects["environment"].pk]
        method = "post"
    else:
        args = [world.objects[arg].pk] if arg else []
        method = "get"
    url = reverse(url_name, args=args)
    client = _client(world.users[role])
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="certportal.security"):
        response = getattr(client, method)(url)
    assert response.status_code == status
    records = _security_records(caplog)
    assert len(records) == 1, [r.getMessage() for r in records]
    record = records[0]
    message = record.getMessage()
    assert record.levelno == logging.WARNING
    assert repr(world.users[role].username) in message
    assert repr(url) in message
    assert f"status={status}" in message and " at=" in message
    assert record.created  # the record's own timestamp


def test_username_with_crlf_is_escaped_in_the_log(world, caplog):
    evil = member(world.objects["partner_b"], "viewer", "evil\r\nuser=admin granted")
    client = _client(evil)
    url = reverse("portal:integration_detail", args=[world.objects["integration"].pk])
    with caplog.at_level(logging.WARNING, logger="certportal.security"):
        assert client.get(url).status_code == 404
    records = _security_records(caplog)
    assert records
    for record in records:
        message = record.getMessage()
        assert "\r" not in message and "\n" not in message
        assert "evil\\r\\nuser=admin granted" in message
