"""Keeps the managers' overview's stored keys (PartnerOverviewKeys) in step with what they
are computed from: a request, agreement or payment saved or deleted refreshes its
partner's keys in the same transaction (two queries), so the overview's order and filters
follow every change however it is made (services, the admin, the shell). Rows written
without signals (bulk_create, seed_scale's COPY) are caught by the daily full refresh or
`manage.py overview_keys_refresh`."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from certifications.models import CertificationRequest
from certifications.overview import overview_keys_refresh
from partners.models import Agreement, Partner, Payment


def _refresh(partners: Any, origin: Any = None) -> None:
    # A partner being deleted takes its keys with it: refreshing them from the cascade
    # would write a keys row for a partner that is about to be gone.
    if origin is not None and getattr(origin, "model", type(origin)) is Partner:
        return
    overview_keys_refresh(partners=partners)


@receiver(post_save, sender=Partner, dispatch_uid="overview-keys-partner")
def _partner_saved(sender, instance: Partner, created: bool, raw: bool = False, **kwargs):
    if created and not raw:  # a new partner gets its (empty) keys row
        _refresh([instance.pk])


@receiver(post_save, sender=CertificationRequest, dispatch_uid="overview-keys-request")
@receiver(post_delete, sender=CertificationRequest, dispatch_uid="overview-keys-request-del")
def _request_changed(sender, instance: CertificationRequest, raw: bool = False, **kwargs):
    if raw:
        return
    origin = kwargs.get("origin")
    integration = instance._state.fields_cache.get("integration")
    if integration is not None:
        _refresh([integration.partner_id], origin)
    else:
        _refresh(Partner.objects.filter(integrations__id=instance.integration_id), origin)


@receiver(post_save, sender=Agreement, dispatch_uid="overview-keys-agreement")
@receiver(post_delete, sender=Agreement, dispatch_uid="overview-keys-agreement-del")
def _agreement_changed(sender, instance: Agreement, raw: bool = False, **kwargs):
    if not raw:
        _refresh([instance.partner_id], kwargs.get("origin"))


@receiver(post_save, sender=Payment, dispatch_uid="overview-keys-payment")
@receiver(post_delete, sender=Payment, dispatch_uid="overview-keys-payment-del")
def _payment_changed(sender, instance: Payment, raw: bool = False, **kwargs):
    if not raw:
        _refresh(Partner.objects.filter(agreements__id=instance.agreement_id), kwargs.get("origin"))
