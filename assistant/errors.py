"""Domain errors. Each carries a message key (in ``prompts/messages``) and its parameters, so the
transport can tell the user what went wrong in their own language."""

from __future__ import annotations

from typing import Any


class AssistantError(Exception):
    """Base of every error the user should be told about."""

    key = "error.generic"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or self.key
        self.params = params
        super().__init__(f"{self.key} {params}")


class DatabaseUnavailable(Exception):
    """The database cannot be reached (a restart, a failover, killed connections).

    Not an :class:`AssistantError` on purpose: it says nothing about what the user asked for,
    so no handler that tells a user their input was wrong, or a record is gone, may catch it.
    It reaches the one error handler, which says "send it again", and whatever the user was
    doing (the visit, the report they are editing) stays as it was.
    """

    key = "error.database"

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason)
        self.url = url
        self.reason = reason
        self.params = {"url": url, "reason": reason}

    def __str__(self) -> str:
        return f"cannot reach the database at {self.url}: {self.reason}"


class AccessDenied(AssistantError):
    key = "error.access_denied"


class NotFound(AssistantError):
    key = "error.not_found"


class InvalidInput(AssistantError):
    key = "error.invalid_input"


class InviteInvalid(AssistantError):
    key = "invite.invalid"
