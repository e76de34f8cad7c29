"""What residents can do about their own data: /my, /mydata, /delete_me."""

from __future__ import annotations

import json
import re

from telegram import Update

from bot.domain import reference_number
from bot.features.account.callbacks import ERASE, KEEP
from bot.features.account.service import AccountService
from bot.features.account.texts import t
from bot.telegram.context import BotContext
from bot.telegram.keyboards import Button
from bot.telegram.labels import category_name, subdistrict_name
from storage.repositories import DraftRepository, OpinionRepository

MY_LIMIT = 10
EXCERPT = 40


def _excerpt(text: str | None) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


async def my_opinions(update: Update, ctx: BotContext) -> None:
    """/my: the resident's opinions, newest first, with status."""
    who = await ctx.who(update)
    if who is None:
        return
    chat_id, resident, lang = who
    if resident is None:
        await ctx.say(chat_id, t(lang, "my_empty"), "my_listed")
        return
    deps = ctx.work.deps
    repo = ctx.work.repo(OpinionRepository)
    total = await repo.count_for_resident(resident.id)
    opinions = await repo.for_resident(resident.id, limit=MY_LIMIT)
    lines = [t(lang, "my_header", total=total)] if opinions else [t(lang, "my_empty")]
    tz = deps.settings.tz
    for op in opinions:
        ref = reference_number(deps.district.reference_prefix, op.id)
        text = op.revisions[-1].text if op.revisions else op.text
        status = t(lang, f"status_{op.status}")
        when = op.created_at.astimezone(tz).strftime("%Y-%m-%d")
        where = subdistrict_name(deps.district, op.subdistrict, lang)
        lines.append(
            t(
                lang,
                "my_line",
                ref=ref,
                where=where,
                category=category_name(op.category, lang),
                status=status,
                when=when,
                excerpt=_excerpt(text),
            )
        )
    if total > len(opinions) and opinions:
        lines.append(t(lang, "my_more", shown=len(opinions)))
    draft = await ctx.work.repo(DraftRepository).open_for(resident.id)
    if draft is not None:
        lines.append(t(lang, "my_draft", excerpt=_excerpt(draft.text) or "📷"))
    await ctx.say(chat_id, "\n\n".join(lines), "my_listed")


async def my_data(update: Update, ctx: BotContext) -> None:
    """/mydata: everything held about the person, as a JSON file."""
    who = await ctx.who(update)
    if who is None:
        return
    chat_id, resident, lang = who
    if resident is None:
        await ctx.say(chat_id, t(lang, "mydata_none"), "mydata_none")
        return
    data = await ctx.work.service(AccountService).export(resident)
    content = json.dumps(data, ensure_ascii=False, indent=2).encode()
    filename = f"yushi-mydata-{resident.pseudonym}-{ctx.work.now():%Y%m%d}.json"
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
            Button(t(lang, "btn_delete_no"), KEEP.build("no")),
        ]
    ]
    await ctx.say(chat_id, t(lang, "delete_confirm"), "delete_asked", keyboard)


async def delete_pressed(update: Update, ctx: BotContext) -> None:
    """del:yes:<resident> erases identity and texts, keeping anonymous facts; del:no keeps all."""
    query = update.callback_query
    who = await ctx.who(update)
    if query is None or who is None:
        return
    chat_id, resident, lang = who
    message_id = query.message.message_id if query.message is not None else 0
    out = ctx.out

    async def say(key: str, **values: object) -> None:
        if message_id:
            await out.edit(chat_id, message_id, t(lang, key, **values))
        else:
            await out.text(chat_id, t(lang, key, **values))

    keep, erase = KEEP.parse(query.data), ERASE.parse(query.data)
    # An erase press for a number that is no account (too large, "007"…) is answered like
    # one for another account; anything else is not an erase button at all.
    if keep is None and erase is None and not re.fullmatch(r"del:yes:\d+", query.data or ""):
        await ctx.stale_press(update)
        return
    if keep is not None:
        await out.answer(chat_id, query.id)
        await say("delete_cancelled")
        ctx.done("delete_cancelled")
        return
    if resident is None or erase is None or erase.id("resident") != resident.id:
        await out.answer(chat_id, query.id, t(lang, "stale_button"), alert=True)
        ctx.done("stale_button")
        return
    await out.answer(chat_id, query.id)
    count = await ctx.work.service(AccountService).erase(resident)
    await say("deleted", count=count)
    ctx.done("resident_erased")
