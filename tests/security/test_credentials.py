"""Partner test-site credentials: step-up before a reveal (row 11), exactly one audit row per
reveal in the same transaction and the managers' list of reveals (row 17), no-store
(row 18), and no plaintext in logs, Celery messages, error pages or admin lists (row 19)."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from celery.signals import before_task_publish
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from certifications import services as cert_services
from certifications.models import CredentialReveal
from certportal import security
from certportal.crypto import DecryptionFailed
from config.celery import app as celery_app
from tests.factories import complete_package
from tests.security.conftest import CANARIES

pytestmark = pytest.mark.django_db

PASSWORD = CANARIES["password"]


def _reveal_url(world) -> str:
    return reverse(
        "admin:review_reveal",
        args=[world.objects["in_review"].pk, world.objects["environment"].pk],
    )


def _reviewer_client(world, *, login_age: dt.timedelta | None = None) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(world.users["reviewer"])
    if login_age is not None:
        session = client.session
        session[security.LOGIN_AT_SESSION_KEY] = (timezone.now() - login_age).timestamp()
        session.save()
    return client


# --- Row 11: step-up --------------------------------------------------------------------------


def test_fresh_login_may_reveal(world):
    response = _reviewer_client(world, login_age=dt.timedelta(minutes=14)).post(_reveal_url(world))
    assert response.status_code == 200
    assert PASSWORD in response.content.decode()


@pytest.mark.parametrize("age", [dt.timedelta(minutes=16), dt.timedelta(days=2)])
def test_old_login_must_sign_in_again(world, age):
    client = _reviewer_client(world, login_age=age)
    response = client.post(_reveal_url(world))
    assert response.status_code == 302
    change_url = reverse(
        "admin:certifications_certificationrequest_change", args=[world.objects["in_review"].pk]
    )
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert (
        response["Location"].endswith(change_url)
        or change_url.replace("/", "%2F") in (response["Location"])
    )
    assert PASSWORD not in response.content.decode()
    assert CredentialReveal.objects.count() == 0
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "sign in again" in text and "15 minutes" in text


def test_session_without_a_login_time_must_sign_in_again(world):
    client = _reviewer_client(world)
    session = client.session
    del session[security.LOGIN_AT_SESSION_KEY]
    session.save()
    response = client.post(_reveal_url(world))
    assert response.status_code == 302
    assert CredentialReveal.objects.count() == 0


def test_step_up_window_is_configurable(world, settings):
    settings.CREDENTIAL_REVEAL_REAUTH_MINUTES = 60
    client = _reviewer_client(world, login_age=dt.timedelta(minutes=40))
    assert client.post(_reveal_url(world)).status_code == 200
    settings.CREDENTIAL_REVEAL_REAUTH_MINUTES = 5
    assert client.post(_reveal_url(world)).status_code == 302


def test_a_new_login_sets_the_time(world):
    client = Client()
    client.force_login(world.users["reviewer"])
    assert security.recent_login(type("R", (), {"session": client.session})())


# --- Rows 17 and 18: one audit row per reveal, same transaction; no-store ---------------------


def test_each_reveal_writes_exactly_one_audit_row(world):
    client = _reviewer_client(world)
    for expected in (1, 2):
        response = client.post(_reveal_url(world), REMOTE_ADDR="203.0.113.9")
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert CredentialReveal.objects.count() == expected
    reveal = CredentialReveal.objects.order_by("-pk").first()
    assert reveal.user == world.users["reviewer"]
    assert reveal.environment == world.objects["environment"]
    assert reveal.ip_address == "203.0.113.9"
    assert abs(timezone.now() - reveal.at) < dt.timedelta(minutes=1)


def test_a_failed_decryption_leaves_no_audit_row(world, monkeypatch):
    """The row and the decryption share a transaction: no plaintext, no row; a row, a
    plaintext."""
    field_class = type(world.objects["environment"].password)

    def fail(self):
        raise DecryptionFailed("The stored password cannot be decrypted.")

    monkeypatch.setattr(field_class, "reveal", fail)
    response = _reviewer_client(world).post(_reveal_url(world))
    assert response.status_code == 302
    assert CredentialReveal.objects.count() == 0


def test_managers_list_the_reveals(world):
    revealed = _reviewer_client(world).post(_reveal_url(world), REMOTE_ADDR="203.0.113.9")
    assert revealed.status_code == 200
    url = reverse("manage:credential_reveals")
    manager = Client()
    manager.force_login(world.users["manager"])
    response = manager.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    assert "203.0.113.9" in text
    assert world.users["reviewer"].get_full_name() in text
    assert "Acme Security" in text
    assert PASSWORD not in text
    for role in ("reviewer", "support", "admin"):
        other = Client()
        other.force_login(world.users[role])
        assert other.get(url).status_code == 403


def test_managers_reveal_list_is_empty_state_and_bounded_queries(
    world, django_assert_max_num_queries
):
    manager = Client()
    manager.force_login(world.users["manager"])
    assert (
        "No credentials have been revealed yet."
        in manager.get(reverse("manage:credential_reveals")).content.decode()
    )
    client = _reviewer_client(world)
    for _ in range(5):
        client.post(_reveal_url(world))
    with django_assert_max_num_queries(12):
        response = manager.get(reverse("manage:credential_reveals"))
    assert response.content.decode().count("<tr>") == 6  # header + 5 rows


# --- Row 19 and the secret scan: logs, Celery messages, error pages, admin lists --------------


@pytest.fixture
def published(monkeypatch):
    """Every Celery message the code publishes (the broker is the in-memory transport;
    nothing is patched but the eager switch, so apply_async really serialises)."""
    monkeypatch.setitem(celery_app.conf, "CELERY_TASK_ALWAYS_EAGER", False)
    monkeypatch.setitem(celery_app.conf, "CELERY_BROKER_URL", "memory://")
    messages: list[dict] = []

    def receiver(sender=None, body=None, headers=None, **kwargs):
        messages.append({"task": sender, "body": body, "headers": headers})

    before_task_publish.connect(receiver, weak=False)
    yield messages
    before_task_publish.disconnect(receiver)


def test_no_plaintext_in_logs_or_celery_messages(
    world, caplog, published, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    admin, reviewer = world.users["admin"], world.users["reviewer"]
    with django_capture_on_commit_callbacks(execute=True):
        # A fresh module request with test access, submitted, assigned and revealed.
        request = cert_services.request_create(
            integration=world.objects["module"], actor=admin, version="2.1.0"
        )
        request = complete_package(request, actor=admin)
        env = request.environments.first()
        cert_services.environment_save(
            request=request,
            actor=admin,
            environment=env,
            kind=env.kind,
            url=env.url,
            username=env.username,
            password=PASSWORD,
        )
        request = cert_services.request_submit(request=request, actor=admin)
        request = cert_services.request_assign(request=request, reviewer=reviewer, actor=reviewer)
    response = _reviewer_client(world).post(
        reverse("admin:review_reveal", args=[request.pk, env.pk])
    )
    assert PASSWORD in response.content.decode()  # the reveal itself works

    assert published, "no Celery message was published: the capture is broken"
    for message in published:
        assert PASSWORD not in json.dumps(message, default=str)
        args, kwargs = _task_arguments(message)
        for value in [*args, *kwargs.values()]:
            assert _is_id(value), (message["task"], value)
    assert PASSWORD not in caplog.text
    for record in caplog.records:
        assert PASSWORD not in json.dumps(record.__dict__, default=str)


def _task_arguments(message) -> tuple[list, dict]:
    body = message["body"]
    if isinstance(body, tuple | list):  # protocol 2: (args, kwargs, embed)
        return list(body[0]), dict(body[1])
    return list(body.get("args", [])), dict(body.get("kwargs", {}))


def _is_id(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, list | tuple) and all(_is_id(v) for v in value)


def test_no_plaintext_on_error_pages(world, monkeypatch, caplog):
    """A crash after decryption shows the generic 500 page and logs no plaintext."""
    from reviews.admin import review_page

    def crash(*args, **kwargs):
        raise RuntimeError("template backend down")

    monkeypatch.setattr(review_page, "TemplateResponse", crash)
    with caplog.at_level(logging.DEBUG):
        response = _reviewer_client(world).post(_reveal_url(world))
    assert response.status_code == 500
    assert PASSWORD not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert PASSWORD not in caplog.text


def test_no_plaintext_in_admin_pages(world):
    _reviewer_client(world).post(_reveal_url(world))
    client = Client()
    client.force_login(world.users["manager"])
    env = world.objects["environment"]
    urls = [
        reverse("admin:certifications_testenvironment_changelist"),
        reverse("admin:certifications_testenvironment_change", args=[env.pk]),
        reverse("admin:certifications_credentialreveal_changelist"),
        reverse(
            "admin:certifications_certificationrequest_change",
            args=[world.objects["in_review"].pk],
        ),
        reverse("admin:certportal_auditevent_changelist"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert PASSWORD not in response.content.decode(), url
