"""The HTTP API under /api/v1/: one NinjaAPI, its error handlers (every error a problem
document) and its routers. The OpenAPI schema is generated from the handlers' type hints;
the docs page (Swagger UI) is served from django-ninja's static files, nothing from a CDN."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger

from api import problems
from api.auth import RateLimited, ScopeError, SessionAuth, TokenAuth
from api.pagination import BadCursor, bad_cursor_response
from api.routers import account, findings, integrations, requests, staff
from certportal import security
from certportal.errors import ProgramError

logger = logging.getLogger(__name__)

DESCRIPTION = """Drive certification from your own tools (CI): register integrations,
create and fill a request for a commit, upload documents, submit, follow findings and
status, read certificates, agreement and quota. Staff tokens reach the review queue.

Authenticate with `Authorization: Bearer <token>` (a partner admin creates organisation
tokens under Portal → API access). Errors are RFC 9457 problem documents
(`application/problem+json`). Lists are cursor-paginated (`cursor`, `limit`); reads carry
an `ETag` and answer `If-None-Match` with 304. See docs/api.md for the guide and the
signed webhooks."""


class CertportalAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Error responses are `application/problem+json`, as they are sent."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[problems.MEDIA_TYPE] = content.pop("application/json")
        return schema


api = CertportalAPI(
    title="Certification portal API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    docs_url="/docs/",
    openapi_url="/openapi.json",
)

api.add_router("/integrations", integrations.router, tags=["Integrations"])
api.add_router("/requests", requests.router, tags=["Certification requests"])
api.add_router("/findings", findings.router, tags=["Findings"])
api.add_router("/", account.router, tags=["Certificates and account"])
api.add_router("/staff", staff.router, tags=["Staff"])


@api.exception_handler(ProgramError)
def _program_error(request: HttpRequest, exc: ProgramError) -> HttpResponse:
    if exc.status_code == 403:
        security.log_denial(request, 403, exc.message)
    return problems.problem(exc.status_code, exc.message, code=exc.code)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = problems.field_errors(exc.errors)
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]) or "Invalid input."
    return problems.problem(422, detail, code="invalid", errors=errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    security.log_denial(request, 401, "no valid API token or session")
    return problems.problem(
        401,
        "Send a valid, unexpired API token: Authorization: Bearer <token>.",
        headers={"WWW-Authenticate": 'Bearer realm="certportal"'},
    )


@api.exception_handler(ScopeError)
def _scope(request: HttpRequest, exc: ScopeError) -> HttpResponse:
    security.log_denial(request, 403, "read-scope API token tried to write")
    return problems.problem(
        403,
        "This token has the read scope; writing needs a token with read and write scope.",
        code="scope",
    )


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    return problems.problem(
        429,
        f"Too many requests for this token; try again in {exc.retry_after} seconds.",
        headers={"Retry-After": str(exc.retry_after)},
    )


@api.exception_handler(BadCursor)
def _bad_cursor(request: HttpRequest, exc: BadCursor) -> HttpResponse:
    return bad_cursor_response()


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problems.problem(404, "No such object (or not one of your organisation's).")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 403:
        security.log_denial(request, 403, str(exc))
        # The CSRF refusal of a session write keeps Django's word for it.
        return problems.problem(403, f"{exc.message} (send the CSRF token).", code="csrf")
    return problems.problem(exc.status_code, str(exc.message))
