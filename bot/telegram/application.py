"""The Application type and what a feature's `register()` is given: handlers, menu commands
and scheduled jobs all go through `Features`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from telegram import Update
from telegram.ext import Application, BaseHandler, CommandHandler, ExtBot, filters

from bot.config import Settings
from bot.delivery.scheduler import every
from bot.telegram.context import BotContext
from bot.telegram.texts import Texts
from bot.telegram.work import Work

__all__ = ["AFTER", "GUARDS", "MAIN", "NEW", "PRIVATE", "BotApplication", "Features", "every"]

BotApplication = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], None
]
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]

#: Handler groups, in the order PTB runs them for each update. Within a group the first
#: matching handler wins; every group gets its chance.
GUARDS = -1  # before anything else: chats that are not private, edits, membership
MAIN = 0  # commands, buttons and messages: one handler per update
AFTER = 1  # additions that run after MAIN has answered (e.g. resuming a draft on /start)

PRIVATE = filters.ChatType.PRIVATE
NEW = filters.UpdateType.MESSAGE  # a new message, not an edit (MessageHandler takes both)


@dataclass(frozen=True)
class MenuCommand:
    """An entry of the command menu; its description is `cmd_<name>` in `texts`."""

    name: str
    texts: Texts
    rank: int


@dataclass(frozen=True)
class FeatureJob:
    """Scheduled work of a feature: `run(work, slot)` once per slot of `trigger`, over the
    same unit of work a handler gets (see bot.delivery.scheduler for the guarantees)."""

    name: str
    trigger: BaseTrigger
    run: Callable[[Work, datetime], Awaitable[None]]
    catch_up: bool = False


@dataclass
class Features:
    """What the features register: handlers, the command menu, scheduled jobs."""

    app: BotApplication
    settings: Settings
    menu: list[MenuCommand] = field(default_factory=list)
    jobs: list[FeatureJob] = field(default_factory=list)

    def add(self, handler: BaseHandler[Any, BotContext, Any], group: int = MAIN) -> None:
        self.app.add_handler(handler, group)

    def command(
        self, name: str, callback: Callback, *, menu: Texts | None = None, rank: int = 100
    ) -> None:
        """A command in private chats; with `menu`, also listed in the command menu."""
        self.add(CommandHandler(name, callback, filters=PRIVATE & NEW))
        if menu is not None:
            self.menu.append(MenuCommand(name, menu, rank))

    def job(
        self,
        name: str,
        trigger: BaseTrigger,
        run: Callable[[Work, datetime], Awaitable[None]],
        *,
        catch_up: bool = False,
    ) -> None:
        """Run `run` once per slot of `trigger` (a CronTrigger in settings.tz, or
        `every(interval)`), across all processes."""
        self.jobs.append(FeatureJob(name, trigger, run, catch_up))

    def menu_commands(self) -> list[MenuCommand]:
        return sorted(self.menu, key=lambda c: c.rank)
