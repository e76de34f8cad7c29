"""What residents can do about their own data: /my, /mydata, /delete_me, /cancel."""

from __future__ import annotations

import json

from telegram import Update

from bot.context import BotContext
from bot.domain import reference_number
from bot.handlers.prompts import category_name, subdistrict_name
from bot.sending import Button
from bot.texts import t
from storage.models import utcnow

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
        await ctx.scope.out.text(chat_id, t(lang, "my_empty"))
        ctx.done("my_listed")
        return
    deps = ctx.scope.deps
    total = await ctx.scope.opinions.count_for_resident(resident.id)
    opinions = await ctx.scope.opinions.for_resident(resident.id, limit=MY_LIMIT)
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
    draft = await ctx.scope.drafts.open_for(resident.id)
    if draft is not None:
        lines.append(t(lang, "my_draft", excerpt=_excerpt(draft.text) or "📷"))
    await ctx.scope.out.text(chat_id, "\n\n".join(lines))
    ctx.done("my_listed")


async def my_data(update: Update, ctx: BotContext) -> None:
    """/mydata: everything held about the person, as a JSON file."""
    who = await ctx.who(update)
    if who is None:
        return
    chat_id, resident, lang = who
    if resident is None:
        await ctx.scope.out.text(chat_id, t(lang, "mydata_none"))
        ctx.done("mydata_none")
        return
    data = await ctx.account.export(resident)
    content = json.dumps(data, ensure_ascii=False, indent=2)
    filename = f"yushi-mydata-{resident.pseudonym}-{utcnow():%Y%m%d}.json"
    await ctx.scope.out.document(chat_id, filename, content, t(lang, "mydata_caption"))
    ctx.done("mydata_sent")


async def delete_me(update: Update, ctx: BotContext) -> None:
    """/delete_me: ask first; erasing cannot be undone."""
    who = await ctx.who(update)
    if who is None:
        return
    chat_id, resident, lang = who
    if resident is None:
        await ctx.scope.out.text(chat_id, t(lang, "nothing_to_delete"))
        ctx.done("delete_nothing")
        return
    # The resident's id in the button: a confirmation left over from an earlier account
    # (erased, then consented again) must not erase the new one.
    keyboard = [
        [
            Button(t(lang, "btn_delete_yes"), f"del:yes:{resident.id}"),
            Button(t(lang, "btn_delete_no"), "del:no"),
        ]
    ]
    await ctx.scope.out.text(chat_id, t(lang, "delete_confirm"), keyboard)
    ctx.done("delete_asked")


async def delete_pressed(update: Update, ctx: BotContext) -> None:
    """del:yes:<resident> erases identity and texts, keeping anonymous facts; del:no keeps all."""
    query = update.callback_query
    who = await ctx.who(update)
    if query is None or who is None:
        return
    chat_id, resident, lang = who
    message_id = query.message.message_id if query.message is not None else 0
    out = ctx.scope.out

    async def say(key: str, **values: object) -> None:
        if message_id:
            await out.edit(chat_id, message_id, t(lang, key, **values))
        else:
            await out.text(chat_id, t(lang, key, **values))

    if query.data == "del:no":
        await out.answer(chat_id, query.id)
        await say("delete_cancelled")
        ctx.done("delete_cancelled")
        return
    if resident is None or query.data != f"del:yes:{resident.id}":
        await out.answer(chat_id, query.id, t(lang, "stale_button"), alert=True)
        ctx.done("stale_button")
        return
    await out.answer(chat_id, query.id)
    count = await ctx.account.erase(resident)
    await say("deleted", count=count)
    ctx.done("resident_erased")


async def cancel(update: Update, ctx: BotContext) -> None:
    """/cancel: drop the draft in progress."""
    who = await ctx.who(update)
    if who is None:
        return
    chat_id, resident, lang = who
    dropped = resident is not None and await ctx.intake.cancel(resident)
    await ctx.scope.out.text(chat_id, t(lang, "cancelled" if dropped else "nothing_to_cancel"))
    ctx.done("draft_cancelled" if dropped else "nothing_to_cancel")


async def unknown_command(update: Update, ctx: BotContext) -> None:
    """A command we do not have."""
    who = await ctx.who(update)
    if who is None:
        return
    await ctx.scope.out.text(who.chat_id, t(who.lang, "unknown_command"))
    ctx.done("unknown_command")
