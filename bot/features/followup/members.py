"""The members' side of the follow-up: buttons and typed answers.

The button under a digest (or /op's card) opens a paged picker of its clusters and items;
an item or cluster gets a card of its own with the four actions; the member types the
words the residents receive (`act:<card>` in `Staff.awaiting`); a cluster asks once before
acting on all its items. Every press re-reads the presser's role, checks the card was made
for them and that they may act on each item now (the service decides; these handlers only
route and show).
"""

from __future__ import annotations

from telegram import Update

from bot.domain.departments import DEPARTMENTS
from bot.domain.digest import masked
from bot.features.digests.callbacks import FOLLOW_UP
from bot.features.digests.views import item_text, short
from bot.features.followup.callbacks import FOLLOW
from bot.features.followup.service import (
    DEPARTMENT_LIMIT,
    KINDS,
    TEXT_LIMIT,
    FollowupService,
    check_text,
)
from bot.features.followup.texts import t
from bot.features.followup.views import (
    PAGE,
    actions_keyboard,
    cluster_label,
    confirm_keyboard,
    department_part,
    departments_keyboard,
    item_label,
    page_of,
    picker,
    progress_name,
    who_answered,
)
from bot.features.staff import MemberSettings, Staffer, staff_only
from bot.telegram.context import BotContext
from bot.telegram.keyboards import Keyboard
from bot.telegram.labels import category_name, subdistrict_name
from bot.telegram.texts import Lang
from storage.records import ActionCardRecord
from storage.statuses import ActionKind

#: What stops typing the words (or a department) and drops the card.
CANCEL_WORDS = frozenset({"/cancel", "取消", "算了", "cancel"})


async def _not_yours(ctx: BotContext, staffer: Staffer, query_id: str) -> None:
    await ctx.out.answer(staffer.chat_id, query_id, t(staffer.lang, "not_yours"), alert=True)
    ctx.done("followup_refused")


async def _picker_view(
    ctx: BotContext, staffer: Staffer, card: ActionCardRecord, page: int
) -> tuple[str, Keyboard]:
    """A page of a digest's picker: its clusters first, then its items, masked; only what
    the member may still act on. The card's opinions are read in one query and only the
    page shown is labelled (a digest may hold hundreds)."""
    service = ctx.work.service(FollowupService)
    lang, prefix = staffer.lang, ctx.work.district.reference_prefix
    clusters = [[int(i) for i in ids] for ids in card.payload.get("clusters") or []]
    firsts = [ids[0] for ids in clusters if ids]
    visible = await service.visible_of(staffer.member, [*firsts, *card.opinion_ids])
    # (what, index in the card, the opinion labelled, how many it stands for)
    entries: list[tuple[str, int, int, int]] = [
        ("cl", index, ids[0], len(ids))
        for index, ids in enumerate(clusters)
        if ids and ids[0] in visible
    ]
    entries += [
        ("it", index, opinion_id, 1)
        for index, opinion_id in enumerate(card.opinion_ids)
        if opinion_id in visible
    ]
    if not entries:
        return t(lang, "nothing_done"), []
    page, pages = page_of(len(entries), page)
    shown = [
        (
            what,
            index,
            cluster_label(lang, count, visible[n].text)
            if what == "cl"
            else item_label(lang, prefix, n, visible[n].text),
        )
        for what, index, n, count in entries[page * PAGE : (page + 1) * PAGE]
    ]
    return picker(card.id, lang, shown, page, pages)


async def _item_view(
    ctx: BotContext, staffer: Staffer, card: ActionCardRecord
) -> tuple[str, Keyboard]:
    """An item (or a cluster's items) with the four actions."""
    service = ctx.work.service(FollowupService)
    lang = staffer.lang
    visible = await service.visible_of(staffer.member, card.opinion_ids)
    shown = [i for i in card.opinion_ids if i in visible]
    first = await service.visible_to(staffer.member, shown[0]) if shown else None
    if first is None:
        return t(lang, "not_visible"), []
    back = "from" in card.payload
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
            count=len(shown),
            refs=", ".join(service.ref(i) for i in shown[:8]) + ("…" if len(shown) > 8 else ""),
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
        if not await service.visible_of(member, card.opinion_ids):
            note = t(lang, "not_visible")
        elif KINDS[arg] is ActionKind.FORWARDED:
            await service.update_card(card, action=arg)
            text, keyboard = t(lang, "pick_department"), departments_keyboard(card.id, lang)
        else:
            card = await service.update_card(card, action=arg, step="text")
            await work.service(MemberSettings).wait_for(member, f"act:{card.id}")
            text = await _ask_text(ctx, staffer, card)
    elif kind == "item" and action == "dp" and card.payload.get("action") == "fw":
        if arg == "t":
            await service.update_card(card, step="department")
            await work.service(MemberSettings).wait_for(member, f"act:{card.id}")
            text = t(lang, "type_department", limit=DEPARTMENT_LIMIT)
        elif arg.isdigit() and int(arg) < len(DEPARTMENTS):
            card = await service.update_card(card, department=DEPARTMENTS[int(arg)][0], step="text")
            await work.service(MemberSettings).wait_for(member, f"act:{card.id}")
            text = await _ask_text(ctx, staffer, card)
        else:
            await _not_yours(ctx, staffer, query.id)
            return
    elif kind == "item" and action == "ok" and card.payload.get("step") == "confirm":
        text = await _apply(ctx, staffer, card)
    elif kind == "item" and action == "no":
        await service.use_card(card)
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


async def _ask_text(ctx: BotContext, staffer: Staffer, card: ActionCardRecord) -> str:
    """Ask for the words the residents receive, saying how they will be signed."""
    service = ctx.work.service(FollowupService)
    lang = staffer.lang
    kind = KINDS[str(card.payload["action"])]
    first = await service.visible_to(staffer.member, card.opinion_ids[0])
    refs = ", ".join(service.ref(i) for i in card.opinion_ids[:4])
    if len(card.opinion_ids) > 4:
        refs += "…"
    return t(
        lang,
        "type_text",
        action=t(lang, f"action_{kind.value}"),
        refs=refs,
        department=department_part(lang, card.payload.get("department")),
        who=who_answered(ctx.work.district, first.subdistrict if first else None, lang),
    )


async def _apply(ctx: BotContext, staffer: Staffer, card: ActionCardRecord) -> str:
    """Act on the card's items, once (the card is used up first: a second press, or the
    same words sent twice, change nothing)."""
    service = ctx.work.service(FollowupService)
    lang = staffer.lang
    if not await service.use_card(card):
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
    service = ctx.work.service(FollowupService)
    settings = ctx.work.service(MemberSettings)
    lang, member = staffer.lang, staffer.member
    raw_id = awaited.partition(":")[2]
    card = await service.card_of(member, int(raw_id)) if raw_id.isdigit() else None
    if card is None or card.done_at is not None or card.payload.get("kind") != "item":
        await settings.wait_for(member, None)
        await ctx.say(staffer.chat_id, t(lang, "card_used"), "followup_card_used")
        return
    if text.strip().casefold() in CANCEL_WORDS:
        await settings.wait_for(member, None)
        await service.use_card(card)
        await ctx.say(staffer.chat_id, t(lang, "cancelled"), "followup_cancelled")
        return
    if card.payload.get("step") == "department":
        name = check_text(text, DEPARTMENT_LIMIT)
        if not isinstance(name, str):
            bad = t(lang, "department_bad", limit=DEPARTMENT_LIMIT)
            await ctx.say(staffer.chat_id, bad, "followup_department_bad")
            return
        card = await service.update_card(card, department=name, step="text")
        prompt = await _ask_text(ctx, staffer, card)
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
    card = await service.update_card(card, text=words, step="confirm")
    if len(card.opinion_ids) > 1:
        kind = KINDS[str(card.payload["action"])]
        question = t(
            lang,
            "confirm_cluster",
            count=len(card.opinion_ids),
            action=t(lang, f"action_{kind.value}"),
            department=department_part(lang, card.payload.get("department")),
            text=words,
        )
        await ctx.say(
            staffer.chat_id, question, "followup_confirm", confirm_keyboard(card.id, lang)
        )
        return
    await ctx.say(staffer.chat_id, await _apply(ctx, staffer, card), "followup_done")
