"""The versioned page cache (certportal.pagecache): hits are cheap, never cross a tenant or
a person, never hold a CSRF token, and every write a page shows makes it fresh."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certifications import services as cert_services
from certportal import cache_invalidation, pagecache
from certportal.outbox import notify
from reviews import services as review_services
from tests.factories import IntegrationFactory, qualify

pytestmark = pytest.mark.django_db

DASHBOARD = "/portal/"


def _get(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    return response, len(ctx.captured_queries)


def _token(body: bytes) -> str:
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert match, "page has no CSRF field"
    return match.group(1).decode()


@pytest.fixture
def submitted(draft, partner_admin, reviewer):
    req = cert_services.request_submit(request=draft, actor=partner_admin)
    return cert_services.request_assign(request=req, reviewer=reviewer, actor=reviewer)


def test_second_view_is_a_hit_with_fewer_queries(client, partner_admin, submitted):
    client.force_login(partner_admin)
    first, miss_queries = _get(client, DASHBOARD)
    second, hit_queries = _get(client, DASHBOARD)
    assert first["X-Page-Cache"] == "miss" and second["X-Page-Cache"] == "hit"
    assert second.status_code == 200
    # the user only (the session is read from the cache): a current copy is served
    # before the membership is read
    assert hit_queries == 1 < miss_queries
    assert "Acme Captions" in second.content.decode()


def test_hit_carries_the_requesters_own_csrf_token(partner_admin, submitted):
    client = Client(enforce_csrf_checks=True)
    client.force_login(partner_admin)
    client.get(DASHBOARD)
    hit = client.get(DASHBOARD)
    assert hit["X-Page-Cache"] == "hit"
    body = hit.content
    assert pagecache.csrf_placeholder().encode() not in body
    token = _token(body)
    # The token works: signing out with it is accepted (not a CSRF 403).
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_page_stored_by_one_session_serves_another_with_its_own_token(partner_admin, submitted):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(partner_admin)
    second.force_login(partner_admin)  # a second browser of the same person
    second.get(DASHBOARD)
    assert second.get(DASHBOARD)["X-Page-Cache"] == "hit"
    hit = first.get(DASHBOARD)  # the copy the other session stored
    assert hit["X-Page-Cache"] == "hit"
    token = _token(hit.content)
    assert token != _token(second.get(DASHBOARD).content)
    assert first.post(reverse("logout"), {"csrfmiddlewaretoken": token}).status_code == 302


def test_other_tenant_and_other_person_never_get_the_page(
    client, partner_admin, partner_viewer, other_partner_admin, submitted
):
    client.force_login(partner_admin)
    client.get(DASHBOARD)
    assert client.get(DASHBOARD)["X-Page-Cache"] == "hit"
    detail = reverse("portal:request_detail", args=[submitted.pk])
    client.get(detail)
    assert client.get(detail)["X-Page-Cache"] == "hit"

    other = Client()
    other.force_login(other_partner_admin)
    response = other.get(DASHBOARD)
    assert response["X-Page-Cache"] == "miss"
    assert "Acme" not in response.content.decode()
    assert other.get(detail).status_code == 404
    assert other.get(detail).status_code == 404

    viewer = Client()
    viewer.force_login(partner_viewer)
    assert viewer.get(DASHBOARD)["X-Page-Cache"] == "miss"


def test_writes_make_the_pages_fresh(client, partner_admin, reviewer, submitted):
    client.force_login(partner_admin)
    detail = reverse("portal:request_detail", args=[submitted.pk])
    client.get(detail)
    assert client.get(detail)["X-Page-Cache"] == "hit"
    cert_services.request_transition(request=submitted, name="intake_ok", actor=reviewer)
    review_services.finding_add(
        request=submitted,
        actor=reviewer,
        category="bug",
        severity="major",
        title="Captions drift after seek",
        reviewer_note="Seek to 10:00 and watch.",
    )
    fresh = client.get(detail)
    assert fresh["X-Page-Cache"] == "miss"
    assert "Captions drift after seek" in fresh.content.decode()
    dashboard = client.get(DASHBOARD)
    assert "Captions drift after seek" in dashboard.content.decode()


def test_staff_queue_and_request_page_follow_program_writes(
    client, reviewer, other_reviewer, partner_admin, submitted
):
    client.force_login(reviewer)
    queue = reverse("admin:certifications_certificationrequest_changelist")
    page = reverse("admin:certifications_certificationrequest_change", args=[submitted.pk])
    for path in (queue, page):
        client.get(path)
        assert client.get(path)["X-Page-Cache"] == "hit"
    cert_services.request_transition(request=submitted, name="intake_ok", actor=reviewer)
    assert client.get(queue)["X-Page-Cache"] == "miss"
    fresh = client.get(page)
    assert fresh["X-Page-Cache"] == "miss"
    assert "User testing" in fresh.content.decode()
    # Another reviewer's page is their own, not the first reviewer's copy.
    second = Client()
    second.force_login(other_reviewer)
    assert second.get(queue)["X-Page-Cache"] == "miss"


def test_notification_refreshes_only_that_persons_header(
    client, partner_admin, partner_developer, submitted
):
    client.force_login(partner_admin)
    dev = Client()
    dev.force_login(partner_developer)
    for c in (client, dev):
        c.get(DASHBOARD)
        assert c.get(DASHBOARD)["X-Page-Cache"] == "hit"
    notify(recipients=[partner_admin], event="generic", subject="Hello")
    response = client.get(DASHBOARD)
    assert response["X-Page-Cache"] == "miss"
    assert 'aria-label="' in response.content.decode() and "unread" in response.content.decode()
    assert dev.get(DASHBOARD)["X-Page-Cache"] == "hit"


def test_page_with_a_flash_message_is_shown_fresh_and_not_stored(client, partner_admin, submitted):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.session import SessionStorage
    from django.test import RequestFactory

    client.force_login(partner_admin)
    client.get(DASHBOARD)
    assert client.get(DASHBOARD)["X-Page-Cache"] == "hit"
    flash = RequestFactory().get("/")
    flash.session = client.session
    SessionStorage(flash)._store([Message(constants.SUCCESS, "Saved it all.")], None)
    flash.session.save()
    shown = client.get(DASHBOARD)
    assert "Saved it all." in shown.content.decode()
    assert "X-Page-Cache" not in shown
    again = client.get(DASHBOARD)
    assert "Saved it all." not in again.content.decode()


def test_no_store_responses_are_not_stored(rf, partner_admin):
    from django.http import HttpResponse

    calls = []

    def render():
        calls.append(1)
        response = HttpResponse("secret")
        response["Cache-Control"] = "no-store"
        return response

    request = rf.get("/x/")
    request.user = partner_admin
    for _ in range(2):
        pagecache.cached_page(request, name="t", scopes=["program"], render=render)
    assert len(calls) == 2


def test_copies_last_the_day_and_end_when_an_sla_turns(
    client, reviewer, partner_admin, submitted, monkeypatch
):
    """No time bucket: a copy outlives minutes; it ends at midnight (day-granular "due in
    3 days") and at the moment its SLA badge changes (due soon, overdue)."""
    client.force_login(partner_admin)
    noon = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(12)))
    monkeypatch.setattr(timezone, "now", lambda: noon)
    client.get(DASHBOARD)
    monkeypatch.setattr(timezone, "now", lambda: noon + dt.timedelta(minutes=30))
    assert client.get(DASHBOARD)["X-Page-Cache"] == "hit"
    tomorrow = noon + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    assert client.get(DASHBOARD)["X-Page-Cache"] == "miss"

    staff = Client()
    staff.force_login(reviewer)
    page = reverse("admin:certifications_certificationrequest_change", args=[submitted.pk])
    due = submitted.sla_due_at
    before_due = due - dt.timedelta(minutes=5)
    monkeypatch.setattr(timezone, "now", lambda: before_due)
    assert staff.get(page)["X-Page-Cache"] == "miss"
    assert staff.get(page)["X-Page-Cache"] == "hit"
    after_due = due + dt.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: after_due)
    if timezone.localdate(after_due) == timezone.localdate(before_due):
        assert staff.get(page)["X-Page-Cache"] == "miss"  # the badge says "overdue" now


def test_public_verify_page(client, submitted):
    from certifications.models import Certificate

    certificate = Certificate.objects.create(
        request=submitted,
        verification_code="verify-cache-1",
        issued_at=timezone.now(),
        valid_until=timezone.localdate() + dt.timedelta(days=365),
    )
    path = reverse("portal:verify", args=[certificate.verification_code])
    client.get(path)
    response, queries = _get(client, path)
    assert response["X-Page-Cache"] == "hit" and queries == 0
    integration = submitted.integration
    integration.name = "Acme Captions Pro"
    integration.save()
    fresh = client.get(path)
    assert fresh["X-Page-Cache"] == "miss"
    assert "Acme Captions Pro" in fresh.content.decode()


def test_cache_outage_renders_normally(client, partner_admin, submitted, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    client.force_login(partner_admin)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert "X-Page-Cache" not in response
    # and a write while the cache is down does not fail
    submitted.integration.save()


def test_cache_off_serves_uncached(client, partner_admin, submitted, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client.force_login(partner_admin)
    client.get(DASHBOARD)
    assert "X-Page-Cache" not in client.get(DASHBOARD)


def test_every_partner_model_maps_to_its_partner(
    partner, other_partner, partner_admin, manager, reviewer, submitted
):
    """Each tracked row reports its own partner's scope, never the other tenant's."""
    from django.apps import apps

    qualify(other_partner, manager=manager)
    IntegrationFactory(partner=other_partner)
    rows_seen = 0
    for label in cache_invalidation.PARTNER_PATHS:
        model = apps.get_model(label)
        for row in model.objects.all()[:20]:
            scopes = cache_invalidation.scopes_for(row)
            assert "program" in scopes
            partner_scopes = {s for s in scopes if s.startswith("partner:")}
            assert len(partner_scopes) == 1, (label, scopes)
            rows_seen += 1
    assert rows_seen > 20


def test_scopes_of_each_kind(eligible_partner, partner, partner_admin, submitted):
    from certifications.models import Guideline

    integration = submitted.integration
    assert cache_invalidation.scopes_for(submitted) == {
        "program",
        f"partner:{partner.pk}",
        f"request:{submitted.pk}",
        f"integration:{integration.pk}",
        # a new (or deleted) request: every list it may be in
        "queue:state:submitted",
        f"queue:reviewer:{submitted.assigned_reviewer_id}",
        "queue:counts",
        "overview",
    }
    # a request saved with no field a list shows changed touches no list
    from certifications.models import CertificationRequest

    loaded = CertificationRequest.objects.get(pk=submitted.pk)
    loaded.change_summary = "Edited"
    narrow = cache_invalidation.scopes_for(loaded, loaded=cache_invalidation._loaded(loaded))
    assert narrow == {
        "program",
        f"partner:{partner.pk}",
        f"request:{submitted.pk}",
        f"integration:{integration.pk}",
    }
    assert cache_invalidation.scopes_for(Guideline.objects.first()) == {"global"}
    assert cache_invalidation.scopes_for(partner_admin) == {
        "program",
        "staff",
        f"user:{partner_admin.pk}",
    }
    membership = partner_admin.memberships.get()
    assert cache_invalidation.scopes_for(membership) == {
        "program",
        f"partner:{partner.pk}",
        f"user:{partner_admin.pk}",
        f"org:{partner.pk}",
        "overview",
    }
    assert "verify" in cache_invalidation.scopes_for(submitted.integration)
    # the public page says whether the partner's agreement is in force
    assert "verify" in cache_invalidation.scopes_for(partner.agreements.first())


def test_switching_organisation_is_never_served_the_other_copy(
    client, partner, other_partner, partner_admin, submitted
):
    from partners.models import Membership

    Membership.objects.create(user=partner_admin, partner=other_partner, role="viewer")
    client.force_login(partner_admin)
    client.get(DASHBOARD)
    acme = client.get(DASHBOARD)
    assert acme["X-Page-Cache"] == "hit" and "Acme Test" in acme.content.decode()
    client.post(reverse("portal:switch_partner"), {"partner": other_partner.pk})
    globex = client.get(DASHBOARD)
    assert "Globex Test" in globex.content.decode()
    assert "Acme Captions" not in globex.content.decode()


def test_losing_a_role_ends_the_cached_copy(client, manager, reviewer, submitted):
    """Staff pages check the role only when drawn: a role change must start a new version."""
    from django.contrib.auth.models import Group

    from certportal import roles

    client.force_login(manager)
    overview = reverse("manage:overview")
    client.get(overview)
    assert client.get(overview)["X-Page-Cache"] == "hit"
    manager.groups.remove(Group.objects.get(name=roles.PARTNER_MANAGER))
    assert client.get(overview).status_code == 403

    client.force_login(reviewer)
    queue = reverse("admin:certifications_certificationrequest_changelist")
    client.get(queue)
    assert client.get(queue)["X-Page-Cache"] == "hit"
    reviewer.is_staff = False
    reviewer.save()
    assert client.get(queue).status_code == 302  # to the admin login


def test_other_staff_never_get_a_managers_copy(client, manager, reviewer, submitted):
    client.force_login(manager)
    overview = reverse("manage:overview")
    client.get(overview)
    assert client.get(overview)["X-Page-Cache"] == "hit"
    other = Client()
    other.force_login(reviewer)
    assert other.get(overview).status_code == 403


def test_one_request_draws_a_missing_page_while_the_others_wait(rf):
    import time
    from concurrent.futures import ThreadPoolExecutor

    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    calls = []

    def render():
        calls.append(1)
        time.sleep(0.3)
        return HttpResponse("drawn once")

    def fetch(_):
        request = rf.get("/dog-pile/")
        request.user = AnonymousUser()
        return pagecache.cached_page(request, name="t", scopes=["program"], render=render)

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(fetch, range(4)))
    assert [r.content for r in responses] == [b"drawn once"] * 4
    assert len(calls) == 1
    assert sorted(r["X-Page-Cache"] for r in responses) == ["hit", "hit", "hit", "miss"]


def test_a_transaction_writes_its_scopes_once_after_commit(
    monkeypatch, django_capture_on_commit_callbacks
):
    """Each bump is written at once (the writer's next page is fresh) and the scopes of the
    whole transaction once more after commit (a page drawn from the old rows in between is
    dropped), not once per row."""
    writes = []
    real = pagecache._write_tokens

    def recording(scopes):
        writes.append(set(scopes))
        real(scopes)

    monkeypatch.setattr(pagecache, "_write_tokens", recording)
    # (scopes of earlier tests' rolled-back transactions would be written here too)
    pagecache._after_commit.scopes = set()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(100):
            pagecache.bump("partner:1")
        pagecache.bump("user:2")
        before_commit = pagecache.versions(["partner:1", "user:2"])
    assert len(writes) == 102
    assert writes[-1] == {"partner:1", "user:2"}
    after = pagecache.versions(["partner:1", "user:2"])
    assert all(a != b for a, b in zip(after, before_commit, strict=True))


def test_removed_member_is_not_served_the_stored_copy(client, partner_admin, submitted):
    """Portal copies are served before the membership is read: removing the membership
    must end them (it changes the person's own version)."""
    client.force_login(partner_admin)
    detail = reverse("portal:request_detail", args=[submitted.pk])
    for path in (DASHBOARD, detail):
        client.get(path)
        assert client.get(path)["X-Page-Cache"] == "hit"
    partner_admin.memberships.get().delete()
    assert client.get(DASHBOARD).status_code == 403
    assert client.get(detail).status_code == 403


def test_streamed_and_error_responses_pass_through(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.http import Http404, StreamingHttpResponse

    request = rf.get("/stream/")
    request.user = AnonymousUser()
    response = pagecache.cached_page(
        request,
        name="t",
        scopes=["program"],
        render=lambda: StreamingHttpResponse(iter([b"a", b"b"])),
    )
    assert b"".join(response.streaming_content) == b"ab"

    def missing():
        raise Http404("no such thing")

    with pytest.raises(Http404):
        pagecache.cached_page(request, name="t404", scopes=["program"], render=missing)
    # the drawing lock was released: the next request draws at once, without waiting
    import time

    started = time.monotonic()
    with pytest.raises(Http404):
        pagecache.cached_page(request, name="t404", scopes=["program"], render=missing)
    assert time.monotonic() - started < pagecache.WAIT_SECONDS / 2


def _warm(client, path):
    client.get(path)
    response = client.get(path)
    assert response["X-Page-Cache"] == "hit", path
    return response


def test_staff_pages_survive_writes_they_do_not_show(
    client, reviewer, manager, partner, other_partner, submitted, settings
):
    """Issue 19: a finding (a comment) on one request does not make the managers'
    overview, the queues or another integration's request page miss; it does make that
    request's own page miss. A transition makes the queues miss, an agreement payment the
    overview, and a refresh of the stored summary the metrics page."""
    from decimal import Decimal

    from partners import services as partner_services
    from tests.factories import draft_request

    admin = submitted.created_by
    other = cert_services.request_submit(
        request=draft_request(IntegrationFactory(partner=partner), actor=admin), actor=admin
    )
    other = cert_services.request_assign(request=other, reviewer=reviewer, actor=reviewer)
    settings.METRICS_SUMMARY_SECONDS = 300
    staff, boss = Client(), Client()
    staff.force_login(reviewer)
    boss.force_login(manager)
    page = reverse("admin:certifications_certificationrequest_change", args=[submitted.pk])
    other_page = reverse("admin:certifications_certificationrequest_change", args=[other.pk])
    queue = reverse("admin:review_queue") + "?tab=open"
    changelist = reverse("admin:certifications_certificationrequest_changelist")
    certified_list = f"{changelist}?state__exact=certified"
    overview, metrics_page = reverse("manage:overview"), reverse("manage:metrics")
    for path in (page, other_page, queue, changelist, certified_list):
        _warm(staff, path)
    for path in (overview, metrics_page):
        _warm(boss, path)

    review_services.finding_add(
        request=submitted,
        actor=reviewer,
        category="bug",
        severity="minor",
        title="Typo in the settings page",
        reviewer_note="See the header.",
    )
    assert staff.get(page)["X-Page-Cache"] == "miss"
    for path in (other_page, queue, changelist, certified_list):
        assert staff.get(path)["X-Page-Cache"] == "hit", path
    assert boss.get(overview)["X-Page-Cache"] == "hit"
    assert boss.get(metrics_page)["X-Page-Cache"] == "hit"

    cert_services.request_transition(request=other, name="intake_ok", actor=reviewer)
    fresh = staff.get(queue)
    assert fresh["X-Page-Cache"] == "miss"
    assert staff.get(changelist)["X-Page-Cache"] == "miss"
    assert staff.get(other_page)["X-Page-Cache"] == "miss"
    # neither the certified list nor the overview counts (still open) changed
    assert staff.get(certified_list)["X-Page-Cache"] == "hit"
    assert boss.get(overview)["X-Page-Cache"] == "hit"

    partner_services.payment_record(
        agreement=partner.agreements.first(),
        actor=manager,
        amount=Decimal("100.00"),
        paid_on=timezone.localdate(),
        reference="wire 42",
    )
    assert boss.get(overview)["X-Page-Cache"] == "miss"
    assert staff.get(queue)["X-Page-Cache"] == "hit"

    from reviews import metrics

    metrics.refresh_summary()
    assert boss.get(metrics_page)["X-Page-Cache"] == "miss"


def test_staff_and_partner_hits_cost_one_query(client, reviewer, partner_admin, submitted):
    page = reverse("admin:certifications_certificationrequest_change", args=[submitted.pk])
    client.force_login(reviewer)
    client.get(page)
    response, queries = _get(client, page)
    assert response["X-Page-Cache"] == "hit" and queries <= 1  # the user; session, device cached
    client.force_login(partner_admin)
    client.get(DASHBOARD)
    response, queries = _get(client, DASHBOARD)
    assert response["X-Page-Cache"] == "hit" and queries <= 1
