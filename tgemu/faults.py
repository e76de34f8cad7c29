"""Fault injection: make the next K calls of a Bot API method fail or stall.

A fault matches a method name (case-insensitive, ``"*"`` for any method except getUpdates
unless named explicitly) and optionally a ``chat_id``.  It applies to the next ``count``
matching calls.  Each hit first sleeps ``delay`` seconds (to simulate a slow server / client
timeout) and then either fails with ``error_code`` (429 carries ``retry_after``; 403 defaults
to "bot was blocked by the user"; 500 "Internal Server Error"; 502 "Bad Gateway") or, when
``error_code`` is None, proceeds normally.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .errors import ApiError, error_from_spec

JSONDict = dict[str, Any]


@dataclass
class Fault:
    id: int
    method: str
    remaining: int
    chat_id: int | None = None
    error_code: int | None = None
    description: str | None = None
    retry_after: int | None = None
    delay: float = 0.0

    def error(self) -> ApiError | None:
        if self.error_code is None:
            return None
        return error_from_spec(self.error_code, self.description, self.retry_after)

    def to_json(self) -> JSONDict:
        return asdict(self)


class FaultInjector:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._next_id = 1
        self.triggered = 0

    def add(
        self,
        method: str,
        *,
        count: int = 1,
        chat_id: int | None = None,
        error_code: int | None = None,
        description: str | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
    ) -> Fault:
        fault = Fault(
            id=self._next_id,
            method=method.lower(),
            remaining=max(1, count),
            chat_id=chat_id,
            error_code=error_code,
            description=description,
            retry_after=retry_after,
            delay=max(0.0, delay),
        )
        self._next_id += 1
        self._faults.append(fault)
        return fault

    def take(self, method: str, chat_id: int | None) -> Fault | None:
        """Consumes and returns the first fault matching this call, if any."""
        method = method.lower()
        for fault in self._faults:
            if fault.method == "*" and method == "getupdates":
                continue
            if fault.method not in ("*", method):
                continue
            if fault.chat_id is not None and fault.chat_id != chat_id:
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            self.triggered += 1
            return fault
        return None

    def list(self) -> list[Fault]:
        return list(self._faults)

    def clear(self) -> None:
        self._faults.clear()

    def reset(self) -> None:
        self.clear()
        self.triggered = 0
