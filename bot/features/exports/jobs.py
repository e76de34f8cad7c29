"""Exports at every scheduler tick, off the update path: claim a job (one conditional UPDATE;
a claim left stale by a dead process is taken again), read its rows a page at a time, each
page in a short transaction, build both files in a thread outside any transaction, then
queue them in one last short transaction that ends the job once.

The progress message is edited at most every EDIT_EVERY seconds: Telegram allows about one
message a second per chat, edits included, and the requester may be chatting meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import datetime

from bot.features.exports.service import ExportService
from bot.features.exports.views import build
from bot.telegram.texts import as_lang
from bot.telegram.work import UnitsOfWork
from storage.records import ExportJobRecord, ExportRow
from storage.statuses import ExportStatus

log = logging.getLogger(__name__)

#: Who claims jobs in this process (export_jobs.claimed_by).
OWNER = f"{socket.gethostname()[:20]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:40]
#: Seconds between two edits of one progress message.
EDIT_EVERY = 3.0
#: Jobs one tick builds at most (the next tick takes the rest): the scheduler runs the
#: features' tickers one after another, so a tick of several builds would hold up
#: consultations closing and the next digests.
PER_TICK = 1
#: Seconds between two refreshes of a job's claim while its files are built in a thread
#: (a claim not refreshed for STALE_AFTER is taken by another process).
HEARTBEAT = 30.0


async def export_tick(units: UnitsOfWork, now: datetime) -> None:
    for _ in range(PER_TICK):
        async with units() as work:
            job = await work.service(ExportService).claim_next(OWNER)
        if job is None:
            return
        await run(units, job)


async def run(units: UnitsOfWork, job: ExportJobRecord, owner: str = OWNER) -> None:
    """Build and send one claimed job; on failure it ends failed and the requester is told."""
    try:
        await _run(units, job, owner)
    except Exception as exc:
        log.exception("export %s failed", job.id)
        async with units() as work:
            await work.service(ExportService).end(
                job, owner, ExportStatus.FAILED, "export_failed", repr(exc)
            )


async def _keep_claim(
    units: UnitsOfWork, job: ExportJobRecord, owner: str, done: int, total: int
) -> None:
    """Refresh the claim while the files are built, so a long build is not taken again."""
    while True:
        await asyncio.sleep(HEARTBEAT)
        async with units() as work:
            if not await work.service(ExportService).progress(job, owner, done, total, show=False):
                return


async def _run(units: UnitsOfWork, job: ExportJobRecord, owner: str) -> None:
    async with units() as work:
        total = await work.service(ExportService).start(job, owner)
    if total is None:
        return
    loop = asyncio.get_running_loop()
    shown_at = loop.time()
    rows: list[ExportRow] = []
    after = 0
    while True:
        async with units() as work:
            service = work.service(ExportService)
            page = await service.page(job, after)
            rows.extend(page)
            show = bool(page) and loop.time() - shown_at >= EDIT_EVERY
            if not await service.progress(job, owner, len(rows), total, show=show):
                log.info("export %s: another process took it", job.id)
                return
            if show:
                shown_at = loop.time()
            stem = service.file_stem(job)
            district, tz = service.district, service.settings.tz
        if not page:
            break
        after = page[-1].opinion_id
    files = None
    if rows:
        keep = asyncio.create_task(_keep_claim(units, job, owner, len(rows), total))
        try:
            files = await asyncio.to_thread(
                build, rows, lang=as_lang(job.lang), tz=tz, district=district, name=stem
            )
        finally:
            keep.cancel()
    async with units() as work:
        made = [f for f in (files.csv, files.xlsx) if f is not None] if files else []
        notes = files.notes if files else ()
        if not await work.service(ExportService).deliver(job, owner, len(rows), made, notes):
            log.info("export %s: another process finished it", job.id)
