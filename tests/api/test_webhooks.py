"""Outgoing webhooks: a receiver in the test verifies each delivery's signature; a 5xx is
retried after its backoff; an endpoint that keeps failing is paused and its admins told;
an event whose broker was down at commit time is delivered by the sweep; a real Celery
worker delivers from the queue; registration refuses private addresses in production."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.utils import timezone

from certifications import services as cert_services
from certportal import webhooks
from certportal.models import Notification
from certportal.webhook_models import DeliveryState, WebhookDelivery
from config.celery import app as celery_app
from partners.services import api_access
from tests.factories import certify
from tests.workers.conftest import (  # noqa: F401 - fixtures used by the worker test
    CLOSED_PORT_BROKER,
    _conf_update,
    _reset_pools,
    broker_at,
    celery_worker,
    redis_broker,
)

pytestmark = pytest.mark.django_db(transaction=False)

ALL_EVENTS = [
    "request.state_changed",
    "finding.added",
    "finding.updated",
    "certificate.issued",
    "certificate.superseded",
    "agreement.changed",
]


class Receiver:
    """An HTTP endpoint on loopback that records what it was sent and answers with the
    next status of `statuses` (the last one repeats)."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.statuses = [200]
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = (
                    receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                )
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(f"receiver says {status}".encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(autouse=True)
def eager():
    """Deliver in-process after commit (no broker) unless a test points Celery elsewhere."""
    keys = ("broker_url", "task_always_eager")
    old = {k: celery_app.conf[k] for k in keys}
    _conf_update({"broker_url": "memory://", "task_always_eager": True})
    _reset_pools(celery_app)
    yield
    _conf_update(old)
    _reset_pools(celery_app)


@pytest.fixture
def endpoint(receiver, partner, partner_admin):
    endpoint, secret = api_access.webhook_endpoint_create(
        actor=partner_admin,
        partner_id=partner.pk,
        url=receiver.url,
        events=["request.state_changed"],
    )
    endpoint.plain_secret = secret
    return endpoint


def submit(draft, partner_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cert_services.request_submit(request=draft, actor=partner_admin)


def test_delivery_is_signed_and_verified_by_the_receiver(
    receiver, endpoint, draft, partner_admin, django_capture_on_commit_callbacks
):
    submit(draft, partner_admin, django_capture_on_commit_callbacks)
    assert len(receiver.received) == 1
    got = receiver.received[0]
    headers = got["headers"]
    assert webhooks.verify(
        endpoint.plain_secret,
        headers["Webhook-Timestamp"],
        got["body"],
        headers["Webhook-Signature"],
    )
    assert not webhooks.verify(
        "whsec_wrong", headers["Webhook-Timestamp"], got["body"], headers["Webhook-Signature"]
    )
    assert not webhooks.verify(
        endpoint.plain_secret,
        headers["Webhook-Timestamp"],
        got["body"] + b" ",
        headers["Webhook-Signature"],
    )
    event = json.loads(got["body"])
    assert event["type"] == "request.state_changed" == headers["Webhook-Event"]
    assert event["data"]["request_id"] == draft.pk and event["data"]["state"] == "submitted"
    assert event["id"] == headers["Webhook-Id"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.DELIVERED and delivery.last_status == 200
    attempt = delivery.attempt_log.get()
    assert attempt.status == 200 and attempt.response_excerpt == "receiver says 200"
    assert attempt.latency_ms >= 0


def test_nothing_is_sent_for_an_event_that_rolled_back(receiver, endpoint, draft, partner_admin):
    from django.db import transaction

    def submit_then_fail():
        with transaction.atomic():
            cert_services.request_submit(request=draft, actor=partner_admin)
            raise RuntimeError("the caller failed after the event")

    with pytest.raises(RuntimeError):
        submit_then_fail()
    assert not WebhookDelivery.objects.exists() and receiver.received == []


def test_5xx_is_retried_after_the_backoff(
    receiver, endpoint, draft, partner_admin, django_capture_on_commit_callbacks
):
    receiver.statuses = [503, 200]
    submit(draft, partner_admin, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 1
    assert delivery.last_status == 503
    wait = delivery.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=25) < wait <= dt.timedelta(seconds=webhooks.backoff(1))
    assert webhooks.sweep() == {}  # not due yet
    with time_machine.travel(delivery.next_attempt_at + dt.timedelta(seconds=1)):
        assert webhooks.sweep() == {"delivered": 1}
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 2
    assert [a.status for a in delivery.attempt_log.order_by("at", "id")] == [503, 200]
    assert len(receiver.received) == 2
    # The same event both times: receivers drop the duplicate by its id.
    assert len({r["headers"]["Webhook-Id"] for r in receiver.received}) == 1
    assert webhooks.backoff(30) == webhooks.BACKOFF_CAP_SECONDS


def test_endpoint_is_paused_after_repeated_failures_and_admin_told(
    client,
    receiver,
    endpoint,
    draft,
    partner_admin,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.WEBHOOK_PAUSE_AFTER = 3
    receiver.statuses = [500]
    submit(draft, partner_admin, django_capture_on_commit_callbacks)
    now = timezone.now()
    for hours in (1, 2, 3, 4):
        with time_machine.travel(now + dt.timedelta(hours=hours)):
            webhooks.sweep()
    endpoint.refresh_from_db()
    assert endpoint.is_paused and "3 failed attempts" in endpoint.paused_reason
    assert len(receiver.received) == 3  # nothing sent while paused
    told = Notification.objects.filter(event="webhook_paused", recipient=partner_admin)
    assert told.count() == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PENDING
    # Fixed receiver; the admin resumes from the portal and the pending event goes out.
    receiver.statuses = [200]
    client.force_login(partner_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/portal/api/webhooks/{endpoint.pk}/resume/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    page = client.get(f"/portal/api/webhooks/{endpoint.pk}/").content.decode()
    assert "HTTP 500" in page and "HTTP 200" in page


def test_redelivery_from_the_portal(
    client,
    receiver,
    endpoint,
    draft,
    partner_admin,
    other_partner_admin,
    django_capture_on_commit_callbacks,
):
    submit(draft, partner_admin, django_capture_on_commit_callbacks)
    first = WebhookDelivery.objects.get()
    client.force_login(other_partner_admin)
    assert client.post(f"/portal/api/deliveries/{first.pk}/redeliver/").status_code == 404
    assert client.get(f"/portal/api/webhooks/{endpoint.pk}/").status_code == 404
    client.force_login(partner_admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/portal/api/deliveries/{first.pk}/redeliver/").status_code == 302
    assert WebhookDelivery.objects.count() == 2 and len(receiver.received) == 2
    assert {d.event_id for d in WebhookDelivery.objects.all()} == {first.event_id}


def test_no_delivery_lost_when_the_broker_is_down_at_event_time(
    receiver, endpoint, draft, partner_admin, django_capture_on_commit_callbacks
):
    with broker_at(CLOSED_PORT_BROKER):
        submit(draft, partner_admin, django_capture_on_commit_callbacks)
        webhooks.publisher_drain()
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 0
    assert webhooks.sweep() == {"delivered": 1}
    assert len(receiver.received) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("celery_worker")
def test_a_celery_worker_delivers_from_the_queue(
    receiver, partner, partner_admin, manager, integration
):
    from tests.factories import draft_request, qualify

    qualify(partner, manager=manager)
    api_access.webhook_endpoint_create(
        actor=partner_admin,
        partner_id=partner.pk,
        url=receiver.url,
        events=["request.state_changed"],
    )
    draft = draft_request(integration, actor=partner_admin)
    cert_services.request_submit(request=draft, actor=partner_admin)
    deadline = time.monotonic() + 10
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(receiver.received) == 1
    assert json.loads(receiver.received[0]["body"])["data"]["state"] == "submitted"


def test_other_events_reach_subscribed_endpoints_only(
    receiver, partner, partner_admin, draft, reviewer, django_capture_on_commit_callbacks
):
    from reviews import services as review_services

    api_access.webhook_endpoint_create(
        actor=partner_admin,
        partner_id=partner.pk,
        url=receiver.url,
        events=["finding.added", "finding.updated", "certificate.issued"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        cert_services.request_submit(request=draft, actor=partner_admin)
        req = cert_services.request_assign(request=draft, reviewer=reviewer, actor=reviewer)
        req = cert_services.request_transition(request=req, name="intake_ok", actor=reviewer)
        finding = review_services.finding_add(
            request=req,
            actor=reviewer,
            category="functional",
            severity="minor",
            title="Typo",
            reviewer_note="x",
        )
        review_services.finding_set_status(finding=finding, actor=reviewer, status="verified")
        req = cert_services.request_transition(request=req, name="ut_pass", actor=reviewer)
        certify(req, reviewer=reviewer)  # with the two-person rule's second approval
    types = [json.loads(r["body"])["type"] for r in receiver.received]
    assert types == ["finding.added", "finding.updated", "certificate.issued"]


def test_registration_refuses_private_and_plain_http_urls_in_production(
    partner, partner_admin, settings
):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    for url, reason in [
        ("http://example.com/hook", "https://"),
        ("https://127.0.0.1/hook", "private or reserved"),
        ("https://10.1.2.3/hook", "private or reserved"),
        ("https://169.254.169.254/latest", "private or reserved"),
        ("https://[::1]/hook", "private or reserved"),
        ("https://user:pw@example.com/", "user name"),
    ]:
        with pytest.raises(api_access.PartnerError, match=reason):
            api_access.webhook_endpoint_create(
                actor=partner_admin, partner_id=partner.pk, url=url, events=ALL_EVENTS
            )
    assert webhooks.url_problem("https://93.184.215.14/hook") == ""


def test_a_revoked_certificate_is_announced_to_subscribed_endpoints(
    partner, partner_admin, draft, reviewer, manager
):
    from certifications.models import Certificate
    from certportal.webhook_models import WebhookDelivery as PartnerDelivery

    api_access.webhook_endpoint_create(
        actor=partner_admin,
        partner_id=partner.pk,
        url="http://127.0.0.1:9/hook",
        events=["certificate.revoked"],
    )
    cert_services.request_submit(request=draft, actor=partner_admin)
    req = cert_services.request_assign(request=draft, reviewer=reviewer, actor=reviewer)
    for name in ("intake_ok", "ut_pass"):
        req = cert_services.request_transition(request=req, name=name, actor=reviewer)
    certify(req, reviewer=reviewer)
    assert not PartnerDelivery.objects.exists()  # issued: not subscribed
    certificate = Certificate.objects.get(request=req)
    pending = cert_services.certificate_revoke(
        certificate=certificate, actor=manager, reason="The agreement was cancelled."
    )
    assert not PartnerDelivery.objects.exists()  # one person asked: not revoked yet
    cert_services.seal_revoke_confirm(approval=pending, actor=reviewer)
    [delivery] = PartnerDelivery.objects.all()  # once, from the one revocation path
    assert delivery.event == "certificate.revoked"
    assert delivery.payload["data"]["certificate_id"] == certificate.pk
    assert delivery.payload["data"]["reason"] == "The agreement was cancelled."
