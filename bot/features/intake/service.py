"""How an opinion is written: drafts, tagging, confirmation and submission.

Plain logic over repositories; the Telegram layer turns the results into messages.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, replace
from datetime import datetime, timedelta
from typing import Self

from bot.domain import (
    CATEGORIES,
    CategoryGuess,
    District,
    LocationGuess,
    SubdistrictGuess,
    check_opinion_text,
    clean_text,
    locate,
    suggest_category,
    suggest_subdistrict,
)
from bot.domain.answers import UNSURE as TYPED_UNSURE
from bot.domain.answers import category_answer, subdistrict_answer
from bot.domain.clock import Clock
from bot.features.moderation.service import ModerationService, Review
from bot.telegram.work import Work
from storage.records import DraftPart, DraftRecord, OpinionRecord, ResidentRecord
from storage.repositories import DraftRepository, OpinionRepository
from storage.statuses import DraftStage

# The draft stages by their short names, as this module speaks of them throughout.
NEED_TEXT = DraftStage.NEED_TEXT
SUBDISTRICT = DraftStage.SUBDISTRICT
CATEGORY = DraftStage.CATEGORY
#: The "不确定" choice of the sub-district question.
UNSURE = "u"


@dataclass(frozen=True)
class Ask:
    """The draft needs the resident's next answer; `stage` says which."""

    draft: DraftRecord
    stage: str
    text_guess: SubdistrictGuess | None = None
    location_guess: LocationGuess | None = None
    category_guess: CategoryGuess | None = None
    note: str | None = None  # "appended", "photo_added", "location_added", "edited"


@dataclass(frozen=True)
class Rejected:
    """The text cannot become (part of) an opinion; `reason` is a TextCheck reason."""

    reason: str
    length: int = 0
    limit: int = 0


@dataclass(frozen=True)
class RateLimited:
    count: int
    until: datetime


@dataclass(frozen=True)
class Submitted:
    opinion: OpinionRecord
    #: Visible to members now, or waiting for an admin (held by a rule, or pre-moderation).
    review: Review | None = None


@dataclass(frozen=True)
class Stale:
    """A button for a draft that is gone, someone else's, or past that step."""


@dataclass(frozen=True)
class EditedOpinion:
    opinion: OpinionRecord


@dataclass(frozen=True)
class EditUnrelated:
    pass


Outcome = Ask | Rejected | RateLimited | Submitted | Stale | EditedOpinion | EditUnrelated


def best_suggestion(
    text_guess: SubdistrictGuess | None, location_guess: LocationGuess | None
) -> tuple[str | None, float]:
    """The sub-district to offer first, and how sure we are of it.

    What the resident wrote wins over an approximate pin, unless the text is weaker.
    """
    code, confidence = None, 0.0
    if location_guess is not None and location_guess.inside:
        code, confidence = location_guess.code, location_guess.confidence
    if (
        text_guess is not None
        and text_guess.code is not None
        and (code is None or text_guess.confidence >= confidence)
    ):
        code, confidence = text_guess.code, text_guess.confidence
    return code, confidence


@dataclass
class IntakeService:
    drafts: DraftRepository
    opinions: OpinionRepository
    district: District
    moderation: ModerationService
    _: KW_ONLY
    clock: Clock
    max_chars: int
    per_hour: int

    @classmethod
    def from_work(cls, work: Work) -> Self:
        return cls(
            work.repo(DraftRepository),
            work.repo(OpinionRepository),
            work.district,
            work.service(ModerationService),
            clock=work.clock,
            max_chars=work.settings.opinion_max_chars,
            per_hour=work.settings.opinions_per_hour,
        )

    # --- what the resident sends -------------------------------------------------------

    async def add_text(self, resident: ResidentRecord, message_id: int, raw: str) -> Outcome:
        text = clean_text(raw)
        check = check_opinion_text(text, max_chars=self.max_chars)
        if not check.ok:
            return Rejected(check.reason, check.length, self.max_chars)
        draft = await self.drafts.open_for(resident.id)
        if draft is None:
            limited = await self._rate_limit(resident)
            if limited:
                return limited
            text_guess = suggest_subdistrict(text, self.district)
            code, confidence = best_suggestion(text_guess, None)
            draft = await self.drafts.create(
                resident.id,
                stage=SUBDISTRICT,
                parts=[DraftPart(message_id, text)],
                suggested_subdistrict=code,
                suggestion_confidence=confidence,
                now=self.clock.now(),
            )
            return Ask(draft, SUBDISTRICT, text_guess)
        return await self._append(draft, message_id, text)

    async def add_photo(
        self, resident: ResidentRecord, message_id: int, file_id: str, caption: str | None
    ) -> Outcome:
        text = clean_text(caption or "")
        check = check_opinion_text(text, max_chars=self.max_chars)
        if text and not check.ok and check.reason != "empty":
            return Rejected(check.reason, check.length, self.max_chars)
        draft = await self.drafts.open_for(resident.id)
        if draft is None:
            limited = await self._rate_limit(resident)
            if limited:
                return limited
            parts = [DraftPart(message_id, text)] if check.ok else []
            draft = await self.drafts.create(
                resident.id,
                stage=SUBDISTRICT if check.ok else NEED_TEXT,
                parts=parts,
                photo_file_ids=[file_id],
                now=self.clock.now(),
            )
            if not check.ok:
                return Ask(draft, NEED_TEXT, note="photo")
            return await self._ask_subdistrict(draft)
        if check.ok and draft.parts and len(draft.text) + 1 + len(text) > self.max_chars:
            return Rejected("append_too_long", 0, self.max_chars)  # the photo is not kept
        draft = await self.drafts.save(
            replace(draft, photo_file_ids=(*draft.photo_file_ids, file_id)), self.clock.now()
        )
        if check.ok:
            return await self._append(draft, message_id, text)
        return await self._reask(draft, note="photo_added")

    async def add_location(
        self, resident: ResidentRecord, latitude: float, longitude: float
    ) -> Outcome:
        draft = await self.drafts.open_for(resident.id)
        if draft is None:
            limited = await self._rate_limit(resident)
            if limited:
                return limited
            draft = await self.drafts.create(
                resident.id,
                stage=NEED_TEXT,
                latitude=latitude,
                longitude=longitude,
                now=self.clock.now(),
            )
            return Ask(draft, NEED_TEXT, location_guess=self._locate(draft), note="location")
        draft = await self.drafts.save(
            replace(draft, latitude=latitude, longitude=longitude), self.clock.now()
        )
        if draft.stage == SUBDISTRICT:
            return await self._ask_subdistrict(draft, note="location_added")
        return await self._reask(draft, note="location_added")

    async def edit(self, resident: ResidentRecord, message_id: int, raw: str) -> Outcome:
        """An edited message: it changes the draft it is part of, or is kept as a revision."""
        text = clean_text(raw)
        check = check_opinion_text(text, max_chars=self.max_chars)
        draft = await self.drafts.open_for(resident.id)
        if draft and any(p.message_id == message_id for p in draft.parts):
            if not check.ok:
                return Rejected(check.reason, check.length, self.max_chars)
            parts = tuple(
                DraftPart(p.message_id, text if p.message_id == message_id else p.text)
                for p in draft.parts
            )
            if len("\n".join(p.text for p in parts)) > self.max_chars:
                return Rejected("append_too_long", 0, self.max_chars)
            draft = await self.drafts.save(replace(draft, parts=parts), self.clock.now())
            if draft.stage == SUBDISTRICT:
                return await self._ask_subdistrict(draft, note="edited")
            return await self._reask(draft, note="edited")
        opinion = await self.opinions.by_source_message(resident.id, message_id)
        if opinion is None:
            # Not part of anything we kept (a refused text, an answer, a command): the
            # resident is asked to send it anew rather than guessing it is an opinion.
            return EditUnrelated()
        if not check.ok:
            return Rejected(check.reason, check.length, self.max_chars)
        await self.opinions.add_revision(opinion.id, message_id, text)
        return EditedOpinion(opinion)

    # --- what the resident presses -------------------------------------------------------

    async def choose_subdistrict(
        self, resident: ResidentRecord, draft_id: int, choice: str
    ) -> Outcome:
        draft = await self._own_draft(resident, draft_id, {SUBDISTRICT, CATEGORY})
        if draft is None:
            return Stale()
        if choice == UNSURE:
            return await self._set_subdistrict(draft, None)
        sub = self.district.by_index(choice)
        if sub is None:
            return Stale()
        return await self._set_subdistrict(draft, sub.code)

    async def _set_subdistrict(self, draft: DraftRecord, code: str | None) -> Ask:
        unsure = code is None
        draft = await self.drafts.save(
            replace(
                draft,
                stage=CATEGORY,
                subdistrict=code,
                subdistrict_unsure=unsure,
                suggested_category=suggest_category(draft.text).key,
            ),
            self.clock.now(),
        )
        return Ask(draft, CATEGORY, category_guess=suggest_category(draft.text))

    async def choose_category(self, resident: ResidentRecord, draft_id: int, key: str) -> Outcome:
        draft = await self._own_draft(resident, draft_id, {CATEGORY})
        if draft is None or key not in {c.key for c in CATEGORIES}:
            return Stale()
        return await self._submit(draft, key)

    async def _submit(self, draft: DraftRecord, key: str) -> Submitted:
        opinion = await self.opinions.create_from_draft(draft, key, self.clock.now())
        await self.drafts.delete(draft.id)
        # Moderation decides: visible to members now (queued for their digests in this same
        # transaction), or held for an admin first.
        review = await self.moderation.review(opinion)
        return Submitted(opinion, review)

    async def cancel(self, resident: ResidentRecord) -> bool:
        draft = await self.drafts.open_for(resident.id)
        if draft is None:
            return False
        await self.drafts.delete(draft.id)
        return True

    async def current(self, resident: ResidentRecord) -> Ask | None:
        """The question an open draft is waiting on (to show it again)."""
        draft = await self.drafts.open_for(resident.id)
        return await self._reask(draft) if draft else None

    # --- internals ---------------------------------------------------------------------

    async def _append(self, draft: DraftRecord, message_id: int, text: str) -> Outcome:
        if any(p.message_id == message_id for p in draft.parts):
            return await self._reask(draft)  # the same message again: nothing new
        # A short typed reply to the open question is an answer, not more of the opinion.
        if draft.stage == SUBDISTRICT and draft.parts:
            answer = subdistrict_answer(text, self.district)
            if answer is not None:
                return await self._set_subdistrict(
                    draft, None if answer == TYPED_UNSURE else answer
                )
        if draft.stage == CATEGORY:
            key = category_answer(text)
            if key is not None:
                return await self._submit(draft, key)
        combined = len(draft.text) + 1 + len(text) if draft.parts else len(text)
        if combined > self.max_chars:
            return Rejected("append_too_long", combined, self.max_chars)
        was_waiting = draft.stage == NEED_TEXT
        draft = await self.drafts.save(
            replace(
                draft,
                parts=(*draft.parts, DraftPart(message_id, text)),
                stage=SUBDISTRICT if was_waiting else draft.stage,
            ),
            self.clock.now(),
        )
        if draft.stage == SUBDISTRICT:
            return await self._ask_subdistrict(draft, note=None if was_waiting else "appended")
        return await self._reask(draft, note="appended")

    async def _ask_subdistrict(self, draft: DraftRecord, note: str | None = None) -> Ask:
        text_guess = suggest_subdistrict(draft.text, self.district) if draft.text else None
        location_guess = self._locate(draft)
        code, confidence = best_suggestion(text_guess, location_guess)
        if (code, confidence) != (draft.suggested_subdistrict, draft.suggestion_confidence):
            draft = await self.drafts.save(
                replace(draft, suggested_subdistrict=code, suggestion_confidence=confidence),
                self.clock.now(),
            )
        return Ask(draft, SUBDISTRICT, text_guess, location_guess, note=note)

    async def _reask(self, draft: DraftRecord, note: str | None = None) -> Ask:
        if draft.stage == CATEGORY:
            return Ask(draft, CATEGORY, category_guess=suggest_category(draft.text), note=note)
        if draft.stage == SUBDISTRICT:
            return await self._ask_subdistrict(draft, note)
        return Ask(draft, NEED_TEXT, location_guess=self._locate(draft), note=note)

    def _locate(self, draft: DraftRecord) -> LocationGuess | None:
        if draft.latitude is None or draft.longitude is None:
            return None
        return locate(draft.latitude, draft.longitude, self.district)

    async def _own_draft(
        self, resident: ResidentRecord, draft_id: int, stages: set[DraftStage]
    ) -> DraftRecord | None:
        draft = await self.drafts.get(draft_id)
        if draft is None or draft.resident_id != resident.id or draft.stage not in stages:
            return None
        return draft

    async def _rate_limit(self, resident: ResidentRecord) -> RateLimited | None:
        now = self.clock.now()
        since = now - timedelta(hours=1)
        count = await self.opinions.count_since(resident.id, since)
        if count < self.per_hour:
            return None
        oldest = await self.opinions.oldest_since(resident.id, since)
        return RateLimited(count, (oldest or now) + timedelta(hours=1))
