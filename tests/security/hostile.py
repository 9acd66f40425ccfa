"""The hostile-input crawl's vocabulary (tests/security/test_hostile_input.py): the values,
the parameter names they go into, and the concrete URL variants of every pattern.

A new query parameter a view reads belongs in `QUERY_NAMES`; form fields are collected
from the project's form classes, admin filters from each changelist itself."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from functools import cache
from urllib.parse import quote, unquote, urlencode

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import Resolver404, resolve

from tests.security.matrix import FIXED_URLS, concrete_url, expectation
from tests.security.urlwalk import Route, admin_model_for

# Every hostile value the crawl sends. A request carries one of them in all its query
# parameters and form fields at once; path parameters get them one parameter at a time.
HOSTILE: dict[str, str] = {
    "nul": "bye\x00now",  # PostgreSQL refuses NUL in any string it is sent
    # Longer than any column or short-text cap, a path traversal, a right-to-left override,
    # and not a number.
    "long": "../../\u202egnp.exe" + "x" * 2100,
    "huge": "9" * 30,  # past every integer column: SQLite and PostgreSQL refuse it
    "negative": "-1",
    "missing": "99999",  # a well-formed id of no row
    "digits": "\u00b2",  # str.isdigit() says yes, int() says no
    "late": "9999-12-31",  # date.max: one more day overflows
    "early": "0001-01-01",  # date.min: one day less overflows
}

# Query names the views read (directly or through their filter forms). POST bodies carry
# them too, with every form field.
QUERY_NAMES = (
    "page",
    "show",
    "from",
    "integration",
    "next",
    "scope",
    "state",
    "severity",
    "breach",
    "standing",
    "agreement",
    "renewal_due",
    "sort",
    "desc",
    "start",
    "end",
    # the reviewers' queue (issue 15)
    "tab",
    "area",
    "kind",
    "reviewer",
    "models",
)
# What the admin's own pages read from the query string (changelists add their filters).
ADMIN_QUERY_NAMES = (
    "_changelist_filters",
    "_to_field",
    "_popup",
    "next",
    "term",
    "app_label",
    "model_name",
    "field_name",
)
# Modules holding the project's form classes (imported so their subclasses are known).
FORM_MODULES = (
    "certifications.forms",
    "certifications.update_forms",
    "partners.forms",
    "support.forms",
    "program.forms",
    "portal.views.notifications",
    "portal.views.otp",
    "portal.views.findings",
    "reviews.admin",
)
PROJECT_PACKAGES = {"certifications", "partners", "support", "program", "portal", "reviews"}

# Fields that choose what a POST does: each valid choice is sent with the hostile value in
# every other field, so the hostile text reaches the form behind the choice.
PARTNER_ACTIONS = (
    "send",
    "mark_signed",
    "payment",
    "activate",
    "renew",
    "cancel",
    "quota",
    "marketing",
    "review",
    "standing",
)
DISPATCH: dict[str, list[dict]] = {
    "manage:partner": [{"action": a} for a in PARTNER_ACTIONS],
    "portal:business_review": [{"action": "submit"}, {"action": "save"}],
    "portal:request_step": [{"action": "delete"}, {"action": "add"}],
    "support:update_start": [{"confirm": "1"}, {}],
    "admin:review_transition": [{"name": "withdraw"}, {"name": "ut_pass"}],
    "notifications:read": [{"open": "1"}],
}
# Path parameters whose valid values are a fixed vocabulary: each value is crawled.
PATH_VOCABULARY = {
    "portal:request_step": (
        "step",
        ("details", "checklist", "documents", "environments", "review"),
    ),
    "support:ticket_action": ("action", ("reply", "acknowledge", "resolve", "close", "reopen")),
    "support_staff:ticket_action": (
        "action",
        ("triage", "escalate", "reply", "note", "wait", "resolve", "reopen", "close"),
    ),
    "support_staff:meeting_action": ("action", ("schedule", "held")),
}


@cache
def form_field_names() -> tuple[str, ...]:
    """The field names of every form class the project defines (the desk's ticket forms
    with their prefix too)."""
    for module in FORM_MODULES:
        importlib.import_module(module)
    from program.views.desk import FORMS as DESK_FORMS

    names: set[str] = set()
    pending, seen = [forms.Form, forms.ModelForm], set()
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub in seen:
                continue
            seen.add(sub)
            pending.append(sub)
            if sub.__module__.split(".")[0] in PROJECT_PACKAGES:
                names.update(getattr(sub, "base_fields", {}))
    for prefix, form_class in DESK_FORMS.items():
        names.update(f"{prefix}-{name}" for name in form_class.base_fields)
    return tuple(sorted(names))


_CHANGELIST_PARAMS: dict = {}


def changelist_params(model) -> tuple[str, ...]:
    """The query names one admin changelist reads: its filters' parameters (asked of the
    ChangeList, so custom filters count), the date hierarchy, search, order and page."""
    if model not in _CHANGELIST_PARAMS:
        model_admin = admin.site._registry[model]
        request = RequestFactory().get("/")
        request.user = get_user_model().objects.filter(is_superuser=True).first()
        changelist = model_admin.get_changelist_instance(request)
        names = {"q", "o", "p", "all"}
        for spec in changelist.filter_specs:
            names.update(spec.expected_parameters())
        if model_admin.date_hierarchy:
            names.update(f"{model_admin.date_hierarchy}__{p}" for p in ("year", "month", "day"))
        _CHANGELIST_PARAMS[model] = tuple(sorted(names))
    return _CHANGELIST_PARAMS[model]


def query_names(route: Route) -> tuple[str, ...]:
    if route.key == "admin-model:changelist":
        return changelist_params(admin_model_for(route.route))
    if route.route.startswith("admin/"):
        return ADMIN_QUERY_NAMES
    return QUERY_NAMES


def with_query(url: str, names, value: str) -> str:
    return f"{url}?{urlencode(dict.fromkeys(names, value))}"


def valid_urls(route: Route, objects: dict) -> list[str]:
    """The pattern's URL as the authorization matrix builds it, once per value of a path
    parameter with a fixed vocabulary."""
    base = concrete_url(route, objects)
    if route.key not in PATH_VOCABULARY:
        return [base]
    param, values = PATH_VOCABULARY[route.key]
    kwargs = expectation(route).kwargs(objects)
    return [route.url({**kwargs, param: value}) for value in values]


def hostile_path_urls(route: Route, objects: dict, value: str) -> Iterator[str]:
    """The URL with `value` in each path parameter in turn (the others valid), wherever the
    resolver still sends it to this pattern (elsewhere it never reaches the view)."""
    if not route.params or route.key in FIXED_URLS:
        return
    expect = expectation(route)
    if expect.kwargs is not None:
        kwargs = expect.kwargs(objects)
    else:  # generic admin URLs: the model's first row, as matrix.concrete_url does
        model = admin_model_for(route.route)
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        kwargs = dict.fromkeys(route.params, first or 999999)
    for name in route.params:
        url = route.url({**kwargs, name: quote(value, safe="")})
        try:
            match = resolve(unquote(url))
        except Resolver404:
            continue
        if match.route == route.route:
            yield url


def valid_body(route: Route, objects: dict) -> dict:
    """What the authorization matrix posts to the pattern (the probe's body)."""
    expect = expectation(route)
    return expect.data(objects) if expect.data is not None else {}


def bodies(route: Route, value: str) -> list[dict]:
    """POST bodies: every form field and query name set to `value`, once per dispatch
    choice of the pattern."""
    base = dict.fromkeys((*form_field_names(), *query_names(route)), value)
    return [{**base, **choice} for choice in DISPATCH.get(route.key, [{}])]
