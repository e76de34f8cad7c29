"""Admins moderate from a phone: /queue (one card at a time, one tap per decision, the next
card at once), the same decisions as commands, bans, and /audit."""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot.domain import reference_number
from bot.domain.categories import CATEGORIES, category_by_key
from bot.features.moderation.callbacks import QUEUE
from bot.features.moderation.service import (
    REJECT_REASONS,
    AlreadyDone,
    Done,
    Invalid,
    ModerationService,
    NotFound,
    Result,
    parse_refs,
    reason_text,
)
from bot.features.moderation.texts import t
from bot.features.moderation.views import (
    PAGE,
    bulk_keyboard,
    card_keyboard,
    card_text,
    categories_keyboard,
    reasons_keyboard,
    refs,
    status_name,
    subdistricts_keyboard,
)
from bot.features.staff import MemberSettings, Staffer, staff_only
from bot.features.staff.service import parse_subdistricts
from bot.telegram.context import BotContext
from bot.telegram.keyboards import Keyboard
from bot.telegram.labels import category_name, subdistrict_name
from bot.telegram.work import Work
from storage.repositories import ModerationRepository, ResidentRepository
from storage.statuses import Role


def ref_of(work: Work, n: int) -> str:
    return reference_number(work.district.reference_prefix, n)


def local_time(work: Work, moment: datetime) -> str:
    return moment.astimezone(work.settings.tz).strftime("%m-%d %H:%M")


async def _card(
    ctx: BotContext, staffer: Staffer, after_id: int = 0
) -> tuple[str, Keyboard | None]:
    """The next item waiting for review (after `after_id`), as a card with its buttons."""
    work = ctx.work
    total, page = await work.service(ModerationService).queue(PAGE, after_id)
    if not page:
        if after_id:  # skipped to the end: start again from the oldest
            total, page = await work.service(ModerationService).queue(PAGE, 0)
        if not page:
            return t(staffer.lang, "queue_empty"), None
    opinion = page[0]
    card = await work.repo(ModerationRepository).add_card(
        staffer.member.telegram_id, opinion.id, work.now(), page=[o.id for o in page]
    )
    pseudonym = await work.repo(ResidentRepository).pseudonym_of(opinion.resident_id)
    text = card_text(
        opinion,
        district=work.district,
        prefix=work.district.reference_prefix,
        lang=staffer.lang,
        position=1,
        total=total,
        pseudonym=pseudonym,
        created=local_time(work, opinion.created_at),
    )
    return text, card_keyboard(card, staffer.lang, len(page))


async def queue(update: Update, ctx: BotContext) -> None:
    staffer = await staff_only(update, ctx, Role.ADMIN)
    if staffer is None:
        return
    text, keyboard = await _card(ctx, staffer)
    await ctx.say(staffer.chat_id, text, "queue_shown", keyboard)


def _outcome_line(work: Work, staffer: Staffer, result: Result, n: int, **values: object) -> str:
    lang = staffer.lang
    ref = ref_of(work, n)
    match result:
        case NotFound():
            return t(lang, "not_found", ref=ref)
        case Invalid():
            return t(lang, "merge_invalid")
        case AlreadyDone(opinion=op):
            who = (
                t(lang, "by_admin", admin=op.moderated_by)
                if op.moderated_by
                else t(lang, "by_rules")
            )
            when = local_time(work, op.moderated_at) if op.moderated_at else "—"
            return t(
                lang, "already", ref=ref, status=status_name(op.status, lang), who=who, when=when
            )
        case Done(action=action, opinion=op):
            if action == "retag":
                return t(
                    lang,
                    "done_retag",
                    ref=ref,
                    where=subdistrict_name(work.district, op.subdistrict, lang),
                    category=category_name(op.category, lang),
                )
            return t(lang, f"done_{action}", ref=ref, **values)


async def queue_pressed(update: Update, ctx: BotContext) -> None:
    """Every moderation button: the card is looked up, the presser must be an admin now and
    the admin the card was shown to; a decision edits the card into the next one."""
    staffer = await staff_only(update, ctx, Role.ADMIN)
    if staffer is None:
        return
    query = update.callback_query
    assert query is not None
    work = ctx.work
    fields = QUEUE.parse(query.data)
    card = await work.repo(ModerationRepository).card(fields.id("card")) if fields else None
    if (
        fields is None
        or card is None
        or card.admin_id != staffer.member.telegram_id
        or card.opinion_id is None
    ):
        await stale(ctx, staffer, query.id)
        return
    action, arg = fields.word("action"), fields.word("arg")
    service = work.service(ModerationService)
    n = card.opinion_id
    lang = staffer.lang
    message_id = query.message.message_id if query.message is not None else 0
    note: str | None = None
    text: str | None = None
    keyboard: Keyboard | None = None
    if action == "ok":
        note = _outcome_line(
            work, staffer, await service.decide(staffer.member.telegram_id, n, "approve"), n
        )
    elif action in ("rj", "hd") and arg == "pick":
        key = "pick_reason" if action == "rj" else "pick_hide_reason"
        text, keyboard = (
            t(lang, key, ref=ref_of(work, n)),
            reasons_keyboard(card.id, lang, "rr" if action == "rj" else "hr"),
        )
    elif action == "rr" and arg == "typed":
        await work.service(MemberSettings).wait_for(staffer.member, f"reject:{n}")
        text, keyboard = t(lang, "type_reason", ref=ref_of(work, n)), None
    elif action in ("rr", "hr") and arg in REJECT_REASONS:
        decision = "reject" if action == "rr" else "hide"
        result = await service.decide(staffer.member.telegram_id, n, decision, reason=arg)
        note = _outcome_line(work, staffer, result, n, reason=reason_text(arg, lang))
    elif action == "sd" and arg == "pick":
        text, keyboard = (
            t(lang, "pick_subdistrict", ref=ref_of(work, n)),
            subdistricts_keyboard(card.id, work.district, lang),
        )
    elif action == "sd" and (sub := work.district.by_index(arg)) is not None:
        result = await service.retag(staffer.member.telegram_id, n, subdistrict=sub.code)
        note = _outcome_line(work, staffer, result, n)
    elif action == "cat" and arg == "pick":
        text, keyboard = (
            t(lang, "pick_category", ref=ref_of(work, n)),
            categories_keyboard(card.id, lang),
        )
    elif action == "cat" and (category := category_by_key(arg)) is not None:
        result = await service.retag(staffer.member.telegram_id, n, category=category.key)
        note = _outcome_line(work, staffer, result, n)
    elif action == "dup":
        await work.service(MemberSettings).wait_for(staffer.member, f"merge:{n}")
        text, keyboard = t(lang, "type_merge", ref=ref_of(work, n)), None
    elif action == "orig":
        opinion = await service.original(staffer.member.telegram_id, n)
        await ctx.out.answer(staffer.chat_id, query.id)
        if opinion is not None:
            await ctx.out.text(staffer.chat_id, t(lang, "card_original", text=opinion.text or "—"))
        ctx.done("original_shown")
        return
    elif action == "next":
        text, keyboard = await _card(ctx, staffer, after_id=n)
    elif action == "bulk":
        text = t(
            lang,
            "bulk_confirm",
            count=len(card.page),
            refs=refs(card.page, work.district.reference_prefix),
        )
        keyboard = bulk_keyboard(card.id, lang, len(card.page))
    elif action == "bulkok":
        done = skipped = 0
        for item in card.page:
            result = await service.decide(staffer.member.telegram_id, item, "approve")
            done += isinstance(result, Done)
            skipped += not isinstance(result, Done)
        extra = t(lang, "bulk_skipped", count=skipped) if skipped else ""
        note = t(lang, "bulk_done", done=done, skipped=extra)
    elif action == "back":
        pass
    else:
        await stale(ctx, staffer, query.id)
        return
    if note is not None or action == "back":
        # A decision: the next card at once, the outcome on top of it. After a retag, or
        # back from a sub-menu, the same item again; after a decision, the one after it
        # (so a skipped item waits until the end of the queue comes round).
        again = action in ("sd", "cat", "back")
        text, keyboard = await _card(ctx, staffer, after_id=n - 1 if again else n)
        if note:
            text = f"{note}\n\n{text}"
    await ctx.out.answer(staffer.chat_id, query.id)
    if message_id and text is not None:
        await ctx.out.edit(staffer.chat_id, message_id, text, keyboard)
    elif text is not None:
        await ctx.out.text(staffer.chat_id, text, keyboard)
    ctx.done(f"queue_{action}")


async def stale(ctx: BotContext, staffer: Staffer, query_id: str) -> None:
    await ctx.out.answer(staffer.chat_id, query_id, t(staffer.lang, "stale_button"), alert=True)
    ctx.done("stale_button")


# --- the same decisions as commands -------------------------------------------------------


async def _refs_command(
    update: Update, ctx: BotContext, command: str
) -> tuple[Staffer, list[int], list[str]] | None:
    staffer = await staff_only(update, ctx, Role.ADMIN)
    if staffer is None:
        return None
    args = list(ctx.args or [])
    prefix = ctx.work.district.reference_prefix
    numbers = parse_refs(args[:1], prefix) if args else None
    if not numbers:
        await ctx.say(staffer.chat_id, t(staffer.lang, "usage_refs", command=command), "usage")
        return None
    return staffer, numbers, args[1:]


async def approve(update: Update, ctx: BotContext) -> None:
    """/approve YZ-000123 [YZ-000124 …]"""
    staffer = await staff_only(update, ctx, Role.ADMIN)
    if staffer is None:
        return
    numbers = parse_refs(ctx.args or [], ctx.work.district.reference_prefix)
    if not numbers:
        await ctx.say(staffer.chat_id, t(staffer.lang, "usage_refs", command="approve"), "usage")
        return
    service = ctx.work.service(ModerationService)
    lines = []
    for n in numbers[:50]:
        result = await service.decide(staffer.member.telegram_id, n, "approve")
        lines.append(_outcome_line(ctx.work, staffer, result, n))
    await ctx.say(staffer.chat_id, "\n".join(lines), "approved")


async def _decide_command(update: Update, ctx: BotContext, action: str) -> None:
    parsed = await _refs_command(update, ctx, action)
    if parsed is None:
        return
    staffer, numbers, rest = parsed
    reason = " ".join(rest).strip() or None
    if reason is not None:
        reason = _listed_reason(reason) or reason[:500]
    service = ctx.work.service(ModerationService)
    result = await service.decide(staffer.member.telegram_id, numbers[0], action, reason=reason)
    line = _outcome_line(
        ctx.work, staffer, result, numbers[0], reason=reason_text(reason, staffer.lang)
    )
    await ctx.say(staffer.chat_id, line, f"{action}_command")


def _listed_reason(text: str) -> str | None:
    """A typed reason that names a listed one ("duplicate", "广告") is stored as its code,
    so the author reads it in their own language."""
    folded = text.strip().casefold()
    for code in REJECT_REASONS:
        if folded in (code, reason_text(code, "zh").casefold(), reason_text(code, "en").casefold()):
            return code
    return None


async def reject(update: Update, ctx: BotContext) -> None:
    await _decide_command(update, ctx, "reject")


async def hide(update: Update, ctx: BotContext) -> None:
    await _decide_command(update, ctx, "hide")


async def unhide(update: Update, ctx: BotContext) -> None:
    await _decide_command(update, ctx, "unhide")


async def merge(update: Update, ctx: BotContext) -> None:
    """/merge YZ-000124 YZ-000123: the first into the second."""
    staffer = await staff_only(update, ctx, Role.ADMIN)
    if staffer is None:
        return
    numbers = parse_refs(ctx.args or [], ctx.work.district.reference_prefix)
    if not numbers or len(numbers) != 2:
        await ctx.say(staffer.chat_id, t(staffer.lang, "usage_merge"), "usage")
        return
    await _merge(ctx, staffer, numbers[0], numbers[1])


async def _merge(ctx: BotContext, staffer: Staffer, n: int, into: int) -> None:
    result = await ctx.work.service(ModerationService).decide(
        staffer.member.telegram_id, n, "merge", into=into
    )
    line = _outcome_line(ctx.work, staffer, result, n, into=ref_of(ctx.work, into))
    await ctx.say(staffer.chat_id, line, "merge_command")


async def retag(update: Update, ctx: BotContext) -> None:
    """/retag YZ-000123 解放碑 | 消防 | fire_safety"""
    staffer = await staff_only(update, ctx, Role.ADMIN)
    if staffer is None:
        return
    args = list(ctx.args or [])
    numbers = parse_refs(args[:1], ctx.work.district.reference_prefix) if args else None
    if not numbers or len(args) != 2:
        await ctx.say(staffer.chat_id, t(staffer.lang, "usage_retag"), "usage")
        return
    word = args[1]
    category = category_by_key(word) or next(
        (c for c in CATEGORIES if word in (c.zh, c.en) or word in c.zh.split("/")), None
    )
    codes, unknown = parse_subdistricts(ctx.work.district, [word])
    service = ctx.work.service(ModerationService)
    if codes and not unknown and codes[0] != "*":
        result = await service.retag(staffer.member.telegram_id, numbers[0], subdistrict=codes[0])
    elif category is not None:
        result = await service.retag(staffer.member.telegram_id, numbers[0], category=category.key)
    else:
        await ctx.say(staffer.chat_id, t(staffer.lang, "usage_retag"), "usage")
        return
    await ctx.say(
        staffer.chat_id, _outcome_line(ctx.work, staffer, result, numbers[0]), "retag_command"
    )


async def typed_for_moderation(ctx: BotContext, staffer: Staffer, awaited: str, text: str) -> None:
    """A reason typed for a rejection, or the reference a duplicate belongs to."""
    kind, _, raw_id = awaited.partition(":")
    await ctx.work.service(MemberSettings).wait_for(staffer.member, None)
    if not raw_id.isdigit() or staffer.member.role != Role.ADMIN:
        return
    n = int(raw_id)
    if text.strip().casefold() in ("/cancel", "取消", "cancel"):
        await ctx.say(staffer.chat_id, t(staffer.lang, "typed_cancelled"), "typed_cancelled")
        return
    if kind == "merge":
        into = parse_refs([text.strip()], ctx.work.district.reference_prefix)
        if not into or len(into) != 1:
            await ctx.say(staffer.chat_id, t(staffer.lang, "usage_merge"), "usage")
            return
        await _merge(ctx, staffer, n, into[0])
        return
    reason = _listed_reason(text) or text.strip()[:500]
    result = await ctx.work.service(ModerationService).decide(
        staffer.member.telegram_id, n, "reject", reason=reason
    )
    line = _outcome_line(ctx.work, staffer, result, n, reason=reason_text(reason, staffer.lang))
    card, keyboard = await _card(ctx, staffer)
    await ctx.say(staffer.chat_id, f"{line}\n\n{card}", "reject_typed", keyboard)
