"""The unit of work for one update, reachable from handlers through `BotContext.scope`.

The processor opens a session, sets the scope, lets the Application dispatch the update, and
commits once (with the inbox row marked done) or rolls everything back, outbox rows included.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.sending import Outbox
from storage.repositories import (
    DraftRepository,
    GroupChatRepository,
    OpinionRepository,
    ResidentRepository,
)

if TYPE_CHECKING:
    from bot.deps import Deps


@dataclass
class UpdateScope:
    session: AsyncSession
    deps: Deps
    outcome: str = "ignored"
    error: BaseException | None = field(default=None)

    @cached_property
    def out(self) -> Outbox:
        return Outbox(self.session)

    @cached_property
    def residents(self) -> ResidentRepository:
        return ResidentRepository(self.session)

    @cached_property
    def drafts(self) -> DraftRepository:
        return DraftRepository(self.session)

    @cached_property
    def opinions(self) -> OpinionRepository:
        return OpinionRepository(self.session)

    @cached_property
    def groups(self) -> GroupChatRepository:
        return GroupChatRepository(self.session)


current_scope: ContextVar[UpdateScope] = ContextVar("current_scope")
