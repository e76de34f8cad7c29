"""Closing the loop, without Telegram: members act on items (forwarded, adopted, answered,
resolved) and the residents hear back; residents rate and reopen; the one rating reminder.

Who may act is decided here, from the database, at every step (a card only says what a
button stands for): admins, or members following the item's sub-district (or "*"). A
member's action is one conditional UPDATE per item (storage.repositories.followup), so two
members acting at once are both recorded and the first response keeps the earliest time.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, Self

from bot.config import Settings
from bot.domain import District, reference_number
from bot.domain.clock import Clock
from bot.domain.digest import masked
from bot.features.followup.texts import t
from bot.features.followup.views import (
    excerpt,
    local_date,
    rating_keyboard,
    resident_notice,
    who_answered,
)
from bot.telegram.audit import Audit
from bot.telegram.outbox import Outbox
from bot.telegram.texts import as_lang
from bot.telegram.work import Work
from storage.records import (
    ActionCardRecord,
    OpinionBrief,
    OpinionRecord,
    ResidentRecord,
    StaffRecord,
)
from storage.repositories import (
    DigestRepository,
    FollowupRepository,
    OpinionRepository,
    ResidentRepository,
)
from storage.statuses import ALL_SUBDISTRICTS, ActionKind, OpinionStatus, Priority, Progress, Role

#: Longest text a member may send a resident, and longest reopen reason.
TEXT_LIMIT = 1000
#: Longest department name typed (the column holds 64).
DEPARTMENT_LIMIT = 30
#: A reopen prompt waits this long for its reason, then the resident's words are opinions.
REASON_WAIT = timedelta(hours=24)
#: Reminders marked and queued per unit of work: a short write transaction (one UPDATE,
#: one read of the authors, one outbox insert); the ticker runs units until none are due.
REMINDERS_PER_UNIT = 25

#: Button words of the four actions, and what they record.
KINDS: dict[str, ActionKind] = {
    "fw": ActionKind.FORWARDED,
    "ad": ActionKind.ADOPTED,
    "an": ActionKind.ANSWERED,
    "rs": ActionKind.RESOLVED,
}


def may_follow(member: StaffRecord, subdistrict: str | None) -> bool:
    """Admins act on everything; members on the sub-districts they follow ("*": all)."""
    if member.role == Role.ADMIN or ALL_SUBDISTRICTS in member.subdistricts:
        return True
    return subdistrict is not None and subdistrict in member.subdistricts


#: Letters or digits a member's words, a department or a reopening reason need at least.
MIN_WORDS = 2


def check_text(text: str, limit: int = TEXT_LIMIT) -> str | int | None:
    """The words to send (trimmed); None when there are none (empty, or fewer than two
    letters or digits: "。" or "?" says nothing, and the real words that follow would
    otherwise become a new opinion); their length when too long."""
    words = text.strip()
    if sum(1 for ch in words if unicodedata.category(ch)[0] in "LN") < MIN_WORDS:
        return None
    return len(words) if len(words) > limit else words


def within_window(resolved_at: datetime | None, now: datetime, days: int) -> bool:
    return resolved_at is not None and now - resolved_at <= timedelta(days=days)


@dataclass(frozen=True)
class Acted:
    done: tuple[int, ...]
    skipped: tuple[int, ...]


RateOutcome = Literal["not_yours", "not_resolved", "rated", "changed"]
ReopenOutcome = Literal["not_yours", "not_resolved", "window_over", "asked", "reopened"]


@dataclass
class FollowupService:
    repo: FollowupRepository
    opinions: OpinionRepository
    residents: ResidentRepository
    digests: DigestRepository
    out: Outbox
    audit: Audit
    _: KW_ONLY
    clock: Clock
    settings: Settings
    district: District

    @classmethod
    def from_work(cls, work: Work) -> Self:
        return cls(
            work.repo(FollowupRepository),
            work.repo(OpinionRepository),
            work.repo(ResidentRepository),
            work.repo(DigestRepository),
            work.out,
            work.service(Audit),
            clock=work.clock,
            settings=work.settings,
            district=work.district,
        )

    def ref(self, opinion_id: int) -> str:
        return reference_number(self.district.reference_prefix, opinion_id)

    # --- members ---------------------------------------------------------------------------

    async def card_of(self, member: StaffRecord, card_id: int) -> ActionCardRecord | None:
        """The card, if it was made for this member (a forged, forwarded or another member's
        card is None)."""
        card = await self.repo.card(card_id)
        if card is None or card.member_id != member.telegram_id:
            return None
        return card

    async def visible_to(self, member: StaffRecord, opinion_id: int) -> OpinionRecord | None:
        """The opinion, if members can see it and this member may act on it now."""
        opinion = await self.opinions.get(opinion_id)
        if opinion is None or opinion.status != OpinionStatus.RECEIVED:
            return None
        if not may_follow(member, opinion.subdistrict):
            return None
        return opinion

    async def visible_of(
        self, member: StaffRecord, opinion_ids: Sequence[int]
    ) -> dict[int, OpinionBrief]:
        """Of `opinion_ids`, those members can see and this member may act on now, read in
        one query (a digest's picker holds hundreds)."""
        briefs = await self.repo.briefs(opinion_ids)
        return {
            i: b
            for i, b in briefs.items()
            if b.status == OpinionStatus.RECEIVED and may_follow(member, b.subdistrict)
        }

    async def new_card(
        self, member: StaffRecord, opinion_ids: list[int], payload: dict[str, object]
    ) -> ActionCardRecord:
        return await self.repo.add_card(
            member.telegram_id, opinion_ids, dict(payload), self.clock.now()
        )

    async def update_card(self, card: ActionCardRecord, **changes: object) -> ActionCardRecord:
        """The card with `changes` in its payload (the action picked, the department, the
        words typed), stored."""
        payload = {**card.payload, **changes}
        await self.repo.set_payload(card.id, payload)
        return replace(card, payload=payload)

    async def use_card(self, card: ActionCardRecord) -> bool:
        """Once: false when the card was used already (a second press, a replay)."""
        return await self.repo.finish_card(card.id, self.clock.now())

    async def act(
        self,
        member: StaffRecord,
        opinion_ids: tuple[int, ...],
        kind: ActionKind,
        text: str,
        department: str | None = None,
    ) -> Acted:
        """Record the action on each item the member may act on now, audit it and tell
        the author (and, for answers and resolutions, the supporters)."""
        now = self.clock.now()
        done: list[int] = []
        skipped: list[int] = []
        for opinion_id in opinion_ids:
            opinion = await self.visible_to(member, opinion_id)
            recorded = (
                await self.repo.act(
                    opinion_id,
                    kind,
                    actor_id=member.telegram_id,
                    now=now,
                    department=department,
                    text=text,
                )
                if opinion is not None
                else None
            )
            if opinion is None or recorded is None:
                skipped.append(opinion_id)
                continue
            pseudonym = await self.residents.pseudonym_of(opinion.resident_id)
            await self.audit.record(
                member.telegram_id,
                f"followup_{kind.value}",
                opinion_id=opinion_id,
                subject=pseudonym,
                before={"progress": opinion.progress},
                after={"progress": recorded.progress, "department": department},
                reason=text[:500],
            )
            await self._tell(opinion, kind, text, department)
            done.append(opinion_id)
        return Acted(tuple(done), tuple(skipped))

    async def _tell(
        self, opinion: OpinionRecord, kind: ActionKind, text: str, department: str | None
    ) -> None:
        ref = self.ref(opinion.id)
        author = await self.residents.by_id(opinion.resident_id)
        if author is not None and author.blocked_at is None:
            lang = as_lang(author.lang)
            html = resident_notice(
                lang,
                kind,
                ref=ref,
                text=text,
                who=who_answered(self.district, opinion.subdistrict, lang),
                department=department,
                days=self.settings.reopen_days,
            )
            keyboard = rating_keyboard(opinion.id, lang) if kind is ActionKind.RESOLVED else None
            await self.out.text(author.telegram_id, html, keyboard, priority=Priority.BULK)
        if kind not in (ActionKind.ANSWERED, ActionKind.RESOLVED):
            return
        # Supporters hear the answer and the resolution; rating and reopening are the
        # author's alone, so their notice has no buttons.
        supporters = await self.residents.by_ids(await self.opinions.supporters(opinion.id))
        for supporter in supporters.values():
            if supporter.blocked_at is not None:
                continue
            lang = as_lang(supporter.lang)
            key = "supporter_resolved" if kind is ActionKind.RESOLVED else "supporter_answered"
            html = t(
                lang,
                key,
                ref=ref,
                # The author's words, shown to other residents: masked, as in every
                # place someone other than the author reads them.
                excerpt=excerpt(masked(opinion.text)),
                text=text,
                who=who_answered(self.district, opinion.subdistrict, lang),
            )
            await self.out.text(supporter.telegram_id, html, priority=Priority.BULK)

    # --- residents -------------------------------------------------------------------------

    async def _own(self, resident: ResidentRecord, opinion_id: int) -> OpinionRecord | None:
        opinion = await self.opinions.get(opinion_id)
        if opinion is None or opinion.resident_id != resident.id:
            return None
        return opinion

    async def rate(
        self, resident: ResidentRecord, opinion_id: int, stars: int
    ) -> tuple[RateOutcome, str]:
        """Rate a resolved opinion of one's own; again: the latest counts."""
        opinion = await self._own(resident, opinion_id)
        ref = self.ref(opinion_id)
        if opinion is None:
            return "not_yours", ref
        if opinion.progress != Progress.RESOLVED or opinion.status != OpinionStatus.RECEIVED:
            return "not_resolved", ref
        if not await self.repo.rate(opinion_id, stars, now=self.clock.now()):
            return "not_resolved", ref
        await self.audit.record(
            None,
            "followup_rated",
            opinion_id=opinion_id,
            subject=resident.pseudonym,
            before={"rating": opinion.rating},
            after={"rating": stars},
        )
        return ("changed" if opinion.rating is not None else "rated"), ref

    async def ask_reopen(
        self, resident: ResidentRecord, opinion_id: int
    ) -> tuple[ReopenOutcome, str]:
        """The reopen button: within the window, wait for the reason (a card naming the
        resident, so their next words are taken as it)."""
        opinion = await self._own(resident, opinion_id)
        ref = self.ref(opinion_id)
        if opinion is None:
            return "not_yours", ref
        now = self.clock.now()
        if opinion.progress != Progress.RESOLVED or opinion.status != OpinionStatus.RECEIVED:
            return "not_resolved", ref
        if not within_window(opinion.resolved_at, now, self.settings.reopen_days):
            return "window_over", ref
        await self.repo.close_cards_of(resident.telegram_id, "reopen", now)
        await self.repo.add_card(resident.telegram_id, [opinion_id], {"kind": "reopen"}, now)
        return "asked", ref

    async def waiting_reason(self, resident: ResidentRecord) -> ActionCardRecord | None:
        since = self.clock.now() - REASON_WAIT
        return await self.repo.open_card_of(resident.telegram_id, "reopen", since)

    async def cancel_reopen(self, resident: ResidentRecord) -> int:
        return await self.repo.close_cards_of(resident.telegram_id, "reopen", self.clock.now())

    async def reopen(
        self, resident: ResidentRecord, card: ActionCardRecord, reason: str
    ) -> tuple[ReopenOutcome, str]:
        """The reason came: reopen (within the window still), and queue the item again for
        its members' next digest, where it is marked reopened."""
        now = self.clock.now()
        opinion_id = card.opinion_ids[0]
        await self.repo.finish_card(card.id, now)
        opinion = await self._own(resident, opinion_id)
        ref = self.ref(opinion_id)
        if opinion is None or card.member_id != resident.telegram_id:
            return "not_yours", ref
        if opinion.progress != Progress.RESOLVED:
            return "not_resolved", ref
        since = now - timedelta(days=self.settings.reopen_days)
        if not await self.repo.reopen(opinion_id, reason, now=now, resolved_since=since):
            return "window_over", ref
        await self.digests.requeue(opinion_id, opinion.subdistrict, now)
        # The reason is the resident's own words: the audit log (never erased) keeps the
        # fact only; opinion_actions keeps the reason until erasure.
        await self.audit.record(
            None,
            "followup_reopened",
            opinion_id=opinion_id,
            subject=resident.pseudonym,
            before={"progress": Progress.RESOLVED.value},
            after={"progress": Progress.REOPENED.value},
        )
        return "reopened", ref

    # --- the one reminder ------------------------------------------------------------------

    async def remind(self, now: datetime, limit: int = REMINDERS_PER_UNIT) -> int:
        """Residents asked once to rate, and not answering for RATING_REMINDER_DAYS, are
        asked once more, and never a third time: up to `limit` opinions marked in one
        conditional UPDATE (only the rows this call marked are sent), their authors read in
        one query, the messages queued in one insert. Returns how many were marked (the
        ticker runs another unit while a full batch comes back)."""
        before = now - timedelta(days=self.settings.rating_reminder_days)
        due = await self.repo.claim_reminders(before, now, limit)
        if not due:
            return 0
        authors = await self.residents.by_ids([d.resident_id for d in due])
        async with self.out.batched():
            for d in due:
                author = authors.get(d.resident_id)
                if author is None or author.blocked_at is not None:
                    continue
                lang = as_lang(author.lang)
                html = t(
                    lang,
                    "reminder",
                    ref=self.ref(d.opinion_id),
                    excerpt=excerpt(d.text or ""),
                    date=local_date(d.resolved_at or now, self.settings.tz),
                )
                open_window = within_window(d.resolved_at, now, self.settings.reopen_days)
                keyboard = rating_keyboard(d.opinion_id, lang, reopen=open_window)
                await self.out.text(author.telegram_id, html, keyboard, priority=Priority.BULK)
        return len(due)
