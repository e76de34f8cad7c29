"""/audit: the audit log for admins, newest first, ten entries a page."""

from __future__ import annotations

from telegram import Update

from bot.domain import parse_reference
from bot.features.moderation.handlers import local_time, ref_of
from bot.features.moderation.texts import t
from bot.features.staff import staff_only
from bot.telegram.audit import Audit
from bot.telegram.context import BotContext
from storage.statuses import Role


async def audit(update: Update, ctx: BotContext) -> None:
    """/audit [ref|pseudonym|admin id] [before N]: newest first, ten a page."""
    staffer = await staff_only(update, ctx, Role.ADMIN)
    if staffer is None:
        return
    args = list(ctx.args or [])
    before_id: int | None = None
    if len(args) >= 2 and args[-2] == "before" and args[-1].isdigit():
        before_id = int(args[-1])
        args = args[:-2]
    filters: dict[str, object] = {}
    word = args[0] if args else ""
    if word:
        n = parse_reference(word, ctx.work.district.reference_prefix)
        if n is not None:
            filters["opinion_id"] = n
        elif word.isdigit():
            filters["actor_id"] = int(word)
        else:
            filters["subject"] = word.strip().upper()
    entries = await ctx.work.service(Audit).page(before_id=before_id, limit=10, **filters)
    lang = staffer.lang
    if not entries:
        await ctx.say(staffer.chat_id, t(lang, "audit_empty"), "audit_listed")
        return
    lines = [t(lang, "audit_header")]
    for e in entries:
        target = ref_of(ctx.work, e.opinion_id) if e.opinion_id else (e.subject or "—")
        change = ""
        if e.before or e.after:
            change = f" · {_brief(e.before)} → {_brief(e.after)}"
        lines.append(
            t(
                lang,
                "audit_line",
                id=e.id,
                at=local_time(ctx.work, e.at),
                actor=e.actor_id if e.actor_id is not None else t(lang, "by_rules"),
                action=e.action,
                target=target,
                change=change,
                reason=f" · {e.reason}" if e.reason else "",
            )
        )
    if len(entries) == 10:
        lines.append(t(lang, "audit_more", filter=f"{word} " if word else "", id=entries[-1].id))
    await ctx.say(staffer.chat_id, "\n".join(lines), "audit_listed")


def _brief(values: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items() if k != "holds") or "—"
