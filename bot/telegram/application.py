"""The Application type and what a feature's `register()` is given: handlers, menu commands
and scheduled jobs all go through `Features`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from apscheduler.triggers.base import BaseTrigger
from telegram import Update
from telegram.ext import Application, BaseHandler, CommandHandler, ExtBot, filters

from bot.config import Settings
from bot.delivery.scheduler import every
from bot.telegram.context import BotContext
from bot.telegram.texts import Texts
from bot.telegram.work import UnitsOfWork, Work

__all__ = [
    "AFTER",
    "GATE",
    "GUARDS",
    "MAIN",
    "NEW",
    "PRIVATE",
    "SEEN",
    "BotApplication",
    "FeatureJob",
    "FeatureTicker",
    "Features",
    "Scope",
    "every",
]

BotApplication = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], None
]
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]

#: Handler groups, in the order PTB runs them for each update. Within a group the first
#: matching handler wins; every group gets its chance.
GATE = -2  # who may be heard at all (hard bans), before everything
GUARDS = -1  # before anything else: chats that are not private, edits, membership
MAIN = 0  # commands, buttons and messages: one handler per update
AFTER = 1  # additions that run after MAIN has answered (e.g. resuming a draft on /start)
SEEN = 2  # bookkeeping every private update passes through (e.g. "this person is back")

PRIVATE = filters.ChatType.PRIVATE
NEW = filters.UpdateType.MESSAGE  # a new message, not an edit (MessageHandler takes both)


#: Whose command menu lists a command: residents' is everyone's; members see theirs on top,
#: admins see all three.
Scope = Literal["resident", "member", "admin"]
_SCOPES_SEEN_BY: dict[Scope, tuple[Scope, ...]] = {
    "resident": ("resident",),
    "member": ("resident", "member"),
    "admin": ("resident", "member", "admin"),
}


@dataclass(frozen=True)
class MenuCommand:
    """An entry of the command menu; its description is `cmd_<name>` in `texts`."""

    name: str
    texts: Texts
    rank: int
    scope: Scope = "resident"


@dataclass(frozen=True)
class FeatureJob:
    """Scheduled work of a feature: `run(work, slot)` once per slot of `trigger`, over the
    same unit of work a handler gets (see bot.delivery.scheduler for the guarantees)."""

    name: str
    trigger: BaseTrigger
    run: Callable[[Work, datetime], Awaitable[None]]
    catch_up: bool = False


@dataclass(frozen=True)
class FeatureTicker:
    """Work looked for at every scheduler tick (and at start), with no slot of its own:
    `run(units, now)` opens as many units of work as it needs (one per member's digest)."""

    name: str
    run: Callable[[UnitsOfWork, datetime], Awaitable[None]]


@dataclass
class Features:
    """What the features register: handlers, the command menu, scheduled jobs."""

    app: BotApplication
    settings: Settings
    menu: list[MenuCommand] = field(default_factory=list)
    jobs: list[FeatureJob] = field(default_factory=list)
    tickers: list[FeatureTicker] = field(default_factory=list)

    def add(self, handler: BaseHandler[Any, BotContext, Any], group: int = MAIN) -> None:
        self.app.add_handler(handler, group)

    def command(
        self,
        name: str,
        callback: Callback,
        *,
        menu: Texts | None = None,
        rank: int = 100,
        scope: Scope = "resident",
    ) -> None:
        """A command in private chats; with `menu`, also listed in the command menu of
        `scope` (a member's or admin's menu is set per chat when the role is granted)."""
        self.add(CommandHandler(name, callback, filters=PRIVATE & NEW))
        if menu is not None:
            self.menu.append(MenuCommand(name, menu, rank, scope))

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

    def ticker(self, name: str, run: Callable[[UnitsOfWork, datetime], Awaitable[None]]) -> None:
        """Run `run` at every scheduler tick (and at start); it decides from the database
        what is due and claims it itself."""
        self.tickers.append(FeatureTicker(name, run))

    def menu_commands(self, scope: Scope = "resident") -> list[MenuCommand]:
        """The menu a chat of `scope` sees: residents' commands, then the role's own."""
        seen = _SCOPES_SEEN_BY[scope]
        chosen = [c for c in self.menu if c.scope in seen]
        return sorted(chosen, key=lambda c: (seen.index(c.scope), c.rank))

    def menus(self) -> dict[str, dict[str, tuple[tuple[str, str], ...]]]:
        """Each role's menu in each language, as plain data for the services (`Deps`)."""
        return {
            scope: {
                lang: tuple(
                    (c.name, c.texts(lang, f"cmd_{c.name}")) for c in self.menu_commands(scope)
                )
                for lang in ("zh", "en")
            }
            for scope in ("member", "admin")
        }
