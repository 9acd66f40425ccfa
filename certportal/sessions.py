"""Sessions read from the shared cache and written through to the database (Django's
cached_db), tolerant of a cache outage: reading falls back to the database, so a cache
outage costs speed, never a sign-in. A delete (logout, the key cycled at login) that
cannot reach the cache is logged as an error: the database row is gone, but a cache that
comes back with its old contents would still hold the copy, so docs/operations.md says to
flush the session keys after a Redis outage."""

from __future__ import annotations

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.contrib.sessions.backends.db import SessionStore as DBStore

logger = logging.getLogger(__name__)


class SessionStore(CachedDBStore):
    def load(self):
        try:
            return super().load()
        except Exception as exc:  # the cache, not the database: read the row
            logger.warning("Session cache unavailable (%s); reading the database", exc)
            s = self._get_session_from_db()
            return self.decode(s.session_data) if s else {}

    def exists(self, session_key):
        try:
            return super().exists(session_key)
        except Exception:
            return bool(session_key) and self.model.objects.filter(session_key=session_key).exists()

    def delete(self, session_key=None):
        DBStore.delete(self, session_key)  # the row: a database error propagates
        key = session_key or self.session_key
        if key is None:
            return
        try:
            self._cache.delete(self.cache_key_prefix + key)
        except Exception as exc:
            logger.error(
                "Session deleted from the database but not from the cache (%s): flush the "
                "session keys when the cache is back",
                exc,
            )
