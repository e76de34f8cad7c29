"""Telling the admins that something failed: once per kind of failure and day, without any
message content, within Telegram's limits whatever the error says."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.deps import Deps
from bot.telegram.texts import COMMON, as_lang
from bot.telegram.work import services_for
from storage.repositories import ModerationRepository, StaffRepository
from storage.statuses import Role

#: The same failure is told again after this long at the earliest.
QUIET = timedelta(hours=24)
#: An error's description is cut to this (the whole is in the log).
ERROR_CHARS = 300


def signature(where: str, error: str) -> str:
    """What makes two failures "the same": where, and the error without its numbers (ids,
    counts and times differ between occurrences of one bug)."""
    shape = re.sub(r"\d+", "#", error)[:200]
    return hashlib.sha256(f"{where}|{shape}".encode()).hexdigest()[:32]


async def alert_admins(
    session: AsyncSession,
    deps: Deps,
    where: str,
    error: str,
    *,
    key: str = "admin_alert",
    **values: object,
) -> int:
    """Queue a note (the text `key` of the shared catalogue) to every reachable admin,
    unless this failure was told within QUIET. Returns how many admins were told."""
    now = deps.clock.now()
    if not await ModerationRepository(session).first_alert(signature(where, error), now, QUIET):
        return 0
    admins = [
        m
        for m in await StaffRepository(session).all()
        if m.role == Role.ADMIN and m.unreachable_at is None
    ]
    ids = {m.telegram_id: as_lang(m.lang) for m in admins}
    for admin_id in deps.settings.admin_ids:  # configured admins, even before the database has them
        ids.setdefault(admin_id, "zh")
    out = services_for(session, deps).out
    short = error if len(error) <= ERROR_CHARS else error[: ERROR_CHARS - 1] + "…"
    for admin_id, lang in sorted(ids.items()):
        await out.text(admin_id, COMMON(lang, key, where=where[:100], error=short, **values))
    return len(ids)
