"""One unit of work: a session, the dependencies, and what is built over them.

Handlers reach it as `ctx.work`; scheduled jobs and CLI commands call `services_for(session,
deps)` and get exactly the same. Nothing here names a feature: a repository is any class
built from a session, a service any class with `from_work(work)`, each made once per unit
of work and shared by everything in it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol, Self, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.deps import Deps
from bot.domain import District
from bot.domain.clock import Clock
from bot.telegram.outbox import Outbox


class Repository(Protocol):
    def __init__(self, session: AsyncSession) -> None: ...


class Service(Protocol):
    @classmethod
    def from_work(cls, work: Work) -> Self: ...


R = TypeVar("R", bound=Repository)
S = TypeVar("S", bound=Service)


class Work:
    def __init__(self, session: AsyncSession, deps: Deps) -> None:
        self.session = session
        self.deps = deps
        self.out = Outbox(session, deps.clock)
        self._made: dict[type[Any], object] = {}

    @property
    def settings(self) -> Settings:
        return self.deps.settings

    @property
    def district(self) -> District:
        return self.deps.district

    @property
    def clock(self) -> Clock:
        return self.deps.clock

    def now(self) -> datetime:
        return self.deps.clock.now()

    def repo(self, cls: type[R]) -> R:
        """The repository `cls` over this unit of work's session."""
        made = self._made.get(cls)
        if isinstance(made, cls):
            return made
        repo = cls(self.session)
        self._made[cls] = repo
        return repo

    def service(self, cls: type[S]) -> S:
        """The service `cls`, built once for this unit of work."""
        made = self._made.get(cls)
        if isinstance(made, cls):
            return made
        service = cls.from_work(self)
        self._made[cls] = service
        return service


def services_for(session: AsyncSession, deps: Deps) -> Work:
    """What a handler gets, for a job or a command that has no update."""
    return Work(session, deps)


#: Opens one unit of work (one transaction, committed when the block ends without error):
#: what scheduled work that needs several transactions is given.
UnitsOfWork = Callable[[], AbstractAsyncContextManager[Work]]
