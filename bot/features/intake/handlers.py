"""A resident writes: text, photo, voice, location, edits, and the draft's buttons.

One live question per resident: every question goes out through `show`, which withdraws the
one before it (never sent if still queued, else its buttons removed); a pressed question is
edited to show the answer instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from html import escape

from telegram import CallbackQuery, Message, MessageOriginUser, Update

from bot.domain import reference_number
from bot.domain.intents import Kind, Topic
from bot.features.consent import ConsentService, require_consent
from bot.features.intake import callbacks
from bot.features.intake.service import (
    NEED_TEXT,
    Answered,
    Ask,
    Dropped,
    EditedOpinion,
    EditUnrelated,
    IntakeService,
    Outcome,
    RateLimited,
    Rejected,
    SplitSubmitted,
    Stale,
    Submitted,
    Superseded,
    Supported,
)
from bot.features.intake.texts import t
from bot.features.intake.views import (
    answer_text,
    opt_in_keyboard,
    receipt,
    render_ask,
    supported_text,
)
from bot.features.moderation.service import Review
from bot.telegram.callbacks import CallbackData, Pressed
from bot.telegram.context import BotContext, Who
from bot.telegram.html import MAX_TEXT
from bot.telegram.keyboards import Keyboard
from bot.telegram.texts import Html, Lang
from storage.records import DraftRecord, OpinionRecord, ResidentRecord


async def show(ctx: BotContext, chat_id: int, ask: Ask, lang: Lang) -> None:
    """Send a draft's question, withdrawing the one it replaces."""
    html, keyboard = render_ask(ask, lang, ctx.work.deps)
    await _withdraw(ctx, chat_id, ask.draft)
    intake = ctx.work.service(IntakeService)
    if keyboard:
        await intake.asked(ask.draft, await ctx.out.question(chat_id, html, keyboard))
    else:
        await ctx.out.text(chat_id, html)
        await intake.asked(ask.draft, None)
    ctx.done(f"ask_{ask.stage}")


async def _withdraw(ctx: BotContext, chat_id: int, draft: DraftRecord) -> None:
    if draft.question_outbox_id is not None:
        await ctx.out.retire(chat_id, draft.question_outbox_id)


async def reply_outcome(
    update: Update,
    ctx: BotContext,
    outcome: Outcome,
    lang: Lang,
    *,
    live: int | None = None,
) -> None:
    """Turn a service outcome into messages; one place so every path answers alike.

    `live`: the outbox row of the question that was open before this message; when a typed
    answer ends the draft (submitted, dropped), its buttons are withdrawn too."""
    chat_id = ctx.chat_id(update)
    if chat_id is None:
        return
    out, deps = ctx.out, ctx.work.deps
    phone = deps.settings.office_phone
    if live is not None and isinstance(outcome, Submitted | SplitSubmitted | Supported | Dropped):
        await out.retire(chat_id, live)
    match outcome:
        case Ask():
            await show(ctx, chat_id, outcome, lang)
        case Answered(intent=intent, pending=pending):
            if intent.kind == Kind.COMMAND and intent.topic == Topic.CANCEL and pending:
                await _cancel(ctx, chat_id, update, lang)
                return
            words_awaited = pending is not None and pending.stage == NEED_TEXT
            if not (words_awaited and intent.kind in (Kind.CONFIRM, Kind.DENY, Kind.UNSURE)):
                # ("好的" after "what is the problem there?": the question itself is the answer.)
                pending_now = pending is not None
                await out.text(chat_id, answer_text(intent, lang, deps, pending=pending_now))
            if pending is not None:
                await show(ctx, chat_id, pending, lang)
            ctx.done(f"answered_{intent.topic or intent.kind}")
        case Rejected(reason=reason, length=length, limit=limit):
            # Every refusal says how to reach a person, for those who cannot go on by typing.
            key = {
                "too_long": "text_too_long",
                "append_too_long": "append_too_long",
                "bad_location": "bad_location",
                "empty": "text_empty",
                "no_words": "text_no_words",
            }.get(reason, "text_too_short")
            help_line = t(lang, "refusal_help", phone=phone)
            await out.text(chat_id, t(lang, key, length=length, limit=limit) + "\n" + help_line)
            ctx.done(f"rejected_{reason}")
        case RateLimited(count=count, until=until):
            when = until.astimezone(deps.settings.tz).strftime("%H:%M")
            await out.text(chat_id, t(lang, "rate_limited", count=count, when=when, phone=phone))
            ctx.done("rate_limited")
        case Submitted():
            title, closed = outcome.consultation_title, outcome.consultation_closed
            await _receipt(
                ctx, chat_id, outcome.opinion, outcome.review, lang, title, ask=True, closed=closed
            )
            for opinion, review in outcome.also:
                await _receipt(ctx, chat_id, opinion, review, lang, title, closed=closed)
            if outcome.then is not None:
                await show(ctx, chat_id, outcome.then, lang)
            ctx.done("opinion_created")
        case Supported():
            await out.text(chat_id, supported_text(outcome, lang, deps))
            ctx.done("opinion_supported")
        case SplitSubmitted(submitted=done):
            for i, one in enumerate(done, 1):
                await _receipt(
                    ctx,
                    chat_id,
                    one.opinion,
                    one.review,
                    lang,
                    one.consultation_title,
                    ask=i == len(done),
                    closed=one.consultation_closed,
                )
            ctx.done("opinions_split")
        case Dropped(reason=reason):
            await out.text(chat_id, t(lang, f"dropped_{reason}"))
            ctx.done(f"dropped_{reason}")
        case EditedOpinion(opinion=opinion):
            ref = reference_number(deps.district.reference_prefix, opinion.id)
            await out.text(chat_id, t(lang, "edited_opinion", ref=Html(ref)))
            ctx.done("opinion_revised")
        case EditUnrelated():
            await out.text(chat_id, t(lang, "edited_unknown"))
            ctx.done("edit_unrelated")
        case Stale():
            await out.text(chat_id, t(lang, "stale_button"))
            ctx.done("stale_button")
        case Superseded():
            ctx.done("superseded_press")


async def _receipt(
    ctx: BotContext,
    chat_id: int,
    opinion: OpinionRecord,
    review: Review | None,
    lang: Lang,
    consultation_title: str | None = None,
    *,
    ask: bool = False,
    closed: bool = False,
) -> None:
    """A receipt; with `ask`, the first receipt a resident gets also asks about
    invitations to consultations."""
    deps = ctx.work.deps
    ref = reference_number(deps.district.reference_prefix, opinion.id)
    text = receipt(
        ref,
        opinion.subdistrict,
        opinion.category,
        lang,
        deps,
        consultation_title=consultation_title,
        consultation_closed=closed,
    )
    if review is not None and review.waiting:
        text += "\n\n" + t(lang, "receipt_under_review")
    keyboard: Keyboard | None = None
    if ask:
        text, keyboard = await _ask_about_invitations(ctx, opinion, lang, text)
    await ctx.out.text(chat_id, text, keyboard)


async def _ask_about_invitations(
    ctx: BotContext, opinion: OpinionRecord, lang: Lang, text: str
) -> tuple[str, Keyboard | None]:
    """Once per resident, after their first receipt: invitations to consultations in
    their sub-district? Asked on the receipt itself (no extra message to wait for)."""
    if opinion.resident_id is None:
        return text, None
    if not await ctx.work.service(ConsentService).ask_about_invitations(opinion.resident_id):
        return text, None
    return text + "\n\n" + t(lang, "invitations_question"), opt_in_keyboard(lang)


def _forwarded(message: Message) -> bool:
    """Forwarded from someone else (a resident forwarding their own words is not)."""
    origin = message.forward_origin
    if origin is None:
        return False
    sender = message.from_user
    return not (
        isinstance(origin, MessageOriginUser)
        and sender is not None
        and origin.sender_user.id == sender.id
    )


async def text_message(update: Update, ctx: BotContext) -> None:
    """Any plain text in a private chat: sorted first, then an opinion or an answer."""
    message = update.effective_message
    if message is None:
        return
    resident = await require_consent(update, ctx)
    if resident is None:
        return
    intake = ctx.work.service(IntakeService)
    live = await intake.live_question(resident)
    outcome = await intake.add_text(
        resident,
        message.message_id,
        message.text or "",
        forwarded=_forwarded(message),
        sent_at=message.date,
    )
    await reply_outcome(update, ctx, outcome, ctx.lang(update, resident), live=live)


async def photo_message(update: Update, ctx: BotContext) -> None:
    """A photo, with or without a caption."""
    message = update.effective_message
    if message is None or not message.photo:
        return
    resident = await require_consent(update, ctx)
    if resident is None:
        return
    largest = message.photo[-1]
    intake = ctx.work.service(IntakeService)
    live = await intake.live_question(resident)
    outcome = await intake.add_photo(resident, message.message_id, largest.file_id, message.caption)
    await reply_outcome(update, ctx, outcome, ctx.lang(update, resident), live=live)


async def voice_message(update: Update, ctx: BotContext) -> None:
    """A voice message (or a round video note's sound is not taken: only voice)."""
    message = update.effective_message
    if message is None or message.voice is None:
        return
    resident = await require_consent(update, ctx)
    if resident is None:
        return
    outcome = await ctx.work.service(IntakeService).add_voice(
        resident, message.message_id, message.voice.file_id, message.caption
    )
    await reply_outcome(update, ctx, outcome, ctx.lang(update, resident))


async def location_message(update: Update, ctx: BotContext) -> None:
    """A location pin (or a venue), alone or after text."""
    message = update.effective_message
    if message is None or message.location is None:
        return
    resident = await require_consent(update, ctx)
    if resident is None:
        return
    loc = message.location
    outcome = await ctx.work.service(IntakeService).add_location(
        resident, loc.latitude, loc.longitude
    )
    await reply_outcome(update, ctx, outcome, ctx.lang(update, resident))


async def edited_message(update: Update, ctx: BotContext) -> None:
    """An edit never makes a second opinion: it updates the draft or becomes a revision."""
    message = update.edited_message
    if message is None:
        return
    resident = await ctx.resident(update)
    if resident is None:
        ctx.done("edit_before_consent")
        return
    raw = message.text if message.text is not None else message.caption
    if raw is None or (message.text or "").startswith("/"):
        ctx.done("edit_ignored")
        return
    intake = ctx.work.service(IntakeService)
    live = await intake.live_question(resident)
    outcome = await intake.edit(resident, message.message_id, raw)
    await reply_outcome(update, ctx, outcome, ctx.lang(update, resident), live=live)


async def _pressed(
    update: Update,
    ctx: BotContext,
    kind: CallbackData,
    choose: Callable[[IntakeService, ResidentRecord, Pressed], Awaitable[Outcome]],
) -> None:
    """A draft's button: parse, re-check the presser and the question number through the
    service, answer the press once, then answer it in place. A stale or superseded press
    gets only its answer."""
    query = update.callback_query
    who = await ctx.who(update)
    if query is None or who is None:
        return
    pressed = kind.parse(query.data)
    outcome = (
        await choose(ctx.work.service(IntakeService), who.resident, pressed)
        if pressed is not None and who.resident is not None
        else Stale()
    )
    if isinstance(outcome, Stale):
        await ctx.stale_press(update)
        return
    if isinstance(outcome, Superseded):
        await ctx.out.answer(who.chat_id, query.id, t(who.lang, "superseded_press"))
        ctx.done("superseded_press")
        return
    await ctx.out.answer(who.chat_id, query.id)
    await _answer_in_place(update, ctx, who, query, outcome)


async def _answer_in_place(
    update: Update, ctx: BotContext, who: Who, query: CallbackQuery, outcome: Outcome
) -> None:
    """A press is answered by editing the pressed question into what comes next: the next
    question (its buttons), or the receipt. One call to the chat instead of an edit and a
    new message, so the answer arrives at once under Telegram's one-a-second per chat, and
    the chat keeps one live question. Anything else goes the usual way."""
    message = query.message
    if not isinstance(message, Message):
        await reply_outcome(update, ctx, outcome, who.lang)
        return
    deps = ctx.work.deps
    if isinstance(outcome, Ask) and outcome.stage != NEED_TEXT:
        html, keyboard = render_ask(outcome, who.lang, deps)
        await ctx.out.edit(who.chat_id, message.message_id, html, keyboard)
        # The live question is still the pressed message: its outbox row stays on the draft.
        await ctx.work.service(IntakeService).asked(outcome.draft, outcome.draft.question_outbox_id)
        ctx.done(f"ask_{outcome.stage}")
        return
    if isinstance(outcome, Supported):
        await ctx.out.edit(who.chat_id, message.message_id, supported_text(outcome, who.lang, deps))
        ctx.done("opinion_supported")
        return
    if isinstance(outcome, Submitted) and not outcome.also and outcome.then is None:
        opinion = outcome.opinion
        ref = reference_number(deps.district.reference_prefix, opinion.id)
        text = receipt(
            ref,
            opinion.subdistrict,
            opinion.category,
            who.lang,
            deps,
            consultation_title=outcome.consultation_title,
            consultation_closed=outcome.consultation_closed,
        )
        if outcome.review is not None and outcome.review.waiting:
            text += "\n\n" + t(who.lang, "receipt_under_review")
        text, keyboard = await _ask_about_invitations(ctx, opinion, who.lang, text)
        await ctx.out.edit(who.chat_id, message.message_id, text, keyboard)
        ctx.done("opinion_created")
        return
    # Dropped, split, or a split that left a question: the pressed question shows what was
    # pressed, and what follows comes as new messages.
    label = _pressed_label(message, query.data)
    html = f"{message.text_html}\n\n👉 {escape(label)}" if label and message.text else ""
    if html and len(html) <= MAX_TEXT:
        await ctx.out.edit(who.chat_id, message.message_id, html)
    else:
        await ctx.out.edit_markup(who.chat_id, message.message_id)
    if isinstance(outcome, Submitted) and outcome.then is not None:
        then = outcome.then
        outcome = replace(
            outcome, then=replace(then, draft=replace(then.draft, question_outbox_id=None))
        )
    await reply_outcome(update, ctx, outcome, who.lang)


async def subdistrict_pressed(update: Update, ctx: BotContext) -> None:
    """sd:<draft>:<q>:<index|u>: the resident confirms or corrects the sub-district."""
    await _pressed(
        update,
        ctx,
        callbacks.SUBDISTRICT,
        lambda intake, resident, p: intake.choose_subdistrict(
            resident, p.id("draft"), p.id("q"), p.word("choice")
        ),
    )


async def category_pressed(update: Update, ctx: BotContext) -> None:
    """cat:<draft>:<q>:<key>: the topic; with the place known it submits the opinion."""
    await _pressed(
        update,
        ctx,
        callbacks.CATEGORY,
        lambda intake, resident, p: intake.choose_category(
            resident, p.id("draft"), p.id("q"), p.word("key")
        ),
    )


async def action_pressed(update: Update, ctx: BotContext) -> None:
    """dr:<draft>:<q>:<action>: the card, is-it-a-problem, outside, split, forwarded, 我也是."""
    await _pressed(
        update,
        ctx,
        callbacks.ACTION,
        lambda intake, resident, p: intake.act(
            resident, p.id("draft"), p.id("q"), p.word("action")
        ),
    )


def _pressed_label(message: Message, data: str | None) -> str:
    """The label of the pressed button, as the resident saw it."""
    markup = message.reply_markup
    if markup is None:
        return ""
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return ""


async def _cancel(ctx: BotContext, chat_id: int, update: Update, lang: Lang) -> None:
    resident = await ctx.resident(update)
    dropped = await ctx.work.service(IntakeService).cancel(resident) if resident else None
    if dropped is not None:
        await _withdraw(ctx, chat_id, dropped)
    await ctx.say(
        chat_id,
        t(lang, "cancelled" if dropped else "nothing_to_cancel"),
        "draft_cancelled" if dropped else "nothing_to_cancel",
    )


async def cancel(update: Update, ctx: BotContext) -> None:
    """/cancel: drop the draft in progress and its live question."""
    who = await ctx.who(update)
    if who is None:
        return
    await _cancel(ctx, who.chat_id, update, who.lang)


async def resume_on_start(update: Update, ctx: BotContext) -> None:
    """After consent's welcome back on /start: the question an open draft waits on."""
    resident = await ctx.resident(update)
    chat_id = ctx.chat_id(update)
    if resident is None or chat_id is None:
        return
    ask = await ctx.work.service(IntakeService).current(resident)
    if ask is not None:
        await show(ctx, chat_id, ask, ctx.lang(update, resident))


async def invitations_pressed(update: Update, ctx: BotContext) -> None:
    """optin:<yes|no>: the presser's own answer about invitations to consultations (from
    the first receipt or /invitations); the question shows what was chosen."""
    press = await ctx.press(update, callbacks.OPT_IN)
    if press is None:
        return
    query, chat_id, pressed = press
    resident = await ctx.resident(update)
    if resident is None:
        await ctx.stale_press(update)
        return
    lang = ctx.lang(update, resident)
    yes = pressed.word("answer") == "yes"
    await ctx.work.service(ConsentService).set_invitations(resident, yes)
    line = t(lang, "invitations_on" if yes else "invitations_off")
    await ctx.out.answer(chat_id, query.id)
    message = query.message
    if isinstance(message, Message) and message.text:
        html = f"{message.text_html}\n\n👉 {line}"
        if len(html) <= MAX_TEXT:
            await ctx.out.edit(chat_id, message.message_id, html)
        else:
            await ctx.out.edit_markup(chat_id, message.message_id)
            await ctx.out.text(chat_id, line)
    else:
        await ctx.out.text(chat_id, line)
    ctx.done("invitations_on" if yes else "invitations_off")
