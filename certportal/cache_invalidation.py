"""Which page-cache scopes a model write makes stale (see certportal.pagecache).

Connected in CertportalConfig.ready(). Every save and delete of a program model bumps
``program`` and the scope of the partner organisation the row belongs to, found by
following the path below; a few models also touch the public certificate pages
(``verify``) or reference data (``global``). Writes through ``QuerySet.update()`` send
no signal: the services that use it call `pagecache.bump` themselves."""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from certportal import pagecache

logger = logging.getLogger(__name__)

# model label → attribute path from a row to its partner id ("" = program-wide only)
PARTNER_PATHS: dict[str, str] = {
    "partners.Partner": "pk",
    "partners.Membership": "partner_id",
    "partners.BusinessReview": "partner_id",
    "partners.SupportPlan": "partner_id",
    "partners.Agreement": "partner_id",
    "partners.Payment": "agreement.partner_id",
    "partners.MarketingActivity": "agreement.partner_id",
    "partners.QuotaEntry": "agreement.partner_id",
    "certifications.Integration": "partner_id",
    "certifications.CertificationRequest": "integration.partner_id",
    "certifications.TransitionLog": "request.integration.partner_id",
    "certifications.Document": "request.integration.partner_id",
    "certifications.TestEnvironment": "request.integration.partner_id",
    "certifications.CredentialReveal": "environment.request.integration.partner_id",
    "certifications.Certificate": "request.integration.partner_id",
    "certifications.Listing": "integration.partner_id",
    "reviews.Finding": "request.integration.partner_id",
    "reviews.FindingReply": "finding.request.integration.partner_id",
    "reviews.RepoAccessGrant": "integration.partner_id",
    "support.Ticket": "partner_id",
    "support.TicketEvent": "ticket.partner_id",
    "support.TicketAttachment": "ticket.partner_id",
    "support.SupportMeeting": "request.integration.partner_id",
}
# Shown on every page or on pages of every partner: their writes bump ``global``.
GLOBAL_MODELS = {"certifications.Guideline", "support.DeploymentCycle", "auth.Group"}
# The public certificate pages read these (the agreement: "partner in good standing").
VERIFY_MODELS = {
    "partners.Partner",
    "partners.Agreement",
    "certifications.Integration",
    "certifications.Certificate",
    "certifications.Listing",
}
# Rows that change only one person's header or preferences.
USER_PATHS = {
    "certportal.Notification": "recipient_id",
    "certportal.UserProfile": "user_id",
    "partners.Membership": "user_id",
}


def _follow(instance: Any, path: str) -> Any:
    value = instance
    for part in path.split("."):
        value = getattr(value, part)
        if value is None:
            return None
    return value


def scopes_for(instance: Any) -> set[str]:
    """The scopes a write of `instance` makes stale."""
    label = instance._meta.label
    scopes: set[str] = set()
    if label == get_user_model()._meta.label:
        return {"program", pagecache.user_scope(instance)}
    if label in GLOBAL_MODELS:
        scopes.add("global")
    if label in VERIFY_MODELS:
        scopes.add("verify")
    if label in USER_PATHS:
        scopes.add(f"user:{_follow(instance, USER_PATHS[label]) or 0}")
    path = PARTNER_PATHS.get(label)
    if path is not None:
        scopes.add("program")
        try:
            partner_id = _follow(instance, path)
        except ObjectDoesNotExist:
            partner_id = None
        # A row whose partner cannot be found (a half-deleted tree) goes stale everywhere.
        scopes.add(f"partner:{partner_id}" if partner_id else "global")
    return scopes


@functools.cache
def _tracked_labels() -> frozenset[str]:
    # Every save in the project passes here: the label set is built once.
    user = get_user_model()._meta.label
    return frozenset({*PARTNER_PATHS, *GLOBAL_MODELS, *USER_PATHS, user})


def _tracked(sender: Any) -> bool:
    return sender._meta.label in _tracked_labels()


def _on_save(sender, instance, raw=False, **kwargs) -> None:
    if raw or not _tracked(sender):
        return
    pagecache.bump(*scopes_for(instance))


def _before_delete(sender, instance, **kwargs) -> None:
    # The path to the partner is followed before the rows above it go.
    if _tracked(sender):
        instance._pagecache_scopes = scopes_for(instance)


def _on_delete(sender, instance, **kwargs) -> None:
    scopes = getattr(instance, "_pagecache_scopes", None)
    if scopes:
        pagecache.bump(*scopes)


def _on_groups_changed(sender, instance, action, pk_set=None, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    User = get_user_model()
    if isinstance(instance, User):
        pagecache.bump("program", pagecache.user_scope(instance))
    elif pk_set:  # a group's members changed
        pagecache.bump("program", *(f"user:{pk}" for pk in pk_set))
    else:  # a group was emptied: who was in it is no longer known
        pagecache.bump("global")


def _on_permissions_changed(sender, action, **kwargs) -> None:
    if action.startswith("post_"):
        pagecache.bump("global")


def connect() -> None:
    post_save.connect(_on_save, dispatch_uid="pagecache-save")
    pre_delete.connect(_before_delete, dispatch_uid="pagecache-pre-delete")
    post_delete.connect(_on_delete, dispatch_uid="pagecache-delete")
    m2m_changed.connect(
        _on_groups_changed, sender=get_user_model().groups.through, dispatch_uid="pagecache-groups"
    )
    from django.contrib.auth.models import Group

    for through in (get_user_model().user_permissions.through, Group.permissions.through):
        m2m_changed.connect(
            _on_permissions_changed, sender=through, dispatch_uid=f"pagecache-{through.__name__}"
        )
