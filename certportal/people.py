"""How the portal names a person: the full name, else the username; a stand-in text when
there is no one (an account since deleted, or the system itself)."""

from __future__ import annotations

from typing import Any


def display_name(user: Any, absent: str = "Someone") -> str:
    """ "Ada Lovelace", else "ada"; `absent` for None (or a user without either)."""
    if user is None:
        return absent
    full_name = getattr(user, "get_full_name", None)
    return (full_name() if full_name else "") or user.get_username() or absent
