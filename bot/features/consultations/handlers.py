"""Admins open, close and conclude consultations (/consult, /consult_close, /outcome,
/consultations); residents answer invitations and choose whether to get them
(/invitations). Every button re-checks who pressed it against the database."""

from __future__ import annotations

from telegram import Message, Update

from bot.domain.consultation import DEADLINE_DAYS, deadline_after, parse_deadline
from bot.features.consent import require_consent
from bot.features.consultations import callbacks as cb
from bot.features.consultations.service import (
    DEADLINE,
    DESCRIPTION,
    PREVIEW,
    SUBDISTRICTS,
    TITLE,
    ConsultationService,
    parse_awaiting,
)
from bot.features.consultations.texts import t
from bot.features.consultations.views import card, listing, outcome_picker, step_view
from bot.features.intake.handlers import show
from bot.features.intake.service import IntakeService
from bot.features.intake.views import opt_in_keyboard
from bot.features.staff import Staffer, staff_only
from bot.features.staff.service import parse_subdistricts
from bot.telegram.context import BotContext
from bot.telegram.texts import Html, Lang
from storage.records import ConsultationRecord
from storage.statuses import ConsultationStatus, Role

_CANCEL_WORDS = frozenset({"/cancel", "取消", "cancel", "算了"})


def _service(ctx: BotContext) -> ConsultationService:
    return ctx.work.service(ConsultationService)


async def _ask(ctx: BotContext, staffer: Staffer, c: ConsultationRecord, outcome: str) -> None:
    """The question /consult waits on, as a new message."""
    work = ctx.work
    html, keyboard = step_view(c, staffer.lang, work.district, work.settings.tz)
    await ctx.say(staffer.chat_id, html, outcome, keyboard)


# --- /consult ---------------------------------------------------------------------------


async def consult_command(update: Update, ctx: BotContext) -> None:
    """/consult: a new consultation, asked step by step (a draft in progress carries on)."""
    staffer = await staff_only(update, ctx, Role.ADMIN)
    if staffer is None:
        return
    c = await _service(ctx).start(staffer.member)
    if c.step != TITLE or c.title:
        await ctx.out.text(staffer.chat_id, t(staffer.lang, "draft_resumed"))
    else:
        await ctx.out.text(staffer.chat_id, t(staffer.lang, "consult_intro"))
    await _ask(ctx, staffer, c, "consult_started")


async def typed_for_consultation(
    ctx: BotContext, staffer: Staffer, awaited: str, text: str
) -> None:
    """A typed answer to /consult's question (title, sub-districts, description, deadline),
    or /cancel."""
    service = _service(ctx)
    lang = staffer.lang
    parsed = parse_awaiting(awaited)
    admin_id = staffer.member.telegram_id
    c = await service.draft_for(admin_id, parsed[0]) if parsed else None
    if parsed is None or c is None or staffer.member.role != Role.ADMIN or c.step != parsed[1]:
        await service.stop_waiting(admin_id)
        await ctx.say(staffer.chat_id, t(lang, "draft_gone"), "consult_gone")
        return
    if text.strip().casefold() in _CANCEL_WORDS:
        await service.abandon(c)
        await ctx.say(staffer.chat_id, t(lang, "cancelled"), "consult_cancelled")
        return
    step = c.step
    done: ConsultationRecord | None = None
    if step == TITLE:
        done = await service.set_title(c, text)
        problem = "bad_title"
    elif step == SUBDISTRICTS:
        codes, unknown = parse_subdistricts(ctx.work.district, text.split())
        done = await service.set_subdistricts(c, codes) if codes and not unknown else None
        problem = "bad_subdistricts"
    elif step == DESCRIPTION:
        done = await service.set_description(c, text)
        problem = "bad_description"
    elif step == DEADLINE:
        deadline = parse_deadline(text, ctx.work.now(), ctx.work.settings.tz)
        done = await service.set_deadline(c, deadline) if deadline else None
        problem = "bad_deadline"
    else:
        problem = "use_buttons"
    if done is None:
        await ctx.out.text(staffer.chat_id, t(lang, problem, tz=str(ctx.work.settings.tz)))
        await _ask(ctx, staffer, c, f"consult_{problem}")
        return
    await _ask(ctx, staffer, done, f"consult_{step}_set")


async def draft_pressed(update: Update, ctx: BotContext) -> None:
    """cs:<id>:<action>:<arg>: /consult's buttons, only for the draft's author and only at
    the step they belong to; anything else is answered as stale and changes nothing."""
    staffer = await staff_only(update, ctx, Role.ADMIN)
    if staffer is None:
        return
    query = update.callback_query
    assert query is not None  # a CallbackQueryHandler
    lang = staffer.lang
    fields = cb.DRAFT.parse(query.data)
    service = _service(ctx)
    c = await service.draft_for(staffer.member.telegram_id, fields.id("c")) if fields else None
    if fields is None or c is None:
        await ctx.out.answer(staffer.chat_id, query.id, t(lang, "stale_draft"), alert=True)
        ctx.done("stale_button")
        return
    action, arg = fields.word("action"), fields.word("arg")
    work = ctx.work
    done: ConsultationRecord | None = None
    note: str | None = None
    if action == "no":
        await service.abandon(c)
        await _settle(ctx, staffer, query.id, query.message, t(lang, "cancelled"))
        ctx.done("consult_cancelled")
        return
    if action == "sd" and c.step == SUBDISTRICTS:
        if arg == "done":
            done = await service.subdistricts_done(c)
            note = None if done else t(lang, "pick_one")
        elif arg == "all":
            done = await service.toggle(c, None)
        elif (sub := work.district.by_index(arg)) is not None:
            done = await service.toggle(c, sub.code)
    elif action == "dl" and c.step == DEADLINE and arg.isdigit() and int(arg) in DEADLINE_DAYS:
        deadline = deadline_after(int(arg), work.now(), work.settings.tz)
        done = await service.set_deadline(c, deadline)
    elif action == "pub" and c.step == PREVIEW and await service.publish(c):
        shown = Html(card(c, lang, work.district, work.settings.tz))
        text = t(lang, "published", id=c.id, card=shown)
        await _settle(ctx, staffer, query.id, query.message, text)
        ctx.done("consult_published")
        return
    if done is None:
        await ctx.out.answer(
            staffer.chat_id, query.id, note or t(lang, "stale_draft"), alert=note is None
        )
        ctx.done("consult_press_refused")
        return
    await ctx.out.answer(staffer.chat_id, query.id)
    html, keyboard = step_view(done, lang, work.district, work.settings.tz)
    if isinstance(query.message, Message):
        await ctx.out.edit(staffer.chat_id, query.message.message_id, html, keyboard)
    else:
        await ctx.out.text(staffer.chat_id, html, keyboard)
    ctx.done(f"consult_{action}")


async def _settle(
    ctx: BotContext, staffer: Staffer, query_id: str, message: object, text: str
) -> None:
    """Answer the press and turn the pressed question into `text` (no buttons left)."""
    await ctx.out.answer(staffer.chat_id, query_id)
    if isinstance(message, Message):
        await ctx.out.edit(staffer.chat_id, message.message_id, text)
    else:
        await ctx.out.text(staffer.chat_id, text)


# --- /consult_close, /outcome, /consultations -----------------------------------------------


def _id_arg(ctx: BotContext) -> int | None:
    args = list(ctx.args or [])
    raw = args[0].lstrip("#") if args else ""
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 2**31 - 1 else None


async def close_command(update: Update, ctx: BotContext) -> None:
    """/consult_close <id>: close an open consultation now; its summary follows."""
    staffer = await staff_only(update, ctx, Role.ADMIN)
    if staffer is None:
        return
    n = _id_arg(ctx)
    lang = staffer.lang
    if n is None:
        await ctx.say(staffer.chat_id, t(lang, "usage_close"), "usage")
        return
    service = _service(ctx)
    if await service.close(n, staffer.member.telegram_id):
        await ctx.say(staffer.chat_id, t(lang, "closed_now", id=n), "consult_closed")
        return
    c = await service.get(n)
    key = "not_found" if c is None or c.status == ConsultationStatus.DRAFT else "not_open"
    await ctx.say(staffer.chat_id, t(lang, key, id=n), f"consult_close_{key}")


async def outcome_command(update: Update, ctx: BotContext) -> None:
    """/outcome <id> <text>; /outcome <id> asks for the text; /outcome alone shows the
    closed consultations to pick from."""
    staffer = await staff_only(update, ctx, Role.ADMIN)
    if staffer is None:
        return
    lang = staffer.lang
    args = list(ctx.args or [])
    n = _id_arg(ctx)
    if not args:
        closed = await _service(ctx).awaiting_outcome()
        if not closed:
            await ctx.say(staffer.chat_id, t(lang, "outcome_none_waiting"), "outcome_none")
            return
        await ctx.say(
            staffer.chat_id, t(lang, "outcome_pick"), "outcome_picker", outcome_picker(closed, lang)
        )
        return
    if n is None:
        await ctx.say(staffer.chat_id, t(lang, "usage_outcome"), "usage")
        return
    text = " ".join(args[1:])
    if not text:
        await _ask_outcome(ctx, staffer, n, None)
        return
    await _record_outcome(ctx, staffer, n, text)


async def outcome_pressed(update: Update, ctx: BotContext) -> None:
    """co:<id>: the closed consultation whose outcome the admin types next."""
    staffer = await staff_only(update, ctx, Role.ADMIN)
    if staffer is None:
        return
    query = update.callback_query
    assert query is not None
    fields = cb.OUTCOME.parse(query.data)
    if fields is None:
        await ctx.out.answer(staffer.chat_id, query.id, t(staffer.lang, "stale_draft"), alert=True)
        ctx.done("stale_button")
        return
    await ctx.out.answer(staffer.chat_id, query.id)
    await _ask_outcome(ctx, staffer, fields.id("c"), query.message)


async def _ask_outcome(ctx: BotContext, staffer: Staffer, n: int, message: object) -> None:
    c = await _service(ctx).get(n)
    lang = staffer.lang
    if c is None or c.status != ConsultationStatus.CLOSED or c.outcome is not None:
        key = "outcome_done" if c is not None and c.outcome else "outcome_not_closed"
        await ctx.say(staffer.chat_id, t(lang, key, id=n), f"outcome_{key}")
        return
    await _service(ctx).wait_for_outcome(staffer.member.telegram_id, n)
    text = t(lang, "outcome_type", id=n, title=c.title or "")
    if isinstance(message, Message):
        await ctx.out.edit(staffer.chat_id, message.message_id, text)
        ctx.done("outcome_asked")
    else:
        await ctx.say(staffer.chat_id, text, "outcome_asked")


async def typed_outcome(ctx: BotContext, staffer: Staffer, awaited: str, text: str) -> None:
    """The outcome typed after /outcome (or /cancel)."""
    _, _, raw = awaited.partition(":")
    service = _service(ctx)
    if text.strip().casefold() in _CANCEL_WORDS or not raw.isdigit():
        await service.stop_waiting(staffer.member.telegram_id)
        await ctx.say(staffer.chat_id, t(staffer.lang, "outcome_cancelled"), "outcome_cancelled")
        return
    await _record_outcome(ctx, staffer, int(raw), text)


async def _record_outcome(ctx: BotContext, staffer: Staffer, n: int, text: str) -> None:
    service = _service(ctx)
    lang = staffer.lang
    if staffer.member.role != Role.ADMIN:
        await service.stop_waiting(staffer.member.telegram_id)
        return
    if await service.record_outcome(n, staffer.member.telegram_id, text):
        await ctx.say(staffer.chat_id, t(lang, "outcome_recorded", id=n), "outcome_recorded")
        return
    c = await service.get(n)
    if c is not None and c.status == ConsultationStatus.CLOSED and c.outcome is None:
        await ctx.say(staffer.chat_id, t(lang, "outcome_too_short"), "outcome_too_short")
        return
    await service.stop_waiting(staffer.member.telegram_id)
    key = "outcome_done" if c is not None and c.outcome else "outcome_not_closed"
    await ctx.say(staffer.chat_id, t(lang, key, id=n), f"outcome_{key}")


async def list_command(update: Update, ctx: BotContext) -> None:
    """/consultations: open and closed ones, newest first, with their counts."""
    staffer = await staff_only(update, ctx, Role.ADMIN)
    if staffer is None:
        return
    rows = await _service(ctx).listing()
    text = listing(rows, staffer.lang, ctx.work.district, ctx.work.settings.tz)
    await ctx.say(staffer.chat_id, text, "consultations_listed")


# --- residents ------------------------------------------------------------------------------


async def invitation_pressed(update: Update, ctx: BotContext) -> None:
    """ci:<id>:<join|no>: only a resident who was invited to that consultation; while it
    is open, 参与讨论 opens a draft attached to it."""
    press = await ctx.press(update, cb.INVITATION)
    if press is None:
        return
    query, chat_id, pressed = press
    resident = await ctx.resident(update)
    service = _service(ctx)
    c = await service.invitation_for(pressed.id("c"), resident.id) if resident else None
    if resident is None or c is None:
        await ctx.stale_press(update)
        return
    lang: Lang = ctx.lang(update, resident)
    message = query.message if isinstance(query.message, Message) else None
    if message is not None:
        await ctx.out.edit_markup(chat_id, message.message_id)
    if pressed.word("answer") == "no":
        await ctx.out.answer(chat_id, query.id, t(lang, "not_interested"))
        ctx.done("invitation_declined")
        return
    if not service.is_open(c):
        await ctx.out.answer(chat_id, query.id)
        await ctx.say(chat_id, t(lang, "invitation_over"), "invitation_over")
        return
    await ctx.out.answer(chat_id, query.id)
    ask = await ctx.work.service(IntakeService).answer_consultation(resident, c)
    await show(ctx, chat_id, ask, lang)
    ctx.done("invitation_accepted")


async def invitations_command(update: Update, ctx: BotContext) -> None:
    """/invitations: whether the resident gets invitations, and the buttons to change it."""
    resident = await require_consent(update, ctx)
    chat_id = ctx.chat_id(update)
    if resident is None or chat_id is None:
        return
    lang = ctx.lang(update, resident)
    if resident.consult_opt_in is None:
        key = "invitations_now_unset"
    else:
        key = "invitations_now_on" if resident.consult_opt_in else "invitations_now_off"
    await ctx.say(chat_id, t(lang, key), "invitations_shown", opt_in_keyboard(lang))
