"""Versioned page cache for the pages people reload all day.

A cached page is stored under a key made of who asks (the user), what they ask for (the
full path), the current *version token* of every scope the page reads, and a time bucket.
Writes never touch cached pages: a model save or delete replaces the version token of the
scopes it belongs to (`bump`), so every page that read them misses from then on and is
rendered afresh. Scopes:

- ``global``: reference data every page may show (the guideline catalogue, groups, the
  deployment calendar); bumped rarely;
- ``partner:<id>``: everything of one partner organisation (its portal pages);
- ``request:<id>``, ``integration:<id>``, ``org:<id>``: one request, one integration, one
  organisation's partner-level rows (the back office's request page reads these);
- ``queue:state:<state>``, ``queue:reviewer:<id>``, ``queue:names``: the review queues;
- ``overview``, ``metrics``, ``staff``: the managers' overview, the stored metrics
  summary, who the staff are;
- ``program``: every program write (a page that reads everything);
- ``user:<id>``: the person's own header data (name, unread notifications, groups);
- ``verify``: the public certificate pages.
Which write bumps which is certportal.cache_invalidation's business.

Correctness rules:

- Only GET responses with status 200, no ``no-store`` and no pending flash messages are
  stored; anything else is rendered normally.
- A token is bumped at once (so the writer's next page is fresh, inside or outside a
  transaction) and again after commit (so a reader that cached the old rows under the new
  token between the two is discarded).
- The CSRF token is never stored: the page is rendered with a placeholder, replaced on the
  way out with the requester's own token.
- Time-relative content is drawn at day granularity ("due in 3 days"), so the key carries
  the local date and a copy ends at midnight; a page whose content changes at a moment
  of its own (an SLA becoming overdue at its due time) calls `expires_at(moment)` while it
  is drawn, and its copy is not served from that moment on. No copy is kept longer than
  `PAGE_CACHE_MAX_AGE`.
- A cache outage only costs speed: every cache call falls back to rendering.

`PAGE_CACHE_SECONDS` (default 60 when a shared Redis cache is configured or in DEBUG, else
0 = off) turns the cache on; its value no longer sets a time bucket."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

logger = logging.getLogger(__name__)

VERSION_PREFIX = "pcv:"
PAGE_PREFIX = "pc:"
# Headers a cached page keeps (everything else is added by middleware on the way out).
KEPT_HEADERS = ("Content-Type", "Content-Language")


def csrf_placeholder() -> str:
    """A marker rendered where the CSRF token goes; derived from SECRET_KEY so no user can
    type it into content that a page later shows."""
    return _placeholder_for(settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _placeholder_for(secret: str) -> str:
    # Every served copy looks for it: computed once per secret, not per request.
    digest = hmac.new(secret.encode(), b"certportal.pagecache.csrf", hashlib.sha256).hexdigest()
    return f"csrf-placeholder-{digest[:32]}"


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


def _namespace() -> str:
    return getattr(settings, "PAGE_CACHE_NAMESPACE", "")


def _version_key(scope: str) -> str:
    return f"{VERSION_PREFIX}{_namespace()}:{scope}"


def _new_token() -> str:
    return f"{time.time_ns():x}{uuid.uuid4().hex[:8]}"


def _write_tokens(scopes: Iterable[str]) -> None:
    try:
        cache.set_many({_version_key(s): _new_token() for s in scopes}, timeout=None)
    except Exception as exc:
        logger.warning("Page cache: could not bump %s (%s)", sorted(scopes), exc)


# Scopes bumped inside the current transaction(s) of this thread, written again once after
# commit by the first commit hook that runs (a transaction that writes 100 rows of one
# partner costs one after-commit write, not 100).
_after_commit = threading.local()


def _flush_after_commit() -> None:
    pending = getattr(_after_commit, "scopes", None)
    if pending:
        _after_commit.scopes = set()
        _write_tokens(pending)


def bump(*scopes: str) -> None:
    """Make every cached page that read one of `scopes` stale, now and after commit."""
    if not scopes or not enabled():
        return
    unique = frozenset(scopes)
    _write_tokens(unique)
    if transaction.get_connection().in_atomic_block:
        pending = getattr(_after_commit, "scopes", None)
        if pending is None:
            pending = _after_commit.scopes = set()
        pending.update(unique)
        # Every bump registers a hook (a rolled-back savepoint drops only its own); the
        # first to run writes all, the rest find nothing left. Scopes of a rolled-back
        # transaction are written with the next commit: one harmless extra miss.
        transaction.on_commit(_flush_after_commit)


def versions(scopes: Iterable[str], known: dict[str, Any] | None = None) -> list[str]:
    """The current token of each scope (missing ones are started). `known` holds tokens by
    cache key already read in this request; only the others are fetched."""
    keys = [_version_key(s) for s in scopes]
    known = known or {}
    found = {k: known[k] for k in keys if k in known}
    unread = [k for k in keys if k not in found]
    if unread:
        found.update(cache.get_many(unread))
    missing = [k for k in keys if k not in found]
    if missing:
        # First writer wins, so requests starting a scope at once agree on its token.
        for key in missing:
            cache.add(key, _new_token(), timeout=None)
        found.update(cache.get_many(missing))
    return [found.get(k, "") for k in keys]


def _has_pending_messages(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    if storage is None:
        return False
    try:
        return len(storage) > 0
    except Exception:
        return True


def _cacheable(response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and "no-store" not in response.get("Cache-Control", "")
        and not response.cookies
    )


def _with_token(request: HttpRequest, body: bytes) -> bytes:
    marker = csrf_placeholder().encode()
    if marker in body:
        body = body.replace(marker, get_token(request).encode())
    return body


def _skip(request: HttpRequest) -> bool:
    return (
        not enabled()
        or request.method != "GET"
        or getattr(request, "htmx", False)
        or _has_pending_messages(request)
    )


def _page_key(request: HttpRequest, name: str, vary: str) -> str:
    user_id = getattr(request.user, "pk", None) or 0
    page = f"{name}|{user_id}|{vary}|{request.get_full_path()}"
    digest = hashlib.sha256(page.encode()).hexdigest()
    # Pages say "due in 3 days" and "today": a copy is of one local day.
    day = timezone.localdate().toordinal()
    return f"{PAGE_PREFIX}{_namespace()}:{name}:{digest}:{day}"


def max_age() -> int:
    return getattr(settings, "PAGE_CACHE_MAX_AGE", 86400)


# The drawing in progress on this thread: the earliest moment its content changes.
_drawing = threading.local()


def expires_at(moment: Any) -> None:
    """Called while a page is drawn: its content changes at `moment` (an aware datetime),
    so its copy must not be served from then on. Outside a drawing it does nothing."""
    current = getattr(_drawing, "expires", _NOT_DRAWING)
    if current is _NOT_DRAWING or moment is None:
        return
    stamp = moment.timestamp()
    if current is None or stamp < current:
        _drawing.expires = stamp


_NOT_DRAWING = object()


def _served(request: HttpRequest, entry: Any) -> HttpResponse:
    _tokens, headers, body = entry[:3]
    response = HttpResponse(_with_token(request, body))
    for header, value in headers.items():
        response[header] = value
    response["X-Page-Cache"] = "hit"
    return response


def _expired(entry: Any) -> bool:
    expires = entry[3] if len(entry) > 3 else None
    return expires is not None and timezone.now().timestamp() >= expires


def _current(entry: Any, found: dict[str, Any]) -> bool:
    """Whether a stored copy was drawn at the current version of every scope it read
    (`found` holds version tokens by cache key; scopes not in it are fetched)."""
    tokens = entry[0]
    if _expired(entry):
        return False
    keys = {scope: _version_key(scope) for scope in tokens}
    unknown = [key for key in keys.values() if key not in found]
    if unknown:
        found = {**found, **cache.get_many(unknown)}
    return all(found.get(keys[scope]) == token for scope, token in tokens.items())


def lookup(
    request: HttpRequest, *, name: str, scopes: Iterable[str] = (), vary: str = ""
) -> HttpResponse | None:
    """The stored copy of this page if it is current, else None (one cache round trip
    when `scopes` names every scope the page reads; one more for the others, such as the
    partner organisations a portal page recorded when it was drawn)."""
    return _read(request, name, scopes, vary)[0]


def _read(
    request: HttpRequest, name: str, scopes: Iterable[str], vary: str
) -> tuple[HttpResponse | None, dict[str, Any] | None]:
    """`lookup`, also returning what it read (the copy and the version tokens by cache
    key) so that drawing after a miss does not read them again."""
    if _skip(request):
        return None, None
    key = _page_key(request, name, vary)
    versions_wanted = [_version_key(s) for s in ("global", user_scope(request.user), *scopes)]
    try:
        found = cache.get_many([key, *versions_wanted])
        entry = found.get(key)
        if entry is not None and _current(entry, found):
            return _served(request, entry), found
    except Exception as exc:
        logger.warning("Page cache unavailable (%s); drawing %s", exc, name)
        return None, None
    return None, found


def draw(
    request: HttpRequest,
    *,
    name: str,
    scopes: Iterable[str],
    render: Callable[[], HttpResponse],
    vary: str = "",
    known: dict[str, Any] | None = None,
    more_scopes: Callable[[], Iterable[str]] | None = None,
) -> HttpResponse:
    """Draw the page (or take the copy another request is drawing at the same moment) and
    store it with the version of every scope it reads, taken before its rows are read.
    `known` is what a `lookup` of this request already read (see `_read`); `more_scopes`
    names scopes found only when drawing (the integration of the request a page shows),
    from facts that never change, so reading them before the versions is safe."""
    if _skip(request):
        return render()
    extra = list(more_scopes()) if more_scopes is not None else []
    scope_list = list(dict.fromkeys(["global", user_scope(request.user), *scopes, *extra]))
    key = _page_key(request, name, vary)
    try:
        tokens = dict(zip(scope_list, versions(scope_list, known), strict=True))
        entry = known.get(key) if known is not None else cache.get(key)
        if entry is not None and entry[0] == tokens and not _expired(entry):
            locked = False  # current already (its lookup was skipped or raced a drawing)
        else:
            entry, locked = _wait_for_other_drawing(key, tokens)
    except Exception as exc:
        logger.warning("Page cache unavailable (%s); drawing %s", exc, name)
        return render()
    if entry is not None:
        return _served(request, entry)
    request._page_cache_render = True
    outer = getattr(_drawing, "expires", _NOT_DRAWING)
    _drawing.expires = None
    try:
        response = render()
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        request._page_cache_render = False
        expires = _drawing.expires
        if _cacheable(response):
            headers = {h: response[h] for h in KEPT_HEADERS if h in response}
            try:
                cache.set(key, (tokens, headers, response.content, expires), timeout=max_age())
            except Exception as exc:
                logger.warning("Page cache: could not store %s (%s)", name, exc)
            response["X-Page-Cache"] = "miss"
    finally:
        _drawing.expires = outer
        request._page_cache_render = False
        if locked:  # after the copy is stored, so the waiting requests find it
            _release(key)
    if not response.streaming:
        response.content = _with_token(request, response.content)
    return response


def cached_page(
    request: HttpRequest,
    *,
    name: str,
    scopes: Iterable[str],
    render: Callable[[], HttpResponse],
    vary: str = "",
    more_scopes: Callable[[], Iterable[str]] | None = None,
) -> HttpResponse:
    """Serve `render()`'s page from the cache when nothing it depends on has changed.

    `scopes` are the version scopes the page reads besides ``global`` and the person's
    own; `more_scopes` those known only when drawing (see `draw`; a stored copy records
    them, so a hit checks them too); `vary` adds what else the page depends on (the
    current partner organisation)."""
    scopes = list(scopes)
    hit, found = _read(request, name, scopes, vary)
    if hit is not None:
        return hit
    return draw(
        request,
        name=name,
        scopes=scopes,
        render=render,
        vary=vary,
        known=found,
        more_scopes=more_scopes,
    )


LOCK_SECONDS = 30  # longest a page may take to draw before another request tries too
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.01


def _wait_for_other_drawing(key: str, tokens: dict[str, str]) -> tuple[Any, bool]:
    """Dog-pile protection: when a page is missing or stale, one request draws it and the
    others wait for its copy instead of all drawing the same page at once (what happens to
    a popular page when its version changes or its time bucket ends). A copy is taken only
    if it was drawn at the versions this request read.

    Returns (a current stored copy or None, whether this request holds the drawing lock)."""
    lock = f"{key}:lock"
    if cache.add(lock, 1, timeout=LOCK_SECONDS):
        return None, True
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        found = cache.get_many([key, lock])
        entry = found.get(key)
        if entry is not None and entry[0] == tokens and not _expired(entry):
            return entry, False
        if lock not in found:  # drawn but not storable, or at other versions: draw it here
            break
    return None, False


def _release(key: str) -> None:
    try:
        cache.delete(f"{key}:lock")
    except Exception as exc:
        logger.warning("Page cache: could not release a drawing lock (%s)", exc)


def context_csrf(request: HttpRequest) -> dict[str, Any]:
    """Template context while a page is rendered for the cache: the CSRF placeholder."""
    if getattr(request, "_page_cache_render", False):
        return {"csrf_token": csrf_placeholder()}
    return {}


# --- scopes of the requester ---------------------------------------------------------------


def user_scope(user: Any) -> str:
    return f"user:{getattr(user, 'pk', 0) or 0}"


# A vendor-staff page that has not said what it reads reads the whole program.
STAFF_SCOPES = ("program",)


def cached_view(
    name: str,
    kind: str = "staff",
    *,
    scopes: Iterable[str] | Callable[..., Iterable[str]] | None = None,
) -> Callable:
    """Decorator: serve a GET view through the page cache.

    `kind` picks the default scopes: ``"staff"`` (the whole program; put it outside the
    role check, so a hit skips it: a stored copy exists only for someone who passed it, and
    a change to their groups changes their own scope's version) or ``"verify"`` (public
    certificate pages). `scopes` names what the page reads instead: a list, or a callable
    given the view's arguments (the request first). Portal pages use
    `portal.context.portal_page`."""
    from functools import wraps

    default = list(STAFF_SCOPES) if kind == "staff" else [kind]

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if callable(scopes):
                chosen = list(scopes(request, *args, **kwargs))
            else:
                chosen = default if scopes is None else list(scopes)
            return cached_page(
                request, name=name, scopes=chosen, render=lambda: view(request, *args, **kwargs)
            )

        return wrapper

    return decorator
