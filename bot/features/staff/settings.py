"""/settings: a member's digest settings, buttons first (a typed HH:MM works too)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.features.staff.access import Staffer, staff_only
from bot.features.staff.callbacks import SETTINGS
from bot.features.staff.schedule import COMMON_TIMES, Schedule, parse_time
from bot.features.staff.service import MemberSettings, StaffService
from bot.features.staff.texts import t
from bot.features.staff.views import followed, local, schedule, weekday_name
from bot.telegram.context import BotContext
from bot.telegram.keyboards import Button, Keyboard, pairs
from bot.telegram.labels import subdistrict_label
from bot.telegram.texts import Lang, as_lang
from bot.telegram.work import Work
from storage.records import StaffRecord
from storage.statuses import ALL_SUBDISTRICTS, Frequency, Role

_CANCEL_WORDS = frozenset({"/cancel", "取消", "cancel"})

TypedInput = Callable[[BotContext, Staffer, str, str], Awaitable[None]]
#: Other features' typed answers, by the prefix of `awaiting` ("reject:123" → "reject"):
#: the handler gets the whole `awaiting` value and the text.
typed_inputs: dict[str, TypedInput] = {}


def card(work: Work, member: StaffRecord, lang: Lang) -> str:
    settings = work.settings
    text = t(
        lang,
        "settings_card",
        subdistricts=followed(work.district, member.subdistricts, lang),
        schedule=schedule(member, lang),
        tz=settings.timezone,
        empty=t(lang, "empty_note" if member.empty_note else "empty_skip"),
        urgent=t(lang, "urgent_now" if member.urgent else "urgent_digest"),
    )
    if member.next_due is not None and member.frequency != Frequency.OFF:
        text += "\n" + t(lang, "settings_next", next=local(member.next_due, settings.tz))
    return text


def main_keyboard(member: StaffRecord, lang: Lang) -> Keyboard:
    empty = t(lang, "empty_note" if member.empty_note else "empty_skip")
    urgent = t(lang, "urgent_now" if member.urgent else "urgent_digest")
    return [
        [
            Button(t(lang, "btn_subdistricts"), SETTINGS.build("menu", "sd")),
            Button(t(lang, "btn_frequency"), SETTINGS.build("menu", "freq")),
        ],
        [
            Button(t(lang, "btn_time"), SETTINGS.build("menu", "time")),
            Button(t(lang, "btn_empty", value=empty), SETTINGS.build("empty", "x")),
        ],
        [
            Button(t(lang, "btn_urgent", value=urgent), SETTINGS.build("urgent", "x")),
            Button(t(lang, "btn_lang"), SETTINGS.build("lang", "en" if lang == "zh" else "zh")),
        ],
        [Button(t(lang, "btn_done"), SETTINGS.build("done", "x"))],
    ]


def _back(lang: Lang) -> list[Button]:
    return [Button(t(lang, "btn_back"), SETTINGS.build("menu", "main"))]


def subdistricts_keyboard(work: Work, member: StaffRecord, lang: Lang) -> Keyboard:
    buttons = []
    for i, sub in enumerate(work.district.subdistricts):
        mark = "✅ " if sub.code in member.subdistricts else ""
        buttons.append(Button(mark + subdistrict_label(sub, lang), SETTINGS.build("sd", i)))
    rows = pairs(buttons)
    if member.role == Role.ADMIN:
        mark = "✅ " if ALL_SUBDISTRICTS in member.subdistricts else ""
        rows.append([Button(mark + t(lang, "btn_all"), SETTINGS.build("sd", "all"))])
    rows.append(_back(lang))
    return rows


def frequency_keyboard(lang: Lang) -> Keyboard:
    return [
        [
            Button(t(lang, "btn_daily"), SETTINGS.build("freq", "daily")),
            Button(t(lang, "btn_weekly"), SETTINGS.build("freq", "weekly")),
            Button(t(lang, "btn_off"), SETTINGS.build("freq", "off")),
        ],
        _back(lang),
    ]


def day_keyboard(lang: Lang) -> Keyboard:
    days = [Button(weekday_name(lang, d), SETTINGS.build("day", d)) for d in range(7)]
    return [days[:4], days[4:], _back(lang)]


def time_keyboard(lang: Lang) -> Keyboard:
    times = [Button(hhmm, SETTINGS.build("time", hhmm.replace(":", ""))) for hhmm in COMMON_TIMES]
    return [
        times[:3],
        times[3:],
        [Button(t(lang, "btn_type_time"), SETTINGS.build("time", "typed"))],
        _back(lang),
    ]


async def settings_command(update: Update, ctx: BotContext) -> None:
    staffer = await staff_only(update, ctx)
    if staffer is None:
        return
    chat_id, member, lang = staffer
    await ctx.work.service(MemberSettings).wait_for(member, None)
    await ctx.say(
        chat_id, card(ctx.work, member, lang), "settings_shown", main_keyboard(member, lang)
    )


async def settings_pressed(update: Update, ctx: BotContext) -> None:
    staffer = await staff_only(update, ctx)
    if staffer is None:
        return
    query = update.callback_query
    assert query is not None  # a CallbackQueryHandler
    chat_id = staffer.chat_id
    fields = SETTINGS.parse(query.data)
    if fields is None:
        await _stale(ctx, staffer, query.id)
        return
    action, arg = fields.word("action"), fields.word("arg")
    member, lang = staffer.member, staffer.lang
    service = ctx.work.service(MemberSettings)
    keyboard: Keyboard | None = None
    text: str | None = None
    if action == "menu":
        text, keyboard = _submenu(ctx.work, member, lang, arg)
    elif action == "sd":
        code = _subdistrict_code(ctx.work, member, arg)
        if code is None:
            await _stale(ctx, staffer, query.id)
            return
        member = await service.toggle_subdistrict(member, code)
        text, keyboard = _submenu(ctx.work, member, lang, "sd")
    elif action == "freq" and arg in ("daily", "off"):
        member = await service.set_frequency(member, Frequency(arg))
    elif action == "freq" and arg == "weekly":
        text, keyboard = t(lang, "settings_pick_day"), day_keyboard(lang)
    elif action == "day" and arg.isdigit() and int(arg) < 7:
        member = await service.set_weekday(member, int(arg))
    elif action == "time" and arg == "typed":
        await service.wait_for(member, "time")
        text, keyboard = t(lang, "settings_type_time"), [_back(lang)]
    elif action == "time" and (hhmm := parse_time(f"{arg[:2]}:{arg[2:]}")) and len(arg) == 4:
        member = await service.set_time(member, hhmm)
    elif action in ("empty", "urgent"):
        member = await service.toggle(member, "empty_note" if action == "empty" else action)
    elif action == "lang" and arg in ("zh", "en"):
        member = await service.set_lang(member, arg)
        await ctx.work.service(StaffService).send_menu(member)
        lang = as_lang(arg)
    elif action == "done":
        text = card(ctx.work, member, lang) + "\n\n" + t(lang, "settings_saved")
        keyboard = []
    else:
        await _stale(ctx, staffer, query.id)
        return
    if text is None:
        text, keyboard = card(ctx.work, member, lang), main_keyboard(member, lang)
    await ctx.out.answer(chat_id, query.id)
    message = query.message
    if message is not None:
        await ctx.out.edit(chat_id, message.message_id, text, keyboard or None)
    else:
        await ctx.out.text(chat_id, text, keyboard or None)
    ctx.done(f"settings_{action}")


async def _stale(ctx: BotContext, staffer: Staffer, query_id: str) -> None:
    """A settings button that is not one (forged, or from an older version)."""
    await ctx.out.answer(staffer.chat_id, query_id, t(staffer.lang, "stale_button"), alert=True)
    ctx.done("stale_button")


def _submenu(work: Work, member: StaffRecord, lang: Lang, which: str) -> tuple[str, Keyboard]:
    if which == "sd":
        return t(lang, "settings_pick_subdistricts"), subdistricts_keyboard(work, member, lang)
    if which == "freq":
        return t(lang, "settings_pick_frequency"), frequency_keyboard(lang)
    if which == "time":
        return t(lang, "settings_pick_time"), time_keyboard(lang)
    return card(work, member, lang), main_keyboard(member, lang)


def _subdistrict_code(work: Work, member: StaffRecord, arg: str) -> str | None:
    if arg == "all":
        return ALL_SUBDISTRICTS if member.role == Role.ADMIN else None
    sub = work.district.by_index(arg)
    return sub.code if sub else None


async def typed_answer(update: Update, ctx: BotContext) -> None:
    """A staff member asked to type a time: take it here, before it could become an
    opinion. Anyone else's text goes on to the resident flow untouched."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None or message.text is None:
        return
    member = await ctx.work.service(StaffService).role_of(user.id)
    if member is None:
        return
    if member.awaiting is None:
        if await ctx.resident(update) is None:
            # Staff who never agreed as residents: their text is not an opinion, and the
            # residents' consent reminder would only confuse (a second message after an
            # answer to a resident, say). Tell them where things are instead.
            await ctx.say(
                message.chat_id, t(as_lang(member.lang), "staff_text_not_kept"), "staff_text"
            )
            raise ApplicationHandlerStop
        return
    staffer = Staffer(message.chat_id, member, as_lang(member.lang))
    other = typed_inputs.get(member.awaiting.partition(":")[0])
    if member.awaiting == "time":
        await _take_time(ctx, staffer, message.text)
    elif other is not None:
        await other(ctx, staffer, member.awaiting, message.text)
    else:
        return
    raise ApplicationHandlerStop


async def cancel_typed(update: Update, ctx: BotContext) -> None:
    """/cancel while a staff member was asked to type something: stop asking. Otherwise
    /cancel goes on to the resident flow."""
    user = update.effective_user
    chat_id = ctx.chat_id(update)
    if user is None or chat_id is None:
        return
    member = await ctx.work.service(StaffService).role_of(user.id)
    if member is None or member.awaiting is None:
        return
    other = typed_inputs.get(member.awaiting.partition(":")[0])
    if other is not None:
        # The feature that asked knows what cancelling means there (a reason typed for a
        # rejection, a consultation being written): it is handed "/cancel" as the answer.
        lang = as_lang(member.lang)
        await other(ctx, Staffer(chat_id, member, lang), member.awaiting, "/cancel")
        raise ApplicationHandlerStop
    await ctx.work.service(MemberSettings).wait_for(member, None)
    await ctx.say(chat_id, t(as_lang(member.lang), "settings_time_cancelled"), "typed_cancelled")
    raise ApplicationHandlerStop


async def _take_time(ctx: BotContext, staffer: Staffer, text: str) -> None:
    chat_id, member, lang = staffer
    service = ctx.work.service(MemberSettings)
    if text.strip().casefold() in _CANCEL_WORDS:
        await service.wait_for(member, None)
        await ctx.say(chat_id, t(lang, "settings_time_cancelled"), "settings_time_cancelled")
        return
    hhmm = parse_time(text)
    if hhmm is None:
        await ctx.say(
            chat_id, t(lang, "settings_bad_time", text=text[:40]), "settings_time_invalid"
        )
        return
    member = await service.set_time(member, hhmm)
    next_due = Schedule.of(member, ctx.work.settings.tz).next_after(ctx.work.now())
    shown = local(next_due, ctx.work.settings.tz) if next_due else t(lang, "schedule_off")
    await ctx.say(
        chat_id,
        t(lang, "settings_time_set", time=hhmm, next=shown),
        "settings_time_set",
        main_keyboard(member, lang),
    )
