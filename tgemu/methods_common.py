"""Types shared by the Bot API method modules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .models import Bot
from .params import Params
from .state import EmulatorState

JSONDict = dict[str, Any]


@dataclass
class CallContext:
    state: EmulatorState
    bot: Bot
    method: str
    params: Params


@dataclass
class Described:
    """A successful result that also carries a ``description`` (setWebhook & co.)."""

    result: Any
    description: str


Handler = Callable[[CallContext], Awaitable[Any]]
