"""Which page-cache scopes a model write makes stale (see certportal.pagecache).

Connected in CertportalConfig.ready(); each app tracks its own models with `track()` in its
AppConfig.ready(). A write bumps only the scopes of what it belongs to, so a page survives
writes it does not show:

- ``partner:<id>``: every row of one partner organisation (its portal pages);
- ``request:<id>`` / ``integration:<id>``: rows of one certification request / one
  integration (the back office's request page reads its integration's scope);
- ``org:<id>`` and ``overview``: partner-level rows (the partner, its agreements and
  ledgers, reviews, plans, tickets): what the managers' overview and a request page show
  of the organisation;
- ``staff``: who the vendor staff are (reviewer lists, names);
- extra scopes an app computes from the row and its values as loaded (`extra`, `watch`):
  the review queues (``queue:state:<state>``, ``queue:names``) bump only when a request
  enters, leaves or changes in a queue;
- ``program``: every program write, for a page that reads everything.

Some models also touch the public certificate pages (``verify``) or reference data
(``global``). Writes through ``QuerySet.update()`` send no signal: the services that use
it call `pagecache.bump` themselves."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save, pre_delete

from certportal import pagecache

logger = logging.getLogger(__name__)

# Filled by each app's AppConfig.ready() through `track()`: the ground names no app model.
# model label → attribute path from a row to its partner id
PARTNER_PATHS: dict[str, str] = {}
# model label → path to the row's certification request id / integration id
REQUEST_PATHS: dict[str, str] = {}
INTEGRATION_PATHS: dict[str, str] = {}
# Shown on every page or on pages of every partner: their writes bump ``global``.
GLOBAL_MODELS: set[str] = set()
# The public certificate pages read these (the agreement: "partner in good standing").
VERIFY_MODELS: set[str] = set()
# Rows that change only one person's header or preferences: label → path to the user id.
USER_PATHS: dict[str, str] = {}
# Fixed scopes a model's writes also bump, and app hooks computing more from the row.
ALSO: dict[str, tuple[str, ...]] = {}
EXTRA: dict[str, Callable[[Any, dict[str, Any] | None], set[str]]] = {}
WATCHED: dict[str, tuple[str, ...]] = {}
_TRACKED: set[str] = set()
# Saves of a user that change nothing any page shows (each login writes last_login).
QUIET_USER_FIELDS = frozenset({"last_login"})


def track(
    model: type[Model] | str,
    *,
    partner: str | None = None,
    user: str | None = None,
    request: str | None = None,
    integration: str | None = None,
    everywhere: bool = False,
    verify: bool = False,
    also: tuple[str, ...] = (),
    watch: tuple[str, ...] = (),
    extra: Callable[[Any, dict[str, Any] | None], set[str]] | None = None,
) -> None:
    """Register which scopes a write of `model` makes stale.

    `partner` is the attribute path from a row to its partner organisation's id (the row
    then also bumps ``program``); `request` and `integration` the paths to the request and
    integration it belongs to (a partner row with neither is partner-level: ``org:<id>``
    and ``overview``); `user` the path to the one person whose header it changes;
    `everywhere` for reference data every page may show (``global``); `verify` for what the
    public certificate pages read; `also` fixed scopes. `extra(row, loaded)` returns more
    scopes, given the `watch` fields' values as loaded from the database (None for a new
    row or a delete)."""
    label = model if isinstance(model, str) else model._meta.label
    if partner is not None:
        PARTNER_PATHS[label] = partner
    if request is not None:
        REQUEST_PATHS[label] = request
    if integration is not None:
        INTEGRATION_PATHS[label] = integration
    if user is not None:
        USER_PATHS[label] = user
    if everywhere:
        GLOBAL_MODELS.add(label)
    if verify:
        VERIFY_MODELS.add(label)
    if also:
        ALSO[label] = tuple(also)
    if extra is not None:
        EXTRA[label] = extra
    if watch:
        WATCHED[label] = tuple(watch)
        from django.apps import apps

        post_init.connect(
            _remember_loaded, sender=apps.get_model(label), dispatch_uid=f"pagecache-init-{label}"
        )
    _TRACKED.add(label)


_UNKNOWN = object()


def _remember_loaded(sender, instance, **kwargs) -> None:
    # Only rows read from the database have loaded values to compare with.
    if instance._state.adding and instance.pk is None:
        return
    fields = WATCHED[sender._meta.label]
    instance._pagecache_loaded = {f: instance.__dict__.get(f, _UNKNOWN) for f in fields}


def _follow(instance: Any, path: str) -> Any:
    value = instance
    for part in path.split("."):
        value = getattr(value, part)
        if value is None:
            return None
    return value


def _path_id(instance: Any, path: str | None) -> Any:
    if path is None:
        return None
    try:
        return _follow(instance, path)
    except ObjectDoesNotExist:
        return None


def scopes_for(instance: Any, *, loaded: dict[str, Any] | None = None) -> set[str]:
    """The scopes a write of `instance` makes stale (`loaded`: its watched fields as they
    were read, None for a new row or a delete)."""
    label = instance._meta.label
    scopes: set[str] = set(ALSO.get(label, ()))
    if label == get_user_model()._meta.label:
        return {"program", "staff", pagecache.user_scope(instance)}
    if label in GLOBAL_MODELS:
        scopes.add("global")
    if label in VERIFY_MODELS:
        scopes.add("verify")
    if label in USER_PATHS:
        scopes.add(f"user:{_follow(instance, USER_PATHS[label]) or 0}")
    path = PARTNER_PATHS.get(label)
    if path is not None:
        scopes.add("program")
        partner_id = _path_id(instance, path)
        # A row whose partner cannot be found (a half-deleted tree) goes stale everywhere.
        scopes.add(f"partner:{partner_id}" if partner_id else "global")
        request_id = _path_id(instance, REQUEST_PATHS.get(label))
        integration_id = _path_id(instance, INTEGRATION_PATHS.get(label))
        if request_id:
            scopes.add(f"request:{request_id}")
        if integration_id:
            scopes.add(f"integration:{integration_id}")
        if label not in REQUEST_PATHS and label not in INTEGRATION_PATHS:
            scopes.update({f"org:{partner_id or 0}", "overview"})
    hook = EXTRA.get(label)
    if hook is not None:
        scopes |= hook(instance, loaded)
    return scopes


def _loaded(instance: Any) -> dict[str, Any] | None:
    values = getattr(instance, "_pagecache_loaded", None)
    if values is None or any(v is _UNKNOWN for v in values.values()):
        return None
    return values


def _tracked(sender: Any) -> bool:
    # Every save in the project passes here: one set lookup.
    return sender._meta.label in _TRACKED


def _on_save(sender, instance, raw=False, created=False, update_fields=None, **kwargs) -> None:
    if raw or not _tracked(sender):
        return
    label = sender._meta.label
    if (
        update_fields
        and label == get_user_model()._meta.label
        and set(update_fields) <= QUIET_USER_FIELDS
    ):
        return
    pagecache.bump(*scopes_for(instance, loaded=None if created else _loaded(instance)))
    if label in WATCHED:  # the next save of this instance compares with what it wrote
        instance._pagecache_loaded = {f: instance.__dict__.get(f, _UNKNOWN) for f in WATCHED[label]}


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
        pagecache.bump("program", "staff", pagecache.user_scope(instance))
    elif pk_set:  # a group's members changed
        pagecache.bump("program", "staff", *(f"user:{pk}" for pk in pk_set))
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
