"""Demo program data, grown by each app as it lands. Called by `seed_demo`."""

from __future__ import annotations


def seed_program(*, users: dict, stdout=None) -> None:
    """Create the demo partners and their program records (idempotent)."""
    return None
