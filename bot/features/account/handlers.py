"""What residents can do about their own data: /my, /mydata, /delete_me."""

from __future__ import annotations

import json
import re
from typing import Literal

from telegram import Message, Update

from bot.features.account.callbacks import ERASE, KEEP, KEEP_UNNAMED
from bot.features.account.service import AccountService, erase_decision
from bot.features.account.texts import t
from bot.features.account.views import data_summary, local_minute, my_listing
from bot.telegram.context import BotContext
from bot.telegram.keyboards import Button
from storage.repositories import DraftRepository, FollowupRepository, OpinionRepository

#: Opinions /my shows; /mydata has them all.
MY_LIMIT = 10


async def my_opinions(update: Update, ctx: BotContext) -> None:
    """/my: the resident's opinions, newest first, with status, and an open draft."""
    who = await ctx.who(update)
    if who is None:
        return
    chat_id, resident, lang = who
    if resident is None:
        await ctx.say(chat_id, t(lang, "my_none"), "my_listed")
        return
    repo = ctx.work.repo(OpinionRepository)
    total = await repo.count_for_resident(resident.id)
    opinions = await repo.for_resident(resident.id, limit=MY_LIMIT)
    draft = await ctx.work.repo(DraftRepository).open_for(resident.id)
    history = await ctx.work.repo(FollowupRepository).history([o.id for o in opinions])
    supported = await repo.supported_by(resident.id)
    listing = my_listing(lang, ctx.work.deps, opinions, total, draft, history, supported)
    await ctx.say(chat_id, listing, "my_listed")


async def my_data(update: Update, ctx: BotContext) -> None:
    """/mydata: a readable summary of everything held, and all of it as a JSON file."""
    who = await ctx.who(update)
    if who is None:
        return
    chat_id, resident, lang = who
    if resident is None:
        await ctx.say(chat_id, t(lang, "mydata_none"), "mydata_none")
        return
    account = ctx.work.service(AccountService)
    held = await account.holdings(resident)
    now, tz = ctx.work.now(), ctx.work.settings.tz
    await ctx.out.text(chat_id, data_summary(lang, ctx.work.deps, held, now))
    content = json.dumps(account.export(held, tz), ensure_ascii=False, indent=2).encode()
    filename = f"yushi-mydata-{resident.pseudonym}-{now.astimezone(tz):%Y%m%d}.json"
    await ctx.out.document(chat_id, filename, content, t(lang, "mydata_caption"))
    ctx.done("mydata_sent")


async def delete_me(update: Update, ctx: BotContext) -> None:
    """/delete_me: ask first; erasing cannot be undone."""
    who = await ctx.who(update)
    if who is None:
        return
    chat_id, resident, lang = who
    if resident is None:
        await ctx.say(chat_id, t(lang, "nothing_to_delete"), "delete_nothing")
        return
    keyboard = [
        [
            Button(t(lang, "btn_delete_yes"), ERASE.build("yes", resident.id)),
            Button(t(lang, "btn_delete_no"), KEEP.build("no", resident.id)),
        ]
    ]
    await ctx.say(chat_id, t(lang, "delete_confirm"), "delete_asked", keyboard)


def _parse(data: str | None) -> tuple[Literal["yes", "no"], int | None] | None:
    """(answer, account the prompt was shown to) of an erase-prompt button, else None."""
    if (erase := ERASE.parse(data)) is not None:
        return "yes", erase.id("resident")
    if (keep := KEEP.parse(data)) is not None:
        return "no", keep.id("resident")
    if KEEP_UNNAMED.parse(data) is not None:
        return "no", None
    # An erase press for a number that is no account (too large, "007"…) is answered like
    # one for another account: it erases nothing.
    if re.fullmatch(r"del:yes:\d+", data or ""):
        return "yes", 0
    return None


async def delete_pressed(update: Update, ctx: BotContext) -> None:
    """A press on an erase prompt does what is true at press time (`erase_decision`): so of
    two prompts, 🗑 on one and 取消 on the other never erase and then claim nothing was."""
    query = update.callback_query
    who = await ctx.who(update)
    if query is None or who is None:
        return
    parsed = _parse(query.data)
    if parsed is None:
        await ctx.stale_press(update)
        return
    chat_id, resident, lang = who
    # Only an erase prompt is edited: forged data pressed on another message (a question
    # of a draft) must not overwrite it.
    message = query.message
    prompt = isinstance(message, Message) and (message.text or "") in {
        t("zh", "delete_confirm"),
        t("en", "delete_confirm"),
    }
    message_id = message.message_id if message is not None and prompt else 0
    out = ctx.out

    async def say(html: str) -> None:
        if message_id:
            await out.edit(chat_id, message_id, html)
        else:
            await out.text(chat_id, html)

    answer, shown_for = parsed
    decision = erase_decision(answer, shown_for, resident)
    if decision == "erase" and resident is not None:
        await out.answer(chat_id, query.id)
        count = await ctx.work.service(AccountService).erase(resident)
        when = local_minute(ctx.work.now(), ctx.work.settings.tz)
        await say(t(lang, "deleted", count=count, when=when))
        ctx.done("resident_erased")
    elif decision == "keep":
        await out.answer(chat_id, query.id)
        await say(t(lang, "delete_cancelled"))
        ctx.done("delete_cancelled")
    elif decision == "gone":
        await out.answer(chat_id, query.id, t(lang, "delete_already_done"))
        if message_id:
            await say(t(lang, "delete_already_done"))
        ctx.done("delete_already_done")
    else:
        await out.answer(chat_id, query.id, t(lang, "delete_stale"), alert=True)
        if message_id:
            await say(t(lang, "delete_stale"))
        ctx.done("stale_button")
