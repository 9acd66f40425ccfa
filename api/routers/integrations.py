"""Integrations: list, read, register, update (certifications.services.integration_save)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from api.auth import principal_of
from api.pagination import DEFAULT_LIMIT, Cursor, Limit, page
from api.problems import ERRORS
from api.routers.common import integrations_of, load, require_partner
from api.schemas import IntegrationIn, IntegrationOut, IntegrationPage, IntegrationPatch
from certifications import services
from certifications.enums import ProductArea

router = Router()


@router.get("", response={200: IntegrationPage, **ERRORS}, url_name="integrations")
def integration_list(
    request: HttpRequest,
    product_area: ProductArea | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The organisation's integrations, newest first."""
    qs = integrations_of(principal_of(request))
    if product_area:
        qs = qs.filter(product_area=product_area)
    return page(qs, cursor=cursor, limit=limit)


@router.post("", response={201: IntegrationOut, **ERRORS}, url_name="integration_create")
def integration_create(request: HttpRequest, payload: IntegrationIn):
    """Register an integration (admins and developers)."""
    p = principal_of(request)
    integration = services.integration_save(
        partner_id=require_partner(p), actor=p.user, **payload.dict()
    )
    return Status(201, integration)


@router.get(
    "/{int:integration_id}", response={200: IntegrationOut, **ERRORS}, url_name="integration"
)
def integration_read(request: HttpRequest, integration_id: int):
    return load(integrations_of(principal_of(request)), integration_id)


@router.patch(
    "/{int:integration_id}", response={200: IntegrationOut, **ERRORS}, url_name="integration_update"
)
def integration_update(request: HttpRequest, integration_id: int, payload: IntegrationPatch):
    p = principal_of(request)
    integration = load(integrations_of(p), integration_id)
    fields = payload.dict(exclude_none=True)
    return services.integration_save(
        partner_id=integration.partner_id, actor=p.user, integration=integration, **fields
    )
