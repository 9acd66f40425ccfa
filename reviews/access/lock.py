"""A lock that dies with its holder: a short TTL in the shared cache, renewed while it works.

Why not a plain ``cache.add`` with a long timeout: a worker killed mid-sync (SIGKILL, OOM,
a lost host) never deletes its key, so a 300 s timeout locked the repository for five
minutes after its holder was gone, and every sync queued behind it gave up first. Here the
key lives ``LOCK_TTL`` seconds and a heartbeat thread of the holder renews it every third
of that, so a dead holder's lock lapses within ``LOCK_TTL`` while a live one — however long
a GitHub call takes — keeps it until the task's hard time limit kills the process.

The key holds a random token, and renewal and release check it first (one Lua script each
on Redis, so check-and-act is atomic): a holder whose lock lapsed and was taken by another
sync can neither extend nor delete the new holder's lock.

A holder that cannot prove it still holds the lock — the last successful renewal was sent
more than ``LOCK_TTL`` ago (Redis unreachable, the process frozen) or a renewal found
another token — must not start another write: :meth:`ExpiringLock.ensure` raises
:class:`LockLost` for it to stop between GitHub calls.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, Protocol

from django.core.cache import caches
from django_redis.cache import RedisCache
from redis.exceptions import LockNotOwnedError
from redis.lock import Lock as RedisLock

logger = logging.getLogger("reviews.access")

# Seconds a lock outlives a holder that stopped renewing it: how long a killed sync blocks
# the next one. Renewed every third of it, so two renewals may fail (a Redis blip of up to
# ~20 s) before a live holder loses it.
LOCK_TTL = 30
_RENEWALS_PER_TTL = 3


class LockLost(Exception):
    """The holder can no longer prove it holds the lock; another may hold it now."""


class _Store(Protocol):
    """Where the token lives; every method is about the one key the store was made for."""

    def acquire(self, token: str) -> bool: ...
    def renew(self, token: str) -> bool: ...
    def release(self, token: str) -> None: ...


class _RedisStore:
    """Redis through django-redis' client: SET NX PX to take, token-checked Lua scripts
    (redis-py's ``Lock``) to renew and release, so no holder touches another's lock."""

    def __init__(self, cache: RedisCache, key: str, ttl: float) -> None:
        # The same key ``cache.add(key)`` writes, so tests and tools can hold it by hand.
        self._lock = RedisLock(
            cache.client.get_client(write=True),
            cache.make_key(key),
            timeout=ttl,
            blocking=False,
            # The heartbeat thread renews what the worker's thread acquired.
            thread_local=False,
        )

    def acquire(self, token: str) -> bool:
        return bool(self._lock.acquire(token=token))

    def renew(self, token: str) -> bool:
        try:
            self._lock.reacquire()  # PEXPIRE to the full TTL if the token is still ours
        except LockNotOwnedError:
            return False
        return True

    def release(self, token: str) -> None:
        # Lapsed and maybe taken by another sync: theirs now, leave it.
        with suppress(LockNotOwnedError):
            self._lock.release()


class _CacheStore:
    """Any other Django cache (locmem without ``REDIS_URL``, where tasks run in-process).

    Check-then-act is not atomic here; it only has to order threads of one process, and
    ``add`` (which is atomic) still decides who gets the lock."""

    def __init__(self, cache: Any, key: str, ttl: float) -> None:
        self._cache, self._key, self._ttl = cache, key, ttl

    def acquire(self, token: str) -> bool:
        return bool(self._cache.add(self._key, token, self._ttl))

    def renew(self, token: str) -> bool:
        return self._cache.get(self._key) == token and bool(self._cache.touch(self._key, self._ttl))

    def release(self, token: str) -> None:
        if self._cache.get(self._key) == token:
            self._cache.delete(self._key)


def _store_for(key: str, ttl: float) -> _Store:
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        return _RedisStore(cache, key, ttl)
    return _CacheStore(cache, key, ttl)


class ExpiringLock:
    """A non-blocking mutex on ``key`` whose holder keeps it alive by renewing it.

    Use :func:`expiring_lock`; call :meth:`ensure` before each step that must not run
    twice at once (a GitHub write)."""

    def __init__(self, key: str, *, ttl: float = LOCK_TTL) -> None:
        self.key = key
        self.ttl = ttl
        self._store = _store_for(key, ttl)
        self._token = secrets.token_hex(16)
        self._valid_until = 0.0  # monotonic; the lock is surely ours before this
        self._lost = False
        self._held = False
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lock if free and start renewing it; False when someone holds it."""
        sent = time.monotonic()
        if not self._store.acquire(self._token):
            return False
        self._valid_until = sent + self.ttl
        self._held = True
        self._heartbeat = threading.Thread(
            target=self._renew_until_released, name=f"lock-heartbeat:{self.key}", daemon=True
        )
        self._heartbeat.start()
        return True

    def _renew_until_released(self) -> None:
        """The heartbeat: a daemon thread, so it dies with the process — which is the point."""
        while not self._stop.wait(self.ttl / _RENEWALS_PER_TTL):
            # Timed from before the call: Redis may have run it any time after this.
            sent = time.monotonic()
            try:
                owned = self._store.renew(self._token)
            except Exception:  # Redis unreachable: retry next beat; ensure() counts down
                if self._stop.is_set():
                    return  # released meanwhile: nothing left to renew
                logger.warning("Could not renew lock %s; retrying", self.key, exc_info=True)
                continue
            if not owned:
                self._lost = True
                if not self._stop.is_set():  # not just our own release racing this beat
                    logger.warning("Lock %s lapsed and was taken over", self.key)
                return
            self._valid_until = sent + self.ttl

    def ensure(self) -> None:
        """Raise :class:`LockLost` unless the lock is provably still ours."""
        if self._lost or time.monotonic() >= self._valid_until:
            raise LockLost(f"Lock {self.key} lapsed or was taken over")

    def release(self) -> None:
        """Stop renewing and delete the key if it still holds our token.

        Never raises: a release that fails (Redis down) leaves a key that lapses within the
        TTL, and must not hide the outcome of the work done under the lock."""
        if not self._held:
            return
        self._held = False
        self._stop.set()
        if self._heartbeat is not None:
            # A renewal in flight (bounded by the cache's socket timeout) finds no token
            # afterwards and stops by itself; no need to wait for it longer.
            self._heartbeat.join(timeout=1.0)
        try:
            self._store.release(self._token)
        except Exception:
            logger.warning(
                "Could not release lock %s; it lapses within %g s",
                self.key,
                self.ttl,
                exc_info=True,
            )


@contextmanager
def expiring_lock(key: str, *, ttl: float = LOCK_TTL) -> Iterator[ExpiringLock | None]:
    """Hold ``key`` for the block: yields the lock, or None when another holder has it."""
    lock = ExpiringLock(key, ttl=ttl)
    if not lock.acquire():
        yield None
        return
    try:
        yield lock
    finally:
        lock.release()
