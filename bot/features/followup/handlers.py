"""Buttons and typed answers of the follow-up.

Members: the button under a digest (or /op's card) opens a paged picker of its clusters and
items; an item or cluster gets a card of its own with the four actions; the member types the
words the residents receive (`act:<card>` in `Staff.awaiting`); a cluster asks once before
acting on all its items. Every press re-reads the presser's role, checks the card was made
for them and that they may act on each item now.

Residents: the stars and the reopen button under "resolved" (the author only); reopening
waits for the reason, typed.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.domain import reference_number
from bot.domain.departments import DEPARTMENTS, department_name
from bot.domain.digest import masked
from bot.features.digests.callbacks import FOLLOW_UP
from bot.features.digests.views import item_text, short
from bot.features.followup.callbacks import FOLLOW, RATE, REOPEN
from bot.features.followup.service import (
    DEPARTMENT_LIMIT,
    KINDS,
    TEXT_LIMIT,
    FollowupService,
    check_text,
)
from bot.features.followup.texts import t
from bot.features.followup.views import (
    actions_keyboard,
    cluster_label,
    confirm_keyboard,
    departments_keyboard,
    item_label,
    picker,
    progress_name,
    stars,
    who_answered,
)
from bot.features.staff import MemberSettings, Staffer, staff_only
from bot.telegram.context import BotContext
from bot.telegram.keyboards import Keyboard
from bot.telegram.labels import category_name, subdistrict_name
from bot.telegram.texts import Lang, as_lang
from storage.records import ActionCardRecord
from storage.statuses import ActionKind

_CANCEL_WORDS = frozenset({"/cancel", "取消", "cancel"})


# --- members -------------------------------------------------------------------------------


async def _not_yours(ctx: BotContext, staffer: Staffer, query_id: str) -> None:
    await ctx.out.answer(staffer.chat_id, query_id, t(staffer.lang, "not_yours"), alert=True)
    ctx.done("followup_refused")


async def _picker_view(
    ctx: BotContext, staffer: Staffer, card: ActionCardRecord, page: int
) -> tuple[str, Keyboard]:
    """A page of a digest's picker: its clusters first, then its items, masked; only what
    the member may still act on."""
    service = ctx.work.service(FollowupService)
    lang, prefix = staffer.lang, ctx.work.district.reference_prefix
    entries: list[tuple[str, int, str]] = []
    for index, ids in enumerate(card.payload.get("clusters") or []):
        first = await service.visible_to(staffer.member, int(ids[0])) if ids else None
        if first is not None:
            entries.append(("cl", index, cluster_label(lang, len(ids), first.text)))
    for index, opinion_id in enumerate(card.opinion_ids):
        opinion = await service.visible_to(staffer.member, opinion_id)
        if opinion is not None:
            entries.append(("it", index, item_label(lang, prefix, opinion_id, opinion.text)))
    if not entries:
        return t(lang, "nothing_done"), []
    return picker(card.id, lang, entries, page)


async def _item_view(
    ctx: BotContext, staffer: Staffer, card: ActionCardRecord
) -> tuple[str, Keyboard]:
    """An item (or a cluster's items) with the four actions."""
    service = ctx.work.service(FollowupService)
    lang = staffer.lang
    visible = [o for i in card.opinion_ids if (o := await service.visible_to(staffer.member, i))]
    if not visible:
        return t(lang, "not_visible"), []
    back = "from" in card.payload
    first = visible[0]
    if len(card.opinion_ids) == 1:
        text = t(
            lang,
            "item_card",
            ref=service.ref(first.id),
            where=_where(ctx, first.subdistrict, lang),
            category=category_name(first.category, lang),
            text=short(masked(item_text(first.text, lang)), 300),
            progress=progress_name(first.progress, lang),
        )
    else:
        text = t(
            lang,
            "cluster_card",
            count=len(visible),
            refs=", ".join(service.ref(o.id) for o in visible[:8])
            + ("…" if len(visible) > 8 else ""),
            text=short(masked(item_text(first.text, lang)), 200),
        )
    return text, actions_keyboard(card.id, lang, back=back)


def _where(ctx: BotContext, code: str | None, lang: Lang) -> str:
    return subdistrict_name(ctx.work.district, code, lang)


async def open_pressed(update: Update, ctx: BotContext) -> None:
    """The button under a digest or /op: the picker (or the one item) as a new message."""
    staffer = await staff_only(update, ctx)
    if staffer is None:
        return
    query = update.callback_query
    assert query is not None
    fields = FOLLOW_UP.parse(query.data)
    service = ctx.work.service(FollowupService)
    card = await service.card_of(staffer.member, fields.id("card")) if fields else None
    if card is None:
        await _not_yours(ctx, staffer, query.id)
        return
    if card.payload.get("kind") == "item":
        text, keyboard = await _item_view(ctx, staffer, card)
    else:
        text, keyboard = await _picker_view(ctx, staffer, card, 0)
    await ctx.out.answer(staffer.chat_id, query.id)
    await ctx.out.text(staffer.chat_id, text, keyboard or None)
    ctx.done("followup_opened")


async def follow_pressed(update: Update, ctx: BotContext) -> None:
    """Every button of the picker and of an item's card."""
    staffer = await staff_only(update, ctx)
    if staffer is None:
        return
    query = update.callback_query
    assert query is not None
    fields = FOLLOW.parse(query.data)
    work = ctx.work
    service = work.service(FollowupService)
    card = await service.card_of(staffer.member, fields.id("card")) if fields else None
    if fields is None or card is None:
        await _not_yours(ctx, staffer, query.id)
        return
    action, arg = fields.word("action"), fields.word("arg")
    lang, member = staffer.lang, staffer.member
    kind = card.payload.get("kind")
    text: str | None = None
    keyboard: Keyboard | None = None
    note: str | None = None
    if card.done_at is not None and action in ("k", "dp", "ok", "no"):
        note = t(lang, "card_used")
    elif kind == "digest" and action == "pg" and arg.isdigit():
        text, keyboard = await _picker_view(ctx, staffer, card, int(arg))
    elif kind == "digest" and action in ("it", "cl") and arg.isdigit():
        index = int(arg)
        clusters = card.payload.get("clusters") or []
        if action == "it" and index < len(card.opinion_ids):
            ids = [card.opinion_ids[index]]
        elif action == "cl" and index < len(clusters):
            ids = [int(i) for i in clusters[index]]
        else:
            await _not_yours(ctx, staffer, query.id)
            return
        item = await service.new_card(member, ids, {"kind": "item", "from": card.id})
        text, keyboard = await _item_view(ctx, staffer, item)
    elif kind == "item" and action == "bk":
        parent_id = card.payload.get("from")
        parent = await service.card_of(member, parent_id) if isinstance(parent_id, int) else None
        if parent is not None:
            text, keyboard = await _picker_view(ctx, staffer, parent, 0)
        else:
            text, keyboard = await _item_view(ctx, staffer, card)
    elif kind == "item" and action == "k" and arg in KINDS:
        if not await _still_visible(ctx, staffer, card):
            note = t(lang, "not_visible")
        elif KINDS[arg] is ActionKind.FORWARDED:
            await service.repo.set_payload(card.id, {**card.payload, "action": arg})
            text, keyboard = t(lang, "pick_department"), departments_keyboard(card.id, lang)
        else:
            payload = {**card.payload, "action": arg, "step": "text"}
            await service.repo.set_payload(card.id, payload)
            await work.service(MemberSettings).wait_for(member, f"act:{card.id}")
            text = await _ask_text(ctx, staffer, card, payload)
    elif kind == "item" and action == "dp" and card.payload.get("action") == "fw":
        if arg == "t":
            await service.repo.set_payload(card.id, {**card.payload, "step": "department"})
            await work.service(MemberSettings).wait_for(member, f"act:{card.id}")
            text = t(lang, "type_department", limit=DEPARTMENT_LIMIT)
        elif arg.isdigit() and int(arg) < len(DEPARTMENTS):
            payload = {**card.payload, "department": DEPARTMENTS[int(arg)][0], "step": "text"}
            await service.repo.set_payload(card.id, payload)
            await work.service(MemberSettings).wait_for(member, f"act:{card.id}")
            text = await _ask_text(ctx, staffer, card, payload)
        else:
            await _not_yours(ctx, staffer, query.id)
            return
    elif kind == "item" and action == "ok" and card.payload.get("step") == "confirm":
        text = await _apply(ctx, staffer, card)
    elif kind == "item" and action == "no":
        await service.repo.finish_card(card.id, work.now())
        if staffer.member.awaiting == f"act:{card.id}":
            await work.service(MemberSettings).wait_for(member, None)
        text = t(lang, "cancelled")
    else:
        await _not_yours(ctx, staffer, query.id)
        return
    await ctx.out.answer(staffer.chat_id, query.id, note)
    message_id = query.message.message_id if query.message is not None else 0
    if text is not None and message_id:
        await ctx.out.edit(staffer.chat_id, message_id, text, keyboard or None)
    elif text is not None:
        await ctx.out.text(staffer.chat_id, text, keyboard or None)
    ctx.done(f"followup_{action}")


async def _still_visible(ctx: BotContext, staffer: Staffer, card: ActionCardRecord) -> bool:
    service = ctx.work.service(FollowupService)
    for opinion_id in card.opinion_ids:
        if await service.visible_to(staffer.member, opinion_id) is not None:
            return True
    return False


async def _ask_text(
    ctx: BotContext, staffer: Staffer, card: ActionCardRecord, payload: dict[str, object]
) -> str:
    service = ctx.work.service(FollowupService)
    lang = staffer.lang
    kind = KINDS[str(payload["action"])]
    first = await service.visible_to(staffer.member, card.opinion_ids[0])
    department = payload.get("department")
    refs = ", ".join(service.ref(i) for i in card.opinion_ids[:4])
    if len(card.opinion_ids) > 4:
        refs += "…"
    return t(
        lang,
        "type_text",
        action=t(lang, f"action_{kind.value}"),
        refs=refs,
        department=_department_part(lang, department),
        who=who_answered(ctx.work.district, first.subdistrict if first else None, lang),
    )


def _department_part(lang: Lang, department: object) -> str:
    if not department:
        return ""
    return t(lang, "department_part", department=department_name(str(department), lang))


async def _apply(ctx: BotContext, staffer: Staffer, card: ActionCardRecord) -> str:
    """Act on the card's items, once (the card is used up first: a second press, or the
    same words sent twice, change nothing)."""
    work = ctx.work
    service = work.service(FollowupService)
    lang = staffer.lang
    if not await service.repo.finish_card(card.id, work.now()):
        return t(lang, "card_used")
    kind = KINDS[str(card.payload["action"])]
    department = card.payload.get("department")
    acted = await service.act(
        staffer.member,
        card.opinion_ids,
        kind,
        str(card.payload.get("text") or ""),
        str(department) if department else None,
    )
    action = t(lang, f"action_{kind.value}")
    if not acted.done:
        return t(lang, "nothing_done")
    if len(card.opinion_ids) == 1:
        return t(lang, "done_one", ref=service.ref(acted.done[0]), action=action)
    skipped = t(lang, "skipped_some", count=len(acted.skipped)) if acted.skipped else ""
    return t(lang, "done_many", done=len(acted.done), action=action, skipped=skipped)


async def typed_for_followup(ctx: BotContext, staffer: Staffer, awaited: str, text: str) -> None:
    """A department's name, or the words for the residents, typed after a button."""
    work = ctx.work
    service = work.service(FollowupService)
    settings = work.service(MemberSettings)
    lang, member = staffer.lang, staffer.member
    raw_id = awaited.partition(":")[2]
    card = await service.card_of(member, int(raw_id)) if raw_id.isdigit() else None
    if card is None or card.done_at is not None or card.payload.get("kind") != "item":
        await settings.wait_for(member, None)
        await ctx.say(staffer.chat_id, t(lang, "card_used"), "followup_card_used")
        return
    if text.strip().casefold() in _CANCEL_WORDS:
        await settings.wait_for(member, None)
        await service.repo.finish_card(card.id, work.now())
        await ctx.say(staffer.chat_id, t(lang, "cancelled"), "followup_cancelled")
        return
    if card.payload.get("step") == "department":
        name = check_text(text, DEPARTMENT_LIMIT)
        if not isinstance(name, str):
            bad = t(lang, "department_bad", limit=DEPARTMENT_LIMIT)
            await ctx.say(staffer.chat_id, bad, "followup_department_bad")
            return
        payload = {**card.payload, "department": name, "step": "text"}
        await service.repo.set_payload(card.id, payload)
        prompt = await _ask_text(ctx, staffer, card, payload)
        await ctx.say(staffer.chat_id, prompt, "followup_department_typed")
        return
    words = check_text(text, TEXT_LIMIT)
    if words is None:
        await ctx.say(staffer.chat_id, t(lang, "text_empty"), "followup_text_empty")
        return
    if isinstance(words, int):
        too_long = t(lang, "text_too_long", length=words, limit=TEXT_LIMIT)
        await ctx.say(staffer.chat_id, too_long, "followup_text_too_long")
        return
    await settings.wait_for(member, None)
    payload = {**card.payload, "text": words, "step": "confirm"}
    await service.repo.set_payload(card.id, payload)
    card = ActionCardRecord(
        card.id, card.member_id, card.opinion_ids, payload, card.created_at, card.done_at
    )
    if len(card.opinion_ids) > 1:
        kind = KINDS[str(payload["action"])]
        department = payload.get("department")
        question = t(
            lang,
            "confirm_cluster",
            count=len(card.opinion_ids),
            action=t(lang, f"action_{kind.value}"),
            department=_department_part(lang, department),
            text=words,
        )
        await ctx.say(
            staffer.chat_id, question, "followup_confirm", confirm_keyboard(card.id, lang)
        )
        return
    await ctx.say(staffer.chat_id, await _apply(ctx, staffer, card), "followup_done")


# --- residents -----------------------------------------------------------------------------


async def rate_pressed(update: Update, ctx: BotContext) -> None:
    """A star under "resolved" (or under the reminder): the author's rating, the latest
    counting."""
    pressed = await ctx.press(update, RATE)
    if pressed is None:
        return
    query, chat_id, fields = pressed
    resident = await ctx.resident(update)
    if resident is None:
        await ctx.stale_press(update)
        return
    lang = as_lang(resident.lang)
    n = int(fields.word("stars"))
    outcome, ref = await ctx.work.service(FollowupService).rate(resident, fields.id("op"), n)
    if outcome == "not_yours":
        await ctx.out.answer(chat_id, query.id, t(lang, "not_your_opinion"), alert=True)
        ctx.done("followup_refused")
        return
    if outcome == "not_resolved":
        await ctx.out.answer(chat_id, query.id)
        await ctx.say(chat_id, t(lang, "rate_not_now", ref=ref), "followup_rate_not_now")
        return
    key = "rated_again" if outcome == "changed" else "rated"
    await ctx.out.answer(chat_id, query.id, stars(n))
    await ctx.say(chat_id, t(lang, key, ref=ref, stars=stars(n)), f"followup_{outcome}")


async def reopen_pressed(update: Update, ctx: BotContext) -> None:
    """重新打开: within REOPEN_DAYS, ask for the reason; after, a friendly refusal with the
    office's phone."""
    pressed = await ctx.press(update, REOPEN)
    if pressed is None:
        return
    query, chat_id, fields = pressed
    resident = await ctx.resident(update)
    if resident is None:
        await ctx.stale_press(update)
        return
    lang = as_lang(resident.lang)
    work = ctx.work
    outcome, ref = await work.service(FollowupService).ask_reopen(resident, fields.id("op"))
    if outcome == "not_yours":
        await ctx.out.answer(chat_id, query.id, t(lang, "not_your_opinion"), alert=True)
        ctx.done("followup_refused")
        return
    await ctx.out.answer(chat_id, query.id)
    if outcome == "asked":
        text = t(lang, "reopen_ask", ref=ref)
    elif outcome == "window_over":
        text = t(
            lang,
            "reopen_window_over",
            ref=ref,
            days=work.settings.reopen_days,
            phone=work.settings.office_phone,
        )
    else:
        text = t(lang, "reopen_not_resolved", ref=ref)
    await ctx.say(chat_id, text, f"followup_reopen_{outcome}")


async def reason_typed(update: Update, ctx: BotContext) -> None:
    """The resident's words after 重新打开 are the reason (not a new opinion). Anyone else's
    words go on untouched."""
    message = update.effective_message
    resident = await ctx.resident(update)
    if message is None or message.text is None or resident is None or resident.ban == "hard":
        return
    service = ctx.work.service(FollowupService)
    card = await service.waiting_reason(resident)
    if card is None:
        return
    lang = as_lang(resident.lang)
    chat_id = message.chat_id
    reason = check_text(message.text, TEXT_LIMIT)
    if reason is None:
        await ctx.say(chat_id, t(lang, "reason_empty"), "followup_reason_empty")
    elif isinstance(reason, int):
        too_long = t(lang, "reason_too_long", length=reason, limit=TEXT_LIMIT)
        await ctx.say(chat_id, too_long, "followup_reason_too_long")
    else:
        outcome, ref = await service.reopen(resident, card, reason)
        settings = ctx.work.settings
        if outcome == "reopened":
            text = t(lang, "reopened", ref=ref)
        elif outcome == "window_over":
            text = t(
                lang,
                "reopen_window_over",
                ref=ref,
                days=settings.reopen_days,
                phone=settings.office_phone,
            )
        else:
            text = t(lang, "reopen_not_resolved", ref=ref)
        await ctx.say(chat_id, text, f"followup_{outcome}")
    raise ApplicationHandlerStop


async def cancel_reason(update: Update, ctx: BotContext) -> None:
    """/cancel while a reopen waits for its reason: it stays closed. Otherwise /cancel goes
    on to the other features."""
    resident = await ctx.resident(update)
    chat_id = ctx.chat_id(update)
    if resident is None or chat_id is None or resident.ban == "hard":
        return
    service = ctx.work.service(FollowupService)
    card = await service.waiting_reason(resident)
    if card is None:
        return
    await service.cancel_reopen(resident)
    ref = reference_number(ctx.work.district.reference_prefix, card.opinion_ids[0])
    await ctx.say(chat_id, t(as_lang(resident.lang), "reopen_cancelled", ref=ref), "reopen_cancel")
    raise ApplicationHandlerStop
