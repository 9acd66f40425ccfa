"""Certificates and their verification data; the organisation's agreement, quota and
marketing credit (read only); the active guidelines the checklist asks about."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from api.auth import principal_of
from api.pagination import DEFAULT_LIMIT, Cursor, Limit, page
from api.problems import ERRORS
from api.routers.common import load, requests_of, require_partner
from api.routers.requests import certificate_out
from api.schemas import AccountOut, CertificateOut, CertificatePage
from certifications import selectors as cert_selectors
from certifications.models import Certificate
from partners import selectors as partner_selectors
from partners.models import Partner

router = Router()


class GuidelineOut(Schema):
    code: str
    title: str
    severity: str


def _certificates(request: HttpRequest):
    return Certificate.objects.filter(request__in=requests_of(principal_of(request)).values("pk"))


@router.get("/certificates", response={200: CertificatePage, **ERRORS}, url_name="certificates")
def certificate_list(request: HttpRequest, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT):
    result = page(_certificates(request), cursor=cursor, limit=limit)
    return {**result, "items": [certificate_out(c) for c in result["items"]]}


@router.get(
    "/certificates/{int:certificate_id}",
    response={200: CertificateOut, **ERRORS},
    url_name="certificate",
)
def certificate_read(request: HttpRequest, certificate_id: int):
    return certificate_out(load(_certificates(request), certificate_id))


@router.get("/guidelines", response={200: list[GuidelineOut], **ERRORS}, url_name="guidelines")
def guideline_list(request: HttpRequest):
    """The guidelines the self-checklist asks about now (answer each with yes or na)."""
    return list(cert_selectors.active_guidelines())


@router.get("/account", response={200: AccountOut, **ERRORS}, url_name="account")
def account(request: HttpRequest):
    """The organisation, its current agreement with quota and marketing credit."""
    p = principal_of(request)
    partner = load(Partner.objects.all(), require_partner(p))
    agreement = partner_selectors.agreement_current(partner=partner)
    in_force = partner_selectors.agreement_in_force(partner=partner)
    data = None
    if agreement is not None:
        money = partner_selectors.money_summary(agreement=agreement)
        quota = partner_selectors.quota_summary(agreement=agreement)
        data = {
            "id": agreement.pk,
            "state": agreement.state,
            "term_start": agreement.term_start,
            "term_end": agreement.term_end,
            "fee": money.fee,
            "paid": money.paid,
            "outstanding": money.outstanding,
            "marketing_credit": money.credit,
            "credit_used": money.credit_used,
            "credit_left": money.credit_left,
            "quota": [
                {
                    "kind": k,
                    "included": q.included,
                    "extra": q.extra,
                    "used": q.used,
                    "left": q.left,
                }
                for k, q in quota.items()
            ],
        }
    return {
        "partner_id": partner.pk,
        "partner_name": partner.name,
        "standing": partner.standing,
        "agreement": data,
        "agreement_in_force": in_force is not None,
    }
