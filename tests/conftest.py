import os
import uuid

import pytest
from django.conf import settings
from django.db import connection

pytest_plugins = ["devtools.fakegithub"]


@pytest.fixture(autouse=True)
def _fresh_login_throttle(monkeypatch):
    """The per-address sign-in throttle counts in the cache, which (unlike the database) is
    not rolled back between tests: every test client signs in from 127.0.0.1, so the failed
    logins of one test (the property tests and the hostile-input crawl make hundreds) would
    throttle the next. Each test counts under its own key prefix instead: no cache call, and
    the old counts expire with their window."""
    from certportal import auth

    monkeypatch.setattr(
        auth, "THROTTLE_KEY_PREFIX", f"{auth.THROTTLE_KEY_PREFIX}test-{uuid.uuid4().hex}:"
    )
    # The program application's per-address limit counts the same way (issue 14).
    from portal.views import apply

    monkeypatch.setattr(
        apply, "THROTTLE_PREFIX", f"{apply.THROTTLE_PREFIX}test-{uuid.uuid4().hex}:"
    )


def _django_phase(item: pytest.Item) -> int:
    """pytest-django's order (0: tests in a rolled-back transaction, 1: transactional ones,
    which empty the database when they end, 2: no database), as it decides it."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    transactional = bool(
        marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
    ) or bool({"transactional_db", "live_server"} & set(fixtures))
    if transactional:
        return 1
    return 0 if marker or "db" in fixtures else 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first: the tests marked ``slow(seconds=...)`` start before the others of
    their phase (pytest-django has just put the tests in its order), the longest first, so
    the pytest-xdist workers (``--dist loadgroup`` hands tests out one by one in this order)
    each begin with one and finish together. Tests that use no database may start at once,
    and transactional ones stay behind every test that expects the migrations' rows."""

    def key(item: pytest.Item) -> tuple[int, float]:
        phase = _django_phase(item)
        slow = item.get_closest_marker("slow")
        if slow is None:
            return ({0: 1, 1: 3, 2: 4}[phase], 0.0)
        # Slow tests without a database go with the slow ones of the first phase.
        return ({0: 0, 1: 2, 2: 0}[phase], -float(slow.kwargs.get("seconds", 0)))

    items.sort(key=key)


def require_service(name: str, available: bool, why: str) -> None:
    """Skip a test that needs a service, or fail it when CI says services must be there."""
    if available:
        return
    message = f"{name} is not available: {why}"
    if settings.REQUIRE_SERVICES or os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {message}")
    pytest.skip(message)


@pytest.fixture
def require_postgres():
    require_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        "set DATABASE_URL=postgres://... to run this test",
    )


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    return [
        f"certportal: database engine {db['ENGINE']} ({db.get('HOST') or db.get('NAME')})",
        f"certportal: redis {'configured' if settings.REDIS_URL else 'not configured'}",
    ]


# --- Role fixtures: partner A (Acme-like) and a second tenant B --------------------------


@pytest.fixture
def manager(db):
    from certportal import roles
    from tests.factories import staff_user

    return staff_user("manager-t", roles.PARTNER_MANAGER)


@pytest.fixture
def reviewer(db):
    from certportal import roles
    from tests.factories import staff_user

    return staff_user("reviewer-t", roles.REVIEWER)


@pytest.fixture
def other_reviewer(db):
    from certportal import roles
    from tests.factories import staff_user

    return staff_user("reviewer2-t", roles.REVIEWER)


@pytest.fixture
def support_agent(db):
    from certportal import roles
    from tests.factories import staff_user

    return staff_user("support-t", roles.SUPPORT_AGENT)


@pytest.fixture
def partner(db):
    from tests.factories import PartnerFactory

    return PartnerFactory(name="Acme Test", slug="acme-test")


@pytest.fixture
def other_partner(db):
    from tests.factories import PartnerFactory

    return PartnerFactory(name="Globex Test", slug="globex-test")


@pytest.fixture
def partner_admin(partner):
    from tests.factories import member

    return member(partner, "admin", "acme-admin-t")


@pytest.fixture
def partner_developer(partner):
    from tests.factories import member

    return member(partner, "developer", "acme-dev-t")


@pytest.fixture
def partner_viewer(partner):
    from tests.factories import member

    return member(partner, "viewer", "acme-viewer-t")


@pytest.fixture
def other_partner_admin(other_partner):
    from tests.factories import member

    return member(other_partner, "admin", "globex-admin-t")


@pytest.fixture
def eligible_partner(partner, partner_admin, manager):
    """Partner A with an approved business review, support plan and active paid agreement."""
    from tests.factories import qualify

    qualify(partner, manager=manager)
    return partner


@pytest.fixture
def integration(partner):
    from tests.factories import IntegrationFactory

    return IntegrationFactory(partner=partner, name="Acme Captions", github_repo="acme/captions")


@pytest.fixture
def module_integration(partner):
    from certifications.enums import ProductArea
    from tests.factories import IntegrationFactory

    return IntegrationFactory(
        partner=partner,
        name="Acme MediaSpace Module",
        product_area=ProductArea.MEDIASPACE_MODULE,
        github_repo="acme/ms-module",
    )


@pytest.fixture
def draft(eligible_partner, integration, partner_admin):
    """A complete draft request of partner A, ready to submit."""
    from tests.factories import draft_request

    return draft_request(integration, actor=partner_admin)


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests flush every table when they end, including the rows data
    migrations created (staff groups, the guideline catalogue); put them back first."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    importlib.import_module("certportal.migrations.0001_staff_groups").create_groups(apps, None)
    importlib.import_module("certifications.migrations.0002_seed_guidelines").seed(apps, None)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Users are created in most tests; argon2 (the production hasher, pinned in
    # test_settings) would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # seed_demo's year of backdated history takes ~15 s; only the test of it turns it on.
    settings.DEMO_HISTORY = False


@pytest.fixture(autouse=True)
def _page_cache_namespace(settings):
    # Row ids repeat between tests (SQLite reuses them after a rollback) and the Redis
    # cache outlives a test: each test gets its own page-cache key space.
    import uuid

    settings.PAGE_CACHE_NAMESPACE = uuid.uuid4().hex[:12]


@pytest.fixture
def page_cache_off(settings):
    """Query pins measure a page rendered afresh (what a page-cache miss costs); the hit
    path has its own pins (tests/perf/test_query_pins.py, tests/certportal/test_pagecache.py)."""
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture(autouse=True)
def _staff_otp(request, settings, monkeypatch):
    """Staff must pass a TOTP second factor (always on in tests, as in production).
    force_login() of a staff user also gives the session a confirmed, verified device, so
    tests of staff pages need not walk through the code step; @no_auto_otp turns it off."""
    settings.STAFF_REQUIRE_2FA = True
    if request.node.get_closest_marker("no_auto_otp"):
        return
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if not user.is_staff:
            return
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="test device", confirmed=True)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)
