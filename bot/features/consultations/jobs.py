"""Consultations at every scheduler tick, off the update path, in short transactions:

1. close: open consultations whose deadline has come (the clock read now, the deadlines
   from the database);
2. summaries: a closed consultation's contributions and readers are read in one
   transaction, clustered and drawn (text and chart) in a thread outside any, then queued
   in another behind a conditional mark (`summary_queued_at`): two processes, or a crash
   between the steps, still send it once;
3. invitations: for every open consultation, at every tick, a batch of residents not yet
   invited at a time, each batch one transaction that checks it is still open, inserts
   their invitation rows (ON CONFLICT DO NOTHING … RETURNING: only the rows this
   transaction inserted are sent) and queues the messages as bulk, so the sender puts
   residents' replies first and keeps Telegram's pace; `invited_at` (information only)
   when the first round is done;
4. outcome notes: the same, a batch of contributors at a time (`outcome_queued_at`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, tzinfo

from bot.domain import District
from bot.features.consultations.service import ConsultationService, Gathered
from bot.features.consultations.views import (
    invitation,
    outcome_note,
    summary_chart,
    summary_text,
)
from bot.telegram.texts import Lang, as_lang
from bot.telegram.work import UnitsOfWork
from storage.repositories import ConsultationRepository, InvitationRepository, StaffRepository
from storage.statuses import Priority, Role

log = logging.getLogger(__name__)

#: Residents invited (or told the outcome) per transaction: one INSERT and one outbox
#: insert each, a few milliseconds of the write lock.
BATCH = 200
#: Batches per consultation per tick at most: the rest waits for the next tick (the sender
#: needs minutes for this many anyway, at 30 a second).
MAX_BATCHES = 25
#: Seconds the write lock is left alone between batches (residents' replies need it).
BREATHER = 0.05


async def consultation_tick(units: UnitsOfWork, now: datetime) -> None:
    await close_due(units)
    await send_summaries(units)
    await send_invitations(units)
    await send_outcomes(units)


async def close_due(units: UnitsOfWork) -> list[int]:
    async with units() as work:
        closed = await work.service(ConsultationService).close_due()
    for n in closed:
        log.info("consultation %s closed at its deadline", n)
    return closed


Drawn = dict[tuple[Lang, bool], tuple[str, bytes, str]]


def _draw(gathered: Gathered, district: District, tz: tzinfo) -> Drawn:
    """Each language's summary (admins' with the /outcome hint) and chart: CPU work."""
    summary = gathered.summary(district)
    c = gathered.consultation
    drawn: Drawn = {}
    langs: tuple[Lang, ...] = ("zh", "en")
    charts = {lang: summary_chart(c, summary, lang, district) for lang in langs}
    for lang in langs:
        for admin in (False, True):
            text = summary_text(
                c, summary, lang, district, tz, admin=admin, waiting=gathered.waiting
            )
            drawn[(lang, admin)] = (text, *charts[lang])
    return drawn


async def send_summaries(units: UnitsOfWork) -> int:
    sent = 0
    async with units() as work:
        service = work.service(ConsultationService)
        waiting = [await service.gather(c) for c in await service.repo.to_summarise()]
        admins = {
            m.telegram_id for m in await work.repo(StaffRepository).all() if m.role == Role.ADMIN
        }
        district, tz = work.district, work.settings.tz
    for gathered in waiting:
        c = gathered.consultation
        try:
            drawn = await asyncio.to_thread(_draw, gathered, district, tz)
        except Exception:
            log.exception("summary of consultation %s could not be drawn", c.id)
            continue
        async with units() as work:
            repo = work.repo(ConsultationRepository)
            if not await repo.mark_summary_queued(c.id, work.now()):
                continue  # another process queued it
            name = f"yushi-consultation-{c.id}.png"
            for reader in gathered.readers:
                text, png, caption = drawn[(as_lang(reader.lang), reader.chat_id in admins)]
                await work.out.text(reader.chat_id, text, priority=Priority.BULK)
                await work.out.photo(reader.chat_id, name, png, caption, priority=Priority.BULK)
        sent += 1
        log.info("summary of consultation %s to %d readers", c.id, len(gathered.readers))
    return sent


async def send_invitations(units: UnitsOfWork) -> int:
    """Invitations for every open consultation to the residents not yet invited; how many
    queued. Every tick looks again, so a resident who opts in (or moves into one of its
    sub-districts) while it is open is invited at the next one; a consultation closed
    meanwhile stops at the next batch."""
    async with units() as work:
        waiting = await work.repo(ConsultationRepository).open_now(work.now())
    queued = 0
    for c in waiting:
        for _ in range(MAX_BATCHES):
            async with units() as work:
                batch = await work.repo(InvitationRepository).invite_batch(c, work.now(), BATCH)
                if batch is None:
                    break  # closed (or its deadline came): no more invitations
                async with work.out.batched():
                    for person in batch.invited:
                        lang = as_lang(person.lang)
                        text, keyboard = invitation(c, lang, work.district, work.settings.tz)
                        await work.out.text(person.chat_id, text, keyboard, priority=Priority.BULK)
            queued += len(batch.invited)
            if not batch.more:
                if c.invited_at is None:
                    await _first_round_done(units, c.id)
                break
            await asyncio.sleep(BREATHER)
    return queued


async def _first_round_done(units: UnitsOfWork, consultation_id: int) -> None:
    """`invited_at`, in a transaction of its own: a batch holds the consultation's row FOR
    SHARE, and updating it there would deadlock with a second process's batch waiting on
    this one's invitation rows."""
    async with units() as work:
        done = await work.repo(ConsultationRepository).mark_invited(consultation_id, work.now())
    if done:
        log.info("consultation %s: every invitation queued", consultation_id)


async def send_outcomes(units: UnitsOfWork) -> int:
    """Outcome notes to every contributor of consultations with an outcome; how many."""
    async with units() as work:
        waiting = await work.repo(ConsultationRepository).to_tell_outcome()
    queued = 0
    for c in waiting:
        for _ in range(MAX_BATCHES):
            async with units() as work:
                repo = work.repo(InvitationRepository)
                batch = await repo.outcome_batch(c.id, work.now(), BATCH)
                async with work.out.batched():
                    for person in batch:
                        note = outcome_note(c, as_lang(person.lang))
                        await work.out.text(person.chat_id, note, priority=Priority.BULK)
                finished = not batch and not await repo.left_to_tell(c.id)
                if finished:
                    await work.repo(ConsultationRepository).mark_outcome_told(c.id, work.now())
            queued += len(batch)
            if finished:
                log.info("consultation %s: every outcome note queued", c.id)
                break
            await asyncio.sleep(BREATHER)
    return queued
