"""/export: asked for in the update (a job row and one progress message), built by a tick
off the update path (bot.features.exports.jobs), sent as two documents.

Admins export every sub-district (and items not yet placed), including items they hid or
merged, with their status; members export their own sub-districts' visible items only. The
rows are the items of bot.domain.stats (visible in the period), so an export and /stats
count the same items (for members exactly; admins' exports add the hidden and merged ones).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import date, datetime, timedelta
from typing import Any, Self

from bot.config import Settings
from bot.domain import District
from bot.domain.clock import Clock
from bot.domain.stats import Period, days_period
from bot.features.exports.texts import t
from bot.features.stats import Scope, sees_everything
from bot.telegram.audit import Audit
from bot.telegram.labels import subdistrict_name
from bot.telegram.outbox import Outbox
from bot.telegram.texts import Lang, as_lang
from bot.telegram.work import Work
from storage.records import ExportJobRecord, ExportRow, StaffRecord
from storage.repositories import ExportRepository, StaffRepository
from storage.statuses import ALL_SUBDISTRICTS, ExportStatus, OpinionStatus, Role

#: A running export whose claim was not refreshed for this long was left by a process that
#: died: another takes it again (a page is read in well under a second).
STALE_AFTER = timedelta(minutes=3)
#: Items read per short transaction.
PAGE = 500
#: Statuses an export lists: members see what members see; admins also hidden and merged.
MEMBER_STATUSES = (OpinionStatus.RECEIVED,)
ADMIN_STATUSES = (OpinionStatus.RECEIVED, OpinionStatus.HIDDEN, OpinionStatus.MERGED)


@dataclass(frozen=True)
class Asked:
    """An export's parameters, as kept in `export_jobs.params`."""

    first_day: date
    last_day: date
    subdistricts: tuple[str, ...]  # ("*",): every one
    statuses: tuple[str, ...]

    def params(self) -> dict[str, Any]:
        return {
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "subdistricts": list(self.subdistricts),
            "statuses": list(self.statuses),
        }

    @classmethod
    def of(cls, params: dict[str, Any]) -> Asked:
        return cls(
            date.fromisoformat(str(params["from"])),
            date.fromisoformat(str(params["to"])),
            tuple(str(c) for c in params.get("subdistricts", [ALL_SUBDISTRICTS])),
            tuple(str(s) for s in params.get("statuses", MEMBER_STATUSES)),
        )

    def period(self, settings: Settings) -> Period:
        return days_period(self.first_day, self.last_day, settings.tz)

    @property
    def codes(self) -> tuple[str, ...] | None:
        return None if ALL_SUBDISTRICTS in self.subdistricts else self.subdistricts


def asked_for(period: Period, scope: Scope, member: StaffRecord) -> Asked:
    return Asked(
        period.first_day,
        period.last_day,
        (ALL_SUBDISTRICTS,) if scope.everywhere else scope.codes,
        ADMIN_STATUSES if member.role == Role.ADMIN else MEMBER_STATUSES,
    )


def still_allowed(member: StaffRecord | None, asked: Asked) -> bool:
    """The requester may still see what the job lists (roles change at any time)."""
    if member is None:
        return False
    if member.role != Role.ADMIN and any(s != OpinionStatus.RECEIVED for s in asked.statuses):
        return False
    if sees_everything(member):
        return True
    return asked.codes is not None and all(c in member.subdistricts for c in asked.codes)


@dataclass
class ExportService:
    exports: ExportRepository
    staff: StaffRepository
    audit: Audit
    out: Outbox
    _: KW_ONLY
    clock: Clock
    settings: Settings
    district: District

    @classmethod
    def from_work(cls, work: Work) -> Self:
        return cls(
            work.repo(ExportRepository),
            work.repo(StaffRepository),
            work.service(Audit),
            work.out,
            clock=work.clock,
            settings=work.settings,
            district=work.district,
        )

    def scope_name(self, asked: Asked, lang: Lang) -> str:
        if asked.codes is None:
            return t(lang, "scope_all")
        sep = "、" if lang == "zh" else ", "
        names = [subdistrict_name(self.district, code, lang) for code in asked.codes]
        return sep.join(names)

    def say(self, key: str, asked: Asked, lang: Lang, **values: object) -> str:
        return t(
            lang,
            key,
            first=asked.first_day.isoformat(),
            last=asked.last_day.isoformat(),
            scope=self.scope_name(asked, lang),
            **values,
        )

    async def request(
        self, member: StaffRecord, chat_id: int, asked: Asked, lang: Lang
    ) -> int | None:
        """Record the job, queue its progress message, audit it; None when the requester
        already has one in the making (one at a time each)."""
        if await self.exports.active_for(member.telegram_id) is not None:
            return None
        row_id = await self.out.question(chat_id, self.say("export_queued", asked, lang), None)
        now = self.clock.now()
        job_id = await self.exports.create(member.telegram_id, lang, asked.params(), row_id, now)
        await self.audit.record(
            member.telegram_id, "export", after={"job": job_id, **asked.params()}
        )
        return job_id

    # What the tick does, each in a short unit of work of its own:

    async def claim_next(self, owner: str) -> ExportJobRecord | None:
        now = self.clock.now()
        for job_id in await self.exports.claimable(now - STALE_AFTER):
            job = await self.exports.claim(job_id, owner, now, now - STALE_AFTER)
            if job is not None:
                return job
        return None

    async def start(self, job: ExportJobRecord, owner: str) -> int | None:
        """Check the requester may still see it and count its rows (None: refused, and
        the job is ended and the requester told)."""
        asked = Asked.of(job.params)
        lang = as_lang(job.lang)
        member = await self.staff.get(job.requester_id)
        if not still_allowed(member, asked):
            await self.end(job, owner, ExportStatus.FAILED, "export_not_allowed", "not allowed")
            return None
        period = asked.period(self.settings)
        total = await self.exports.count_rows(period.start, period.end, asked.codes, asked.statuses)
        await self.exports.touch(job.id, owner, self.clock.now(), rows_total=total)
        if total:
            await self.edit(job, self.say("export_progress", asked, lang, done=0, total=total))
        return total

    async def page(self, job: ExportJobRecord, after_id: int, limit: int = PAGE) -> list[ExportRow]:
        asked = Asked.of(job.params)
        period = asked.period(self.settings)
        return await self.exports.rows(
            period.start, period.end, asked.codes, asked.statuses, after_id=after_id, limit=limit
        )

    async def progress(
        self, job: ExportJobRecord, owner: str, done: int, total: int, *, show: bool
    ) -> bool:
        """Record the rows read (and keep the claim fresh); with `show`, edit the progress
        message. False: another process took the job (this one stops)."""
        if not await self.exports.touch(job.id, owner, self.clock.now(), rows_done=done):
            return False
        if show:
            asked = Asked.of(job.params)
            key = "export_progress" if done < total else "export_building"
            await self.edit(
                job, self.say(key, asked, as_lang(job.lang), done=min(done, total), total=total)
            )
        return True

    async def deliver(
        self,
        job: ExportJobRecord,
        owner: str,
        rows: int,
        files: Sequence[tuple[str, bytes]],
        notes: Sequence[str],
    ) -> bool:
        """End the job once (a conditional mark) and queue its files; False when another
        process ended it first."""
        if not await self.exports.finish(job.id, owner, self.clock.now(), ExportStatus.DONE):
            return False
        asked = Asked.of(job.params)
        lang = as_lang(job.lang)
        if not rows:
            await self.edit(job, self.say("export_empty", asked, lang), fallback=True)
            return True
        done = self.say("export_done", asked, lang, total=rows)
        await self.edit(job, "\n".join([done, *notes]), fallback=True)
        caption = self.say("export_caption", asked, lang, total=rows)
        for filename, content in files:
            await self.out.document(job.requester_id, filename, content, caption)
        return True

    async def end(
        self, job: ExportJobRecord, owner: str, status: str, key: str, error: str
    ) -> None:
        if await self.exports.finish(job.id, owner, self.clock.now(), status, error[:500]):
            await self.edit(job, t(as_lang(job.lang), key), fallback=True)

    async def edit(self, job: ExportJobRecord, html: str, *, fallback: bool = False) -> None:
        """Edit the job's progress message; if it never went out, `fallback` sends the text
        as a message of its own (the last word of a job must reach the requester)."""
        message_id = await self.exports.progress_message_id(job.id)
        if message_id is not None:
            await self.out.edit(job.requester_id, message_id, html)
        elif fallback:
            await self.out.text(job.requester_id, html)

    def file_stem(self, job: ExportJobRecord) -> str:
        asked = Asked.of(job.params)
        where = "all"
        if asked.codes is not None:
            subs = [self.district.by_code(c) for c in asked.codes]
            where = "-".join(s.latin.lower().replace(" ", "") for s in subs if s is not None)
        return f"yushi-export-{asked.first_day:%Y%m%d}-{asked.last_day:%Y%m%d}-{where}"[:120]

    def now(self) -> datetime:
        return self.clock.now()
