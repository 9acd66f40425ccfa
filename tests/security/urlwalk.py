"""Walk the whole URLconf and turn every pattern into a concrete URL for the matrix."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

ADMIN_MODEL_SUFFIXES = {
    "": "changelist",
    "add/": "add",
    "<path:object_id>/history/": "history",
    "<path:object_id>/delete/": "delete",
    "<path:object_id>/change/": "change",
    "<path:object_id>/": "redirect",
}
_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    route: str  # the full route text, e.g. "portal/requests/<int:pk>/"
    key: str  # what expectations are declared against

    @property
    def params(self) -> list[str]:
        return [m.group("name") for m in _PARAM.finditer(self.route)]

    def url(self, kwargs: dict) -> str:
        return "/" + _PARAM.sub(lambda m: str(kwargs[m.group("name")]), self.route)


def _admin_model_key(route: str) -> str | None:
    """`admin-model:<kind>` for the generic ModelAdmin URLs of a registered model."""
    for model in admin.site._registry:
        base = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        if not route.startswith(base):
            continue
        rest = route[len(base) :]
        if rest in ADMIN_MODEL_SUFFIXES:
            return f"admin-model:{ADMIN_MODEL_SUFFIXES[rest]}"
    return None


def walk(patterns=None, prefix: str = "", namespace: str | None = None) -> Iterator[Route]:
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk(pattern.url_patterns, route, ns)
            continue
        assert isinstance(pattern, URLPattern)
        key = None
        if namespace == "admin":
            key = _admin_model_key(route)
        if key is None:
            name = pattern.name or f"<unnamed {route}>"
            key = f"{namespace}:{name}" if namespace else name
        yield Route(route=route, key=key)


def admin_model_for(route: str):
    for model in admin.site._registry:
        if route.startswith(f"admin/{model._meta.app_label}/{model._meta.model_name}/"):
            return model
    raise LookupError(route)


def model_label_of(route: str) -> str:
    model = admin_model_for(route)
    return f"{model._meta.app_label}.{model._meta.model_name}"


__all__ = ["Route", "admin_model_for", "model_label_of", "walk"]
