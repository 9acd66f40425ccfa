"""Record which requests' figures a write may change (reviews.metrics.store reads them).

Each receiver adds a MetricsChange row in the writer's transaction: the record commits, or
rolls back, with the change. Writes that send no signal (bulk_create, QuerySet.update, as
seed_scale uses) are not seen: run ``manage.py metrics_rebuild`` after such loads."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from certifications.models import Certificate, CertificationRequest, Integration, TransitionLog
from certportal import pagecache
from reviews.metrics import store


def _changed(request_id: int | None) -> None:
    store.mark_changed([request_id] if request_id else [])
    if settings.METRICS_SUMMARY_SECONDS <= 0:
        # Figures computed on every view: the metrics page shows this write at once.
        pagecache.bump("metrics")


def _request_saved(sender: Any, instance: CertificationRequest, raw: bool = False, **kw) -> None:
    if not raw:
        _changed(instance.pk)


def _request_deleted(sender: Any, instance: CertificationRequest, **kw) -> None:
    _changed(instance.pk)


def _log_saved(sender: Any, instance: TransitionLog, raw: bool = False, **kw) -> None:
    if not raw:
        _changed(instance.request_id)


def _certificate_changed(sender: Any, instance: Certificate, raw: bool = False, **kw) -> None:
    if not raw:
        _changed(instance.request_id)


def _integration_saved(
    sender: Any, instance: Integration, raw: bool = False, created: bool = False, **kw
) -> None:
    # A new integration has no requests yet; an edit may move them to another area.
    if not raw and not created:
        store.mark_integration_changed(instance.pk)


def connect() -> None:
    post_save.connect(_request_saved, sender=CertificationRequest, dispatch_uid="metrics-req")
    post_delete.connect(
        _request_deleted, sender=CertificationRequest, dispatch_uid="metrics-req-del"
    )
    post_save.connect(_log_saved, sender=TransitionLog, dispatch_uid="metrics-log")
    post_save.connect(_certificate_changed, sender=Certificate, dispatch_uid="metrics-cert")
    post_delete.connect(_certificate_changed, sender=Certificate, dispatch_uid="metrics-cert-del")
    post_save.connect(_integration_saved, sender=Integration, dispatch_uid="metrics-integration")
