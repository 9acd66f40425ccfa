"""The partners app's one error type, in its own module so every service module (and the
package's re-export) raises the same class without importing each other."""

from __future__ import annotations

from certportal.errors import ProgramError


class PartnerError(ProgramError):
    """A partners-app rule refused the action."""
