"""Consultations: an admin's draft step by step, publishing, closing, the outcome; and the
work ticks do off the update path (invitations, summaries, outcome notes), each queued once.

The draft lives in `consultations` (status draft, `step` = the question asked next), so it
survives restarts; typed answers reach it through the staff member's `awaiting`
("consult:<id>:<step>"). Every admin action goes to the audit log.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from typing import Self

from bot.config import Settings
from bot.domain import District
from bot.domain.clock import Clock
from bot.domain.consultation import Piece, Summary, summarise
from bot.domain.text import clean_text
from bot.telegram.audit import Audit
from bot.telegram.work import Work
from storage.records import Addressee, ConsultationRecord, StaffRecord
from storage.repositories import ConsultationRepository, InvitationRepository, StaffRepository
from storage.statuses import ConsultationStatus

#: The questions of /consult, in order.
TITLE, SUBDISTRICTS, DESCRIPTION, DEADLINE, PREVIEW = (
    "title",
    "subdistricts",
    "description",
    "deadline",
    "preview",
)
STEPS = (TITLE, SUBDISTRICTS, DESCRIPTION, DEADLINE, PREVIEW)
TITLE_MAX, DESCRIPTION_MAX, OUTCOME_MAX = 80, 1500, 2000
MIN_CHARS = 2


def awaiting(consultation_id: int, step: str) -> str:
    """The staff member's `awaiting` while /consult waits on `step`."""
    return f"consult:{consultation_id}:{step}"


def parse_awaiting(value: str) -> tuple[int, str] | None:
    kind, _, rest = value.partition(":")
    raw_id, _, step = rest.partition(":")
    if kind != "consult" or not raw_id.isdigit() or step not in STEPS:
        return None
    return int(raw_id), step


@dataclass(frozen=True)
class Gathered:
    """What a closed consultation's summary is drawn from (read in one short transaction,
    drawn outside any)."""

    consultation: ConsultationRecord
    pieces: tuple[Piece, ...]
    readers: tuple[Addressee, ...]
    #: Attached opinions still waiting for review (held, pending): not in the summary yet.
    waiting: int = 0

    def summary(self, district: District) -> Summary:
        """Clustering is CPU work: done outside the transaction that read the pieces."""
        return summarise(self.pieces, self.consultation.subdistricts, district)


@dataclass
class ConsultationService:
    repo: ConsultationRepository
    invitations: InvitationRepository
    staff: StaffRepository
    audit: Audit
    _: KW_ONLY
    district: District
    settings: Settings
    clock: Clock

    @classmethod
    def from_work(cls, work: Work) -> Self:
        return cls(
            work.repo(ConsultationRepository),
            work.repo(InvitationRepository),
            work.repo(StaffRepository),
            work.service(Audit),
            district=work.district,
            settings=work.settings,
            clock=work.clock,
        )

    # --- the draft --------------------------------------------------------------------

    async def start(self, admin: StaffRecord) -> ConsultationRecord:
        """The admin's draft in progress (resumed where it was), or a new one."""
        draft = await self.repo.draft_of(admin.telegram_id)
        if draft is None:
            draft = await self.repo.create_draft(admin.telegram_id, TITLE, self.clock.now())
        await self._wait(admin.telegram_id, draft.id, draft.step or TITLE)
        return draft

    async def draft_for(self, admin_id: int, consultation_id: int) -> ConsultationRecord | None:
        """The draft a press or a typed answer acts on: only its author's, only a draft."""
        c = await self.repo.get(consultation_id)
        if c is None or c.created_by != admin_id or c.status != ConsultationStatus.DRAFT:
            return None
        return c

    async def set_title(self, c: ConsultationRecord, raw: str) -> ConsultationRecord | None:
        title = " ".join(clean_text(raw).split())
        if not MIN_CHARS <= len(title) <= TITLE_MAX:
            return None
        return await self._step(c, SUBDISTRICTS, title=title)

    async def toggle(self, c: ConsultationRecord, code: str | None) -> ConsultationRecord | None:
        """One sub-district on or off; None ("全部"): all of them, or none if all were on."""
        every = [s.code for s in self.district.subdistricts]
        if code is None:
            chosen = [] if set(c.subdistricts) >= set(every) else every
        elif code in c.subdistricts:
            chosen = [s for s in c.subdistricts if s != code]
        else:
            chosen = [s for s in every if s in c.subdistricts or s == code]
        return await self.repo.update_draft(c.id, subdistricts=chosen)

    async def set_subdistricts(
        self, c: ConsultationRecord, codes: list[str]
    ) -> ConsultationRecord | None:
        every = [s.code for s in self.district.subdistricts]
        chosen = every if "*" in codes else [s for s in every if s in codes]
        return await self._step(c, DESCRIPTION, subdistricts=chosen)

    async def subdistricts_done(self, c: ConsultationRecord) -> ConsultationRecord | None:
        if not c.subdistricts:
            return None
        return await self._step(c, DESCRIPTION)

    async def set_description(self, c: ConsultationRecord, raw: str) -> ConsultationRecord | None:
        text = clean_text(raw).strip()
        if not MIN_CHARS <= len(text) <= DESCRIPTION_MAX:
            return None
        return await self._step(c, DEADLINE, description=text)

    async def set_deadline(
        self, c: ConsultationRecord, deadline: datetime
    ) -> ConsultationRecord | None:
        return await self._step(c, PREVIEW, deadline=deadline)

    async def publish(self, c: ConsultationRecord) -> bool:
        """Draft → open; invitations are queued by the next ticks."""
        if not await self.repo.publish(c.id, self.clock.now()):
            return False
        await self.staff.update(c.created_by, awaiting=None)
        await self.audit.record(
            c.created_by,
            "consultation_opened",
            subject=f"consultation:{c.id}",
            after={
                "title": c.title,
                "subdistricts": list(c.subdistricts),
                "deadline": c.deadline.isoformat() if c.deadline else None,
            },
        )
        return True

    async def abandon(self, c: ConsultationRecord) -> bool:
        await self.staff.update(c.created_by, awaiting=None)
        if not await self.repo.delete_draft(c.id):
            return False
        await self.audit.record(
            c.created_by,
            "consultation_abandoned",
            subject=f"consultation:{c.id}",
            before={"title": c.title},
        )
        return True

    async def stop_waiting(self, admin_id: int) -> None:
        await self.staff.update(admin_id, awaiting=None)

    async def wait_for_outcome(self, admin_id: int, consultation_id: int) -> None:
        """The admin's next text is the outcome of `consultation_id`."""
        await self.staff.update(admin_id, awaiting=f"outcome:{consultation_id}")

    async def _step(
        self, c: ConsultationRecord, step: str, **values: object
    ) -> ConsultationRecord | None:
        done = await self.repo.update_draft(c.id, step=step, **values)
        if done is not None:
            await self._wait(c.created_by, c.id, step)
        return done

    async def _wait(self, admin_id: int, consultation_id: int, step: str) -> None:
        await self.staff.update(admin_id, awaiting=awaiting(consultation_id, step))

    # --- open, close, outcome ---------------------------------------------------------

    async def get(self, consultation_id: int) -> ConsultationRecord | None:
        return await self.repo.get(consultation_id)

    async def listing(self) -> list[tuple[ConsultationRecord, int, int]]:
        """/consultations: open and closed ones, newest first, with contributions and
        residents."""
        return await self.repo.listing()

    async def awaiting_outcome(self) -> list[ConsultationRecord]:
        """Closed consultations whose outcome is not recorded yet, newest first."""
        return [c for c in await self.repo.closed() if c.outcome is None]

    async def invitation_for(
        self, consultation_id: int, resident_id: int
    ) -> ConsultationRecord | None:
        """The consultation a resident's invitation button is about: only if they were
        invited to it."""
        if not await self.invitations.invited(consultation_id, resident_id):
            return None
        return await self.repo.get(consultation_id)

    def is_open(self, c: ConsultationRecord) -> bool:
        """Open, and its deadline not yet passed (a tick may not have closed it yet)."""
        now = self.clock.now()
        return c.status == ConsultationStatus.OPEN and c.deadline is not None and c.deadline > now

    async def close(self, consultation_id: int, by: int | None) -> bool:
        """Open → closed, once: by an admin's command, or (by None) at its deadline. The
        summary follows at the next tick."""
        now = self.clock.now()
        if not await self.repo.close(consultation_id, now, by):
            return False
        await self.audit.record(
            by,
            "consultation_closed",
            subject=f"consultation:{consultation_id}",
            after={"closed_at": now.isoformat(), "at_deadline": by is None},
        )
        return True

    async def close_due(self) -> list[int]:
        """Every open consultation whose deadline has come (read at each tick, from the
        database, against the clock now)."""
        closed = []
        for consultation_id in await self.repo.due_to_close(self.clock.now()):
            if await self.close(consultation_id, None):
                closed.append(consultation_id)
        return closed

    async def record_outcome(self, consultation_id: int, by: int, raw: str) -> bool:
        text = clean_text(raw).strip()[:OUTCOME_MAX]
        if len(text) < MIN_CHARS:
            return False
        await self.staff.update(by, awaiting=None)
        if not await self.repo.record_outcome(consultation_id, text, by, self.clock.now()):
            return False
        await self.audit.record(
            by,
            "consultation_outcome",
            subject=f"consultation:{consultation_id}",
            after={"outcome": text},
        )
        return True

    # --- summary ----------------------------------------------------------------------

    async def gather(self, c: ConsultationRecord) -> Gathered:
        pieces = [
            Piece(x.opinion_id, x.resident_id, x.subdistrict, x.category, x.text or "")
            for x in await self.repo.contributions(c.id)
        ]
        readers = await self.repo.summary_readers(c.subdistricts)
        waiting = await self.repo.waiting_review(c.id)
        return Gathered(c, tuple(pieces), tuple(readers), waiting)
