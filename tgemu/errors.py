"""Errors raised by the emulator, shaped exactly like Bot API error answers.

An :class:`ApiError` becomes ``{"ok": false, "error_code": N, "description": "..."}``
(plus ``"parameters"`` for 429 / chat migration) with HTTP status ``N``.
:class:`ControlError` is for the ``/_emu`` control API (tests misusing the emulator).
"""

from __future__ import annotations

from typing import Any

JSONDict = dict[str, Any]


class ApiError(Exception):
    """A Bot API failure answer."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def to_json(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        parameters: JSONDict = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            body["parameters"] = parameters
        return body


def bad_request(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: {message}")


def forbidden(message: str) -> ApiError:
    return ApiError(403, f"Forbidden: {message}")


def too_many_requests(retry_after: int) -> ApiError:
    retry_after = max(1, retry_after)
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def conflict(message: str) -> ApiError:
    return ApiError(409, f"Conflict: {message}")


UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"

MESSAGE_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
GET_UPDATES_CONFLICT = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)
WEBHOOK_ACTIVE_CONFLICT = (
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)


def error_from_spec(code: int, description: str | None, retry_after: int | None) -> ApiError:
    """Builds a Telegram-like error for fault injection, adding the standard prefix."""
    if code == 429:
        return too_many_requests(retry_after if retry_after is not None else 5)
    prefixes = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        409: "Conflict",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    prefix = prefixes.get(code, "Error")
    if not description:
        defaults = {403: "Forbidden: bot was blocked by the user"}
        return ApiError(code, defaults.get(code, prefix))
    if description.startswith(prefix):
        return ApiError(code, description)
    return ApiError(code, f"{prefix}: {description}")


class ControlError(Exception):
    """A misuse of the control API (unknown user, button not on message, ...)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
