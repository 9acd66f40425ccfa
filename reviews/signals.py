"""Signals of the reviews app, sent after commit. Services announce work here and
``reviews.receivers`` queues the Celery task, so services never import the tasks module
(which imports them)."""

from django.dispatch import Signal

#: An intake report needs computing: kwargs ``report_id``.
intake_report_queued = Signal()
#: A verified GitHub webhook delivery needs processing: kwargs ``delivery_pk``.
webhook_delivery_queued = Signal()
