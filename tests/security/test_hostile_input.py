"""No 5xx on hostile input, anywhere (issue 20): a crawl of every URL pattern from the
resolver, as every role, with hostile values in each path parameter, each query
parameter and each form field.

* Roles: anonymous; viewer, developer and admin of partner A; partner B's admin; a
  reviewer; a partner manager; a support agent; a superuser.
* Values (tests/security/hostile.HOSTILE): NUL, a very long string with `../` and a
  right-to-left override, a huge, a negative and a missing id, a digit int() refuses, the
  first and the last date.
* Path parameters get each value one parameter at a time, wherever the resolver still
  sends the URL to the same pattern (`<int:pk>` takes only the numbers; `<str:day>` and
  the admin's `<path:object_id>` take them all). Query parameters (the names the views
  read; a changelist's own filters) and POST bodies (every form field the project
  declares, over each valid choice of an action field) get each value all at once.
* Who gets every value: the roles the authorization matrix (tests/security/matrix.EXPECT,
  checked against the real views by test_url_matrix.py) lets through for the method, and
  the superuser wherever staff may go, share the values out by turns: each value reaches
  each view once per method, through one of them.
* A role refused at the door: one refused role in three (a different three per pattern;
  test_url_matrix checks every refusal) sends one request (GET or POST by turns) with one
  value, a different one per role and pattern: nothing it sends reaches the view, and that
  request checks it stays so.
* The admin's generic model pages (Django's own views over StaffModelAdmin, the same for
  every staff role) get every value from the superuser, who may use all of them, and one
  from each other staff role; their history, redirect and (generic) changelist pages
  answer a POST as a GET, so those POSTs get one value too.
* The superuser also sends each filter of the project's changelists a value on its own
  wherever the changelist refused that value in all its filters at once (the first bad
  filter would hide the others).
* About 5,000 requests; under a minute on SQLite.

Each request runs in a rolled-back savepoint. Run it on PostgreSQL too (NUL is refused
there and nowhere else): `DATABASE_URL=postgres://... pytest tests/security/test_hostile_input.py`.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections import Counter
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.core.signals import got_request_exception
from django.db import transaction

from tests.factories import UserFactory
from tests.security.hostile import (
    HOSTILE,
    bodies,
    hostile_path_urls,
    query_names,
    valid_urls,
    with_query,
)
from tests.security.matrix import EXPECT, STAFF, expectation
from tests.security.urlwalk import model_label_of, walk

pytestmark = [
    pytest.mark.django_db,
    # The admin's date filters warn about the hostile dates they are sent, as they should.
    pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime"),
]

CRAWL_ROLES = (
    "anonymous",
    "viewer",
    "developer",
    "admin",
    "admin_b",
    "reviewer",
    "manager",
    "support",
    "superuser",
)
KINDS = tuple(HOSTILE)
FORM_ENCODED = "application/x-www-form-urlencoded"
# Django's generic pages that answer a POST as they answer the GET (a generic changelist
# has no actions here: nobody deletes through the admin).
SAME_AS_GET = {"admin-model:history", "admin-model:redirect", "admin-model:changelist"}
# Library admins (Django's, django-otp's, django-axes') get the combined filter requests
# only; the project's own changelists also get each filter on its own.
LIBRARY_APPS = {"auth", "otp_totp", "axes"}


@pytest.fixture(autouse=True)
def _quiet_request_logs():
    """Thousands of expected 4xx responses: keep the request loggers from formatting each.
    Server errors are caught through `got_request_exception` and the status."""
    names = ("django.request", "django.security", "certportal.security", "axes")
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    yield
    for lg, level in zip(loggers, levels, strict=True):
        lg.setLevel(level)


class Crawler:
    """Sends requests in rolled-back savepoints; keeps the first server error of each
    (pattern, input, role) with the innermost lines of its traceback."""

    def __init__(self, world):
        self.world = world
        self.failures: dict[str, str] = {}
        self.sent: Counter[str] = Counter()
        self._errors: list[str] = []

    def __enter__(self):
        got_request_exception.connect(self._record)
        return self

    def __exit__(self, *exc):
        got_request_exception.disconnect(self._record)

    def _record(self, sender, request=None, **kwargs):
        lines = traceback.format_exc(limit=-2).splitlines(keepends=True)
        self._errors.append("".join(lines[-6:]))

    def send(self, role, method, url, data=None, *, what, count_as):
        client = self.world.client(role)
        cookie = settings.SESSION_COOKIE_NAME
        before = client.cookies[cookie].value if cookie in client.cookies else None
        self._errors.clear()
        self.sent[count_as] += 1
        with transaction.atomic():
            if method == "post":
                # Form-encoded (what browsers send): cheaper than multipart for big bodies.
                body = urlencode(data or {}, doseq=True)
                response = client.post(url, body, content_type=FORM_ENCODED)
            else:
                response = client.get(url)
            transaction.set_rollback(True)
        after = client.cookies[cookie].value if cookie in client.cookies else None
        if before != after:  # signed out (or in): a fresh client for the next request
            self.world.clients.pop(f"{role}:False", None)
        if response.status_code >= 500 or self._errors:
            key = f"{method.upper()} {what} as {role}"
            shown = url if len(url) < 120 else url[:120] + "..."
            detail = self._errors[-1] if self._errors else ""
            self.failures.setdefault(key, f"{response.status_code} {shown}\n{detail}")
        return response


def _generic_admin(route) -> bool:
    """One of Django's generic model pages with no expectation of its own (the review queue
    and the review page are the project's own code)."""
    if not route.key.startswith("admin-model:"):
        return False
    label = model_label_of(route.route)
    return f"{route.key}@{label}" not in EXPECT and label != "certifications.certificationrequest"


def _let_in(route, role: str, method: str) -> bool:
    """Whether the view lets `role` in, as the authorization matrix declares it (and
    test_url_matrix checks it): the allowed roles and the "maybe" ones. The superuser goes
    wherever staff may; on the generic admin pages only the superuser counts."""
    expect = expectation(route)
    allowed = getattr(expect, method) | expect.maybe
    if role == "superuser":
        same_as_get = method == "post" and route.key in SAME_AS_GET and _generic_admin(route)
        return bool(allowed & STAFF) and not same_as_get
    if _generic_admin(route):
        return False
    return role in allowed


def _one_kind(role: str, method: str, position: int) -> str:
    """The value a refused role sends: a different one per role, method and pattern."""
    return KINDS[(CRAWL_ROLES.index(role) * 2 + (method == "post") + position) % len(KINDS)]


def crawl_route(crawler, route, position: int) -> None:
    objects = crawler.world.objects
    names = query_names(route)
    urls = valid_urls(route, objects)
    stopped: set[str] = set()  # values a changelist refused as a whole ("?e=1")
    admitted = {m: [r for r in CRAWL_ROLES if _let_in(route, r, m)] for m in ("get", "post")}
    for index, role in enumerate(CRAWL_ROLES):
        let_in = {m for m in ("get", "post") if role in admitted[m]}
        # A role refused at the door: test_url_matrix checks every refusal; here one role in
        # three (a different three per pattern) also sends a hostile value to the door.
        knocks = (index + position) % 3 == 0
        if not let_in and knocks:  # refused either way: one request, GET or POST by turns
            method = ("get", "post")[(index + position) % 2]
            _one_value(crawler, route, role, method, urls[0], names, position)
        for method in ("get", "post"):
            if method not in let_in:
                if let_in and knocks:
                    _one_value(crawler, route, role, method, urls[0], names, position)
                continue
            for kind, value in _shares(route, admitted[method], role, method, position):
                for url in hostile_path_urls(route, objects, value):
                    what = f"{route.key} path={kind}"
                    crawler.send(role, method, url, what=what, count_as="path")
                for url in urls:
                    hostile_url = with_query(url, names, value)
                    if method == "get":
                        what = f"{route.key} query={kind}"
                        got = crawler.send(role, "get", hostile_url, what=what, count_as="query")
                        if got.status_code != 200 and role == "superuser":
                            stopped.add(kind)
                        continue
                    for data in bodies(route, value):
                        what = f"{route.key} body={kind}"
                        crawler.send(role, "post", hostile_url, data, what=what, count_as="body")
    if route.key == "admin-model:changelist" and route.route.split("/")[1] not in LIBRARY_APPS:
        # A changelist that refused a value in all its filters at once stopped at the first
        # bad one: the others get that value one at a time.
        for name in names:
            for kind in sorted(stopped):
                value = HOSTILE[kind]
                what = f"{route.key} {name}={kind}"
                url = with_query(urls[0], [name], value)
                crawler.send("superuser", "get", url, what=what, count_as="filter")


def _shares(route, admitted: list[str], role: str, method: str, position: int):
    """The hostile values `role` sends to a view that lets it in: the roles let in share
    the values out by turns, so each value reaches the view once per method through one of
    them (the view parses its input the same way for each) and each role still meets
    several. The superuser sends every value to a changelist's GET: what it refuses as a
    whole is then sent filter by filter."""
    if role == "superuser" and method == "get" and route.key == "admin-model:changelist":
        return list(HOSTILE.items())
    turn = admitted.index(role)
    return [
        (kind, value)
        for i, (kind, value) in enumerate(HOSTILE.items())
        if (i + position) % len(admitted) == turn
    ]


def _one_value(crawler, route, role, method, url, names, position) -> None:
    """One request for a role the view refuses at the door (or a POST answered like the
    GET), carrying its one value in a path parameter (where one resolves), the query and
    the body at once."""
    kind = _one_kind(role, method, position)
    value = HOSTILE[kind]
    url = next(hostile_path_urls(route, crawler.world.objects, value), url)
    data = bodies(route, value)[0] if method == "post" else None
    what = f"{route.key} one={kind}"
    crawler.send(role, method, with_query(url, names, value), data, what=what, count_as="one")


@pytest.fixture
def crawl_world(world):
    world.users["superuser"] = UserFactory(
        username="sec-superuser", is_staff=True, is_superuser=True
    )
    return world


@pytest.mark.slow(seconds=110)
def test_no_server_error_on_hostile_input(crawl_world):
    started = time.monotonic()
    with Crawler(crawl_world) as crawler:
        routes = list(walk())
        for position, route in enumerate(routes):
            crawl_route(crawler, route, position)
        # A URL the resolver refuses ends in the 404 handler: once per value.
        for kind, value in HOSTILE.items():
            url = f"/portal/requests/{quote(value, safe='')}/"
            crawler.send("admin", "get", url, what=f"unresolved {kind}", count_as="path")
    elapsed = time.monotonic() - started
    total = sum(crawler.sent.values())
    print(
        f"hostile crawl: {len(routes)} URL patterns x {len(CRAWL_ROLES)} roles, "
        f"{total} requests ({dict(crawler.sent)}) in {elapsed:.0f} s"
    )
    assert not crawler.failures, "\n".join(f"{k}: {v}" for k, v in crawler.failures.items())
