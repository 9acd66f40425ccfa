"""The authorization matrix over the whole URLconf (SECURITY-CHECKS rows 1 and 3).

Every URL pattern (walked recursively from `get_resolver().url_patterns`, the admin's
generic model URLs included) × 9 roles (anonymous; viewer, developer and admin of partner
A; admin of partner B; the assigned reviewer; another reviewer; a partner manager; a
support agent) × GET and POST:

* the response is what `tests/security/matrix.EXPECT` declares (a pattern without a
  declaration fails `test_every_url_pattern_has_an_expectation`);
* partner B's admin gets 404 on every URL that names one of partner A's objects, and no
  response to B, to an anonymous visitor or to any refused request contains a canary
  planted in partner A's data (integration description, transition comment, finding note,
  ticket text, document name, test-site password);
* the test-site password canary appears in exactly one response: the assigned reviewer's
  reveal;
* a refused POST changes nothing: row counts of every program table and the full rows
  (state, updated_at, ...) of the stateful models are compared before and after;
* no request gives a 5xx.

Each request runs in a savepoint that is rolled back, so every role meets the same world
(an allowed POST by one role cannot change what the next role sees).

`test_csrf_is_enforced_on_every_post` repeats every POST with
`Client(enforce_csrf_checks=True)` and no token: 403, and nothing changes."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.security.conftest import CANARIES, CANARY, ROLES
from tests.security.matrix import (
    CSRF_EXEMPT,
    EXPECT,
    body,
    concrete_url,
    diff,
    expectation,
    is_refusal,
    login_paths,
    snapshot,
)
from tests.security.urlwalk import model_label_of, walk

pytestmark = pytest.mark.django_db

METHODS = ("get", "post")


@pytest.fixture(autouse=True)
def _quiet_request_logs():
    """Thousands of expected 403/404s: Django's request logger would format a traceback for
    each (most of the run time). Errors (5xx) still fail the test through the status."""
    import logging

    loggers = [logging.getLogger(n) for n in ("django.request", "certportal.security", "axes")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    yield
    for lg, level in zip(loggers, levels, strict=True):
        lg.setLevel(level)


def test_every_url_pattern_has_an_expectation():
    routes = list(walk())
    missing = sorted({r.key for r in routes if expectation(r) is None})
    assert not missing, f"declare who may use these URL patterns in matrix.EXPECT: {missing}"
    keys = {r.key for r in routes}
    keys |= {f"{r.key}@{model_label_of(r.route)}" for r in routes if r.key.startswith("admin-")}
    stale = sorted(set(EXPECT) - keys)
    assert not stale, f"expectations for URL patterns that no longer exist: {stale}"


def _request(world, role, method, url, data, *, csrf=False, logins=frozenset()):
    """One request inside a rolled-back savepoint; a client whose session was ended (logout)
    is replaced for the next case."""
    from django.conf import settings

    client = world.client(role, csrf=csrf)
    cookie = settings.SESSION_COOKIE_NAME
    before = client.cookies[cookie].value if cookie in client.cookies else None
    with transaction.atomic():
        response = getattr(client, method)(url, data or {})
        text = body(response)
        # Only refused POSTs are compared with the baseline (the snapshot costs queries).
        refused = csrf or is_refusal(response, logins)
        after_db = snapshot() if method == "post" and refused else None
        transaction.set_rollback(True)
    after = client.cookies[cookie].value if cookie in client.cookies else None
    if before != after:
        world.clients.pop(f"{role}:{csrf}", None)
    return response, text, after_db


@pytest.mark.slow(seconds=90)
def test_authorization_matrix(world):
    logins = login_paths()
    baseline = snapshot()
    failures: list[str] = []
    cases = urls = 0
    password_seen: list[tuple] = []
    for route in walk():
        expect = expectation(route)
        url = concrete_url(route, world.objects)
        data = expect.data(world.objects) if expect.data else None
        urls += 1
        for method in METHODS:
            allowed = getattr(expect, method)
            for role in ROLES:
                cases += 1
                response, text, after = _request(world, role, method, url, data, logins=logins)
                status = response.status_code
                where = f"{method.upper()} {url} as {role} ({route.key}): {status}"
                refused = is_refusal(response, logins)
                if status >= 500:
                    failures.append(f"{where}: server error")
                    continue
                if role in allowed and refused:
                    failures.append(f"{where}: refused, but declared allowed")
                elif role not in allowed and role not in expect.maybe and not refused:
                    failures.append(f"{where}: let through, but declared refused")
                if expect.tenant and allowed and role == "admin_b" and status != 404:
                    failures.append(f"{where}: another tenant's object must give 404")
                if CANARIES["password"] in text:
                    password_seen.append((route.key, method, role))
                if CANARY in text and (refused or role in ("admin_b", "anonymous")):
                    failures.append(f"{where}: partner A's data leaked")
                if method == "post" and refused:
                    changes = diff(baseline, after)
                    if changes:
                        failures.append(f"{where}: refused POST changed {changes}")
    assert password_seen == [("admin:review_reveal", "post", "reviewer")], password_seen
    assert not failures, "\n".join(failures)
    # The closing numbers (reported in the issue): URL patterns × roles × methods.
    assert cases == urls * len(ROLES) * len(METHODS)
    print(f"authorization matrix: {urls} URLs x {len(ROLES)} roles x 2 methods = {cases}")


# Who sends the token-less POST: a role the view would let through, so that only CSRF
# stands in the way (anonymous for URLs nobody may POST to).
PREFERRED_POSTER = ("admin", "developer", "viewer", "reviewer", "manager", "support", "admin_b")


def test_csrf_is_enforced_on_every_post(world):
    baseline = snapshot()
    failures = []
    for route in walk():
        expect = expectation(route)
        url = concrete_url(route, world.objects)
        data = expect.data(world.objects) if expect.data else None
        poster = next((r for r in PREFERRED_POSTER if r in expect.post), "anonymous")
        response, text, after = _request(world, poster, "post", url, data, csrf=True)
        # The API is CSRF-exempt for bearer tokens and checks CSRF on session writes only:
        # a POST nobody may make, sent with no session, is refused before that (401/405).
        api_refusal = route.route.startswith("api/") and poster == "anonymous"
        if route.key in CSRF_EXEMPT:
            if response.status_code != CSRF_EXEMPT[route.key]:
                failures.append(f"POST {url} (no CSRF, signed): {response.status_code}")
        elif api_refusal and response.status_code in (401, 404, 405):
            pass
        elif response.status_code != 403:
            failures.append(f"POST {url} as {poster}: {response.status_code}, expected 403")
        elif "CSRF" not in text and "csrf" not in text.lower():
            failures.append(f"POST {url} as {poster}: 403 but not the CSRF refusal")
        changes = diff(baseline, after)
        if changes:
            failures.append(f"POST {url} as {poster} without a token changed {changes}")
    assert not failures, "\n".join(failures)


def test_snapshot_sees_a_changed_row_and_a_new_one(world):
    """The baseline the refused POSTs are compared with notices an edit of any column."""
    from certifications.models import CertificationRequest
    from partners.models import Partner

    before = snapshot()
    assert diff(before, snapshot()) == []
    request = CertificationRequest.objects.order_by("pk").first()
    CertificationRequest.objects.filter(pk=request.pk).update(version=request.version + "-x")
    assert diff(before, snapshot()) == ["rows of certifications.CertificationRequest changed"]
    Partner.objects.create(name="Canary Co", slug="canary-co")
    changed = diff(before, snapshot())
    assert "rows of partners.Partner changed" in changed
    assert any(c.startswith("count partners_partner") for c in changed)
