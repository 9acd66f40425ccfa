"""Mounts the API at /api/v1/. Every operation authenticates itself (token or session), so
the site-wide login requirement is lifted for them; the docs page alone asks for a signed-in
session. Successful reads get an ETag and answer a matching If-None-Match with 304."""

from __future__ import annotations

import hashlib
from functools import wraps

from django.contrib.auth.decorators import login_not_required, login_required
from django.urls import URLPattern, URLResolver
from django.utils.cache import get_conditional_response
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from api.main import api

DOCS_NAME = "openapi-view"
SCHEMA_NAME = "openapi-json"


def _with_etag(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if (
            request.method in ("GET", "HEAD")
            and response.status_code == 200
            and not getattr(response, "streaming", False)
        ):
            response["ETag"] = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
            response = get_conditional_response(request, etag=response["ETag"], response=response)
        return response

    return wrapper


def _wrap(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _wrap(pattern.url_patterns)
            continue
        if not isinstance(pattern, URLPattern):
            continue
        if pattern.name == DOCS_NAME:
            pattern.callback = require_GET(login_required(pattern.callback))
        elif pattern.name == SCHEMA_NAME:
            pattern.callback = login_not_required(require_GET(pattern.callback))
        else:
            # Private per caller: shared caches must not keep one token's answer for another.
            pattern.callback = login_not_required(
                cache_control(private=True)(_with_etag(pattern.callback))
            )
    return patterns


patterns, app_name, namespace = api.urls
urlpatterns = _wrap(patterns)
app_name = namespace
