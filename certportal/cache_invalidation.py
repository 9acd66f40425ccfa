"""Which page-cache scopes a model write makes stale (see certportal.pagecache).

Connected in CertportalConfig.ready(); each app tracks its own models with `track()` in its
AppConfig.ready(). Every save and delete of a program model bumps ``program`` and the scope
of the partner organisation the row belongs to, found by following its registered path; a few models also touch the public certificate pages
(``verify``) or reference data (``global``). Writes through ``QuerySet.update()`` send
no signal: the services that use it call `pagecache.bump` themselves."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from certportal import pagecache

logger = logging.getLogger(__name__)

# Filled by each app's AppConfig.ready() through `track()`: the ground names no app model.
# model label → attribute path from a row to its partner id
PARTNER_PATHS: dict[str, str] = {}
# Shown on every page or on pages of every partner: their writes bump ``global``.
GLOBAL_MODELS: set[str] = set()
# The public certificate pages read these (the agreement: "partner in good standing").
VERIFY_MODELS: set[str] = set()
# Rows that change only one person's header or preferences: label → path to the user id.
USER_PATHS: dict[str, str] = {}
_TRACKED: set[str] = set()


def track(
    model: type[Model] | str,
    *,
    partner: str | None = None,
    user: str | None = None,
    everywhere: bool = False,
    verify: bool = False,
) -> None:
    """Register which scopes a write of `model` makes stale.

    `partner` is the attribute path from a row to its partner organisation's id (the row
    then also bumps ``program``); `user` the path to the one person whose header it changes;
    `everywhere` for reference data every page may show (``global``); `verify` for what the
    public certificate pages read."""
    label = model if isinstance(model, str) else model._meta.label
    if partner is not None:
        PARTNER_PATHS[label] = partner
    if user is not None:
        USER_PATHS[label] = user
    if everywhere:
        GLOBAL_MODELS.add(label)
    if verify:
        VERIFY_MODELS.add(label)
    _TRACKED.add(label)


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


def _tracked(sender: Any) -> bool:
    # Every save in the project passes here: one set lookup.
    return sender._meta.label in _TRACKED


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
    """Connect the signal handlers and track the ground's own models (the user, groups, the
    outbox and profiles); the apps track theirs in their own ready()."""
    track(get_user_model())
    from django.contrib.auth.models import Group

    track(Group, everywhere=True)
    track("certportal.Notification", user="recipient_id")
    track("certportal.UserProfile", user="user_id")
    post_save.connect(_on_save, dispatch_uid="pagecache-save")
    pre_delete.connect(_before_delete, dispatch_uid="pagecache-pre-delete")
    post_delete.connect(_on_delete, dispatch_uid="pagecache-delete")
    m2m_changed.connect(
        _on_groups_changed, sender=get_user_model().groups.through, dispatch_uid="pagecache-groups"
    )
    for through in (get_user_model().user_permissions.through, Group.permissions.through):
        m2m_changed.connect(
            _on_permissions_changed, sender=through, dispatch_uid=f"pagecache-{through.__name__}"
        )
