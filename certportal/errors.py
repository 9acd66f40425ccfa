"""The one error family services raise. Views turn it into a message (and a 403/409 where
the refusal is about the role or the state), never a 500."""

from __future__ import annotations

STATUS_BY_CODE = {"not_allowed": 403, "wrong_state": 409, "conflict": 409}


class ProgramError(Exception):
    """A rule of the program refused the action; `str(exc)` is a message a person can act on.

    `code` says why: "not_allowed" (role, 403), "wrong_state" (409), "unmet" (a condition),
    "invalid" (bad input)."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    @property
    def status_code(self) -> int:
        return STATUS_BY_CODE.get(self.code, 400)
