"""How an opinion is written: what a message is, drafts, routing, confirmation, submission.

Plain logic over repositories; the Telegram layer turns the results into messages.

A message is sorted before anything opens: a question about the service, a greeting, thanks,
a typed command or a confirmation is answered as such (`Answered`); only a problem opens a
draft, and a message that might be one is asked about first. A draft then asks only what
is missing, one question at a time, each numbered (`question_seq`): when place and topic
are both clear, one card with [提交] [改街道] [改类别]; a problem that seems outside the
district, two problems in one message, or a forwarded text are asked about before that.
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
from bot.domain.intents import Intent, Kind, Topic, classify
from bot.domain.references import parse_reference
from bot.domain.similar import same_matter
from bot.domain.split import Part, split_problems
from bot.domain.text import mask_personal_data, matching_form
from bot.features.intake import callbacks as cb
from bot.features.intake.outcomes import (
    ASKING,
    BURST_PIECE,
    BURST_WINDOW,
    CATEGORY,
    CONFIRM,
    CONSULT,
    MAX_LAT,
    MAX_LON,
    NEED_TEXT,
    OUTSIDE,
    OWN,
    PLACE_FILLER,
    SPLIT,
    SUBDISTRICT,
    SUPPORT,
    TYPED_ACTIONS,
    TYPED_DROP,
    UNCLEAR,
    UNSURE,
    Answered,
    Ask,
    Dropped,
    EditedOpinion,
    EditUnrelated,
    Outcome,
    RateLimited,
    Rejected,
    Similar,
    SplitSubmitted,
    Stale,
    Submitted,
    Superseded,
    Supported,
    best_suggestion,
    clear_topic,
    is_outside,
)
from bot.features.moderation.service import ModerationService, Review
from bot.telegram.work import Work
from storage.records import (
    ConsultationRecord,
    DraftPart,
    DraftRecord,
    OpinionRecord,
    ResidentRecord,
)
from storage.repositories import (
    ConsultationRepository,
    DraftRepository,
    OpinionRepository,
    ResidentRepository,
)
from storage.statuses import ConsultationStatus, DraftStage

#: How far back an open opinion is offered to join.
SIMILAR_DAYS = timedelta(days=60)

__all__ = [
    "ASKING",
    "CATEGORY",
    "CONFIRM",
    "CONSULT",
    "NEED_TEXT",
    "OUTSIDE",
    "OWN",
    "SPLIT",
    "SUBDISTRICT",
    "SUPPORT",
    "UNCLEAR",
    "UNSURE",
    "Answered",
    "Ask",
    "Dropped",
    "EditUnrelated",
    "EditedOpinion",
    "IntakeService",
    "Outcome",
    "RateLimited",
    "Rejected",
    "SplitSubmitted",
    "Stale",
    "Submitted",
    "Superseded",
    "Supported",
    "best_suggestion",
]


@dataclass
class IntakeService:
    drafts: DraftRepository
    opinions: OpinionRepository
    district: District
    moderation: ModerationService
    consultations: ConsultationRepository
    residents: ResidentRepository
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
            work.repo(ConsultationRepository),
            work.repo(ResidentRepository),
            clock=work.clock,
            max_chars=work.settings.opinion_max_chars,
            per_hour=work.settings.opinions_per_hour,
        )

    # --- what the resident sends -------------------------------------------------------

    async def add_text(
        self,
        resident: ResidentRecord,
        message_id: int,
        raw: str,
        *,
        forwarded: bool = False,
        sent_at: datetime | None = None,
    ) -> Outcome:
        text = clean_text(raw)
        check = check_opinion_text(text, max_chars=self.max_chars)
        draft = await self.drafts.open_for(resident.id)
        if draft is not None and any(p.message_id == message_id for p in draft.parts):
            return await self._reask(draft)  # the same message again: nothing new
        if check.reason in ("empty", "no_words"):
            return Rejected(check.reason, check.length, self.max_chars)
        if draft is not None and self._continues_burst(draft, sent_at):
            return await self._append(draft, message_id, text, quiet=True)
        if draft is not None and draft.stage in ASKING:
            typed = await self._typed_answer(draft, text)
            if typed is not None:
                return typed
        if parse_reference(text.strip()) is not None:
            # "YZ-000123": the resident asks about an opinion, /my shows it.
            status = Intent(Kind.COMMAND, Topic.STATUS)
            return Answered(status, await self._reask(draft) if draft else None)
        if draft is not None and draft.stage == NEED_TEXT and self._bare_place(text):
            # Still only a place: it replaces the one before, the problem is still to come.
            draft = await self._save(draft, parts=(DraftPart(message_id, text),))
            return await self._asking(draft, NEED_TEXT, note="place")
        intent = classify(text)
        if intent.kind not in (Kind.PROBLEM, Kind.UNCLEAR) and not forwarded:
            return Answered(intent, await self._reask(draft) if draft else None)
        if not check.ok:
            return Rejected(check.reason, check.length, self.max_chars)
        if draft is not None:
            if draft.stage == UNCLEAR:
                # More words after "is this something to raise?": it is.
                draft = await self._save(draft, stage=NEED_TEXT)
            return await self._append(draft, message_id, text)
        limited = await self._rate_limit(resident)
        if limited:
            return limited
        part = DraftPart(message_id, text)
        if not forwarded and self._bare_place(text):
            draft = await self._create(resident, NEED_TEXT, parts=[part])
            return await self._asking(draft, NEED_TEXT, note="place")
        if forwarded:
            draft = await self._create(resident, OWN, parts=[part], forwarded=True)
            return await self._asking(draft, OWN)
        if intent.kind == Kind.UNCLEAR:
            draft = await self._create(resident, UNCLEAR, parts=[part])
            return await self._asking(draft, UNCLEAR)
        draft = await self._create(resident, SUBDISTRICT, parts=[part])
        return await self._route(draft)

    async def add_photo(
        self, resident: ResidentRecord, message_id: int, file_id: str, caption: str | None
    ) -> Outcome:
        text = clean_text(caption or "")
        check = check_opinion_text(text, max_chars=self.max_chars)
        if check.reason in ("no_words", "too_short"):
            text, check = "", check_opinion_text("", max_chars=self.max_chars)  # 😡: no caption
        if text and not check.ok and check.reason != "empty":
            return Rejected(check.reason, check.length, self.max_chars)
        draft = await self.drafts.open_for(resident.id)
        if draft is None:
            limited = await self._rate_limit(resident)
            if limited:
                return limited
            parts = [DraftPart(message_id, text)] if check.ok else []
            draft = await self._create(
                resident, SUBDISTRICT if check.ok else NEED_TEXT, parts=parts, photos=[file_id]
            )
            if not check.ok:
                return await self._asking(draft, NEED_TEXT, note="photo")
            return await self._route(draft)
        if check.ok and draft.parts and len(draft.text) + 1 + len(text) > self.max_chars:
            return Rejected("append_too_long", 0, self.max_chars)  # the photo is not kept
        draft = await self._save(draft, photo_file_ids=(*draft.photo_file_ids, file_id))
        if check.ok:
            return await self._append(draft, message_id, text)
        return await self._reask(draft, note="photo_added")

    async def add_voice(
        self, resident: ResidentRecord, message_id: int, file_id: str, caption: str | None
    ) -> Outcome:
        """A voice message is an opinion of its own (or part of the open one): kept as
        Telegram's file id; the resident still confirms the sub-district with buttons."""
        text = clean_text(caption or "")
        draft = await self.drafts.open_for(resident.id)
        if draft is None:
            limited = await self._rate_limit(resident)
            if limited:
                return limited
            parts = [DraftPart(message_id, text)] if text else []
            draft = await self._create(resident, SUBDISTRICT, parts=parts, voices=[file_id])
            return await self._route(draft)
        draft = await self._save(draft, voice_file_ids=(*draft.voice_file_ids, file_id))
        if draft.stage in (NEED_TEXT, UNCLEAR):
            return await self._route(draft)
        return await self._reask(draft, note="voice_added")

    async def add_location(
        self, resident: ResidentRecord, latitude: float, longitude: float
    ) -> Outcome:
        if not (abs(latitude) <= MAX_LAT and abs(longitude) <= MAX_LON):
            return Rejected("bad_location")
        draft = await self.drafts.open_for(resident.id)
        if draft is None:
            limited = await self._rate_limit(resident)
            if limited:
                return limited
            draft = await self._create(resident, NEED_TEXT, latitude=latitude, longitude=longitude)
            return await self._asking(
                draft, NEED_TEXT, location_guess=self._locate(draft), note="location"
            )
        draft = await self._save(draft, latitude=latitude, longitude=longitude)
        place_open = draft.stage in (SUBDISTRICT, CONFIRM) or (
            draft.stage == CATEGORY and draft.subdistrict is None
        )
        if draft.text and place_open:
            # The pin may settle the place, or show it is outside the district.
            return await self._route(draft)
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
            draft = await self._save(draft, parts=parts)
            if draft.stage == UNCLEAR and classify(draft.text).kind == Kind.PROBLEM:
                return await self._route(draft)  # the edit made it clear: a problem
            if draft.stage in (SUBDISTRICT, CATEGORY, CONFIRM, OUTSIDE, SPLIT):
                # New words may name another place or topic: tag them afresh, ask again.
                draft = await self._save(
                    draft, subdistrict=None, subdistrict_unsure=False, category=None
                )
                ask = await self._route(draft)
                return replace(ask, note="edited")
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
        self, resident: ResidentRecord, draft_id: int, seq: int, choice: str
    ) -> Outcome:
        draft = await self._pressed(resident, draft_id, seq, {SUBDISTRICT})
        if not isinstance(draft, DraftRecord):
            return draft
        if choice == UNSURE:
            return await self._set_subdistrict(draft, None)
        sub = self.district.by_index(choice)
        if sub is None:
            return Stale()
        return await self._set_subdistrict(draft, sub.code)

    async def choose_category(
        self, resident: ResidentRecord, draft_id: int, seq: int, key: str
    ) -> Outcome:
        draft = await self._pressed(resident, draft_id, seq, {CATEGORY})
        if not isinstance(draft, DraftRecord):
            return draft
        if key not in {c.key for c in CATEGORIES}:
            return Stale()
        if draft.subdistrict is None and not draft.subdistrict_unsure:
            draft = await self._save(draft, category=key)
            return await self._next_question(draft, split_checked=True)
        return await self._offer_or_submit(draft, key)

    async def act(self, resident: ResidentRecord, draft_id: int, seq: int, action: str) -> Outcome:
        """The other buttons: the card, "is this a problem?", outside, split, forwarded."""
        draft = await self._pressed(resident, draft_id, seq, ASKING)
        if not isinstance(draft, DraftRecord):
            return draft
        return await self._answer(draft, action)

    async def _answer(self, draft: DraftRecord, action: str) -> Outcome:
        stage = draft.stage
        if stage == CONFIRM and action == cb.SUBMIT:
            return await self._submit(draft, draft.category or suggest_category(draft.text).key)
        if stage == CONFIRM and action == cb.CHANGE_SUBDISTRICT:
            return await self._ask_subdistrict(draft)
        if stage in (CONFIRM, SUBDISTRICT) and action == cb.CHANGE_CATEGORY:
            return await self._asking(draft, CATEGORY, category_guess=suggest_category(draft.text))
        if stage == UNCLEAR and action == cb.IS_PROBLEM:
            return await self._route(draft)
        if stage == UNCLEAR and action == cb.NOT_PROBLEM:
            return await self._drop(draft, "not_problem")
        if stage == OUTSIDE and action == cb.ANYWAY:
            return await self._after_outside(draft)
        if stage == OUTSIDE and action == cb.NOT_SUBMIT:
            return await self._drop(draft, "outside")
        if stage == SPLIT and action == cb.SPLIT:
            return await self._split(draft)
        if stage == SPLIT and action == cb.AS_ONE:
            return await self._next_question(draft, split_checked=True)
        if stage == OWN and action == cb.MINE:
            # Someone else's phone or ID number in a forwarded text is not kept.
            parts = tuple(DraftPart(p.message_id, mask_personal_data(p.text)) for p in draft.parts)
            draft = await self._save(draft, parts=parts, forwarded=False)
            return await self._route(draft)
        if stage == OWN and action == cb.NOT_MINE:
            return await self._drop(draft, "not_mine")
        if stage == SUPPORT and action == cb.ME_TOO:
            return await self._support(draft)
        if stage == SUPPORT and action == cb.APART:
            return await self._submit(draft, draft.category or suggest_category(draft.text).key)
        if stage == CONSULT and action == cb.JOIN:
            consultation = await self._open_consultation(draft, again=True)
            if consultation is not None:  # else closed meanwhile: it goes on its own
                draft = await self._save(draft, consultation_id=consultation.id)
            return await self._submit(draft, draft.category or suggest_category(draft.text).key)
        if stage == CONSULT and action == cb.APART:
            return await self._submit(draft, draft.category or suggest_category(draft.text).key)
        return Superseded()  # a button of another stage: that step is past

    async def cancel(self, resident: ResidentRecord) -> DraftRecord | None:
        """Drop the open draft; the dropped draft (its live question is to be withdrawn)."""
        draft = await self.drafts.open_for(resident.id)
        if draft is None:
            return None
        await self.drafts.delete(draft.id)
        return draft

    async def current(self, resident: ResidentRecord) -> Ask | None:
        """The question an open draft is waiting on (to show it again)."""
        draft = await self.drafts.open_for(resident.id)
        return await self._reask(draft) if draft else None

    async def live_question(self, resident: ResidentRecord) -> int | None:
        """The outbox row of the question the resident's draft waits on, if any."""
        draft = await self.drafts.open_for(resident.id)
        return draft.question_outbox_id if draft is not None else None

    async def asked(self, draft: DraftRecord, outbox_id: int | None) -> None:
        """The question was queued as outbox row `outbox_id` (None: no buttons)."""
        await self._save(draft, question_outbox_id=outbox_id)

    # --- typed answers -------------------------------------------------------------------

    async def _typed_answer(self, draft: DraftRecord, text: str) -> Outcome | None:
        """A short typed reply to the open question, taken as that answer (None: not one)."""
        stage = draft.stage
        word = PLACE_FILLER.sub("", text.casefold()) or text.casefold().strip()
        if word in TYPED_DROP or text.casefold().strip(" .!。！") in TYPED_DROP:
            return await self._drop(draft, "cancelled")
        action = TYPED_ACTIONS.get(stage, {}).get(word) or TYPED_ACTIONS.get(stage, {}).get(
            text.casefold().strip(" .!。！")
        )
        if action is not None:
            return await self._answer(draft, action)
        intent = classify(text)
        if intent.kind == Kind.CONFIRM:
            return await self._confirmed(draft)
        if intent.kind == Kind.DENY:
            return await self._denied(draft)
        if stage in (SUBDISTRICT, CONFIRM):
            answer = subdistrict_answer(text, self.district)
            if answer is not None:
                return await self._set_subdistrict(
                    draft, None if answer == TYPED_UNSURE else answer
                )
        if stage in (CATEGORY, CONFIRM):
            key = category_answer(text)
            if key is None and stage == CATEGORY and len(word) <= 6:
                # A topic word rather than a topic's name: "噪音", "治安", "路灯".
                guess = suggest_category(text)
                key = guess.key if guess.key != "other" else None
            if key is not None:
                if stage == CONFIRM or (draft.subdistrict is None and not draft.subdistrict_unsure):
                    draft = await self._save(draft, category=key)
                    return await self._next_question(draft, split_checked=True)
                return await self._offer_or_submit(draft, key)
        return None

    async def _confirmed(self, draft: DraftRecord) -> Outcome:
        """对 / 好的 / 是 at a question: its first, suggested answer."""
        match draft.stage:
            case DraftStage.CONFIRM:
                return await self._answer(draft, cb.SUBMIT)
            case DraftStage.SUBDISTRICT if draft.suggested_subdistrict:
                return await self._set_subdistrict(draft, draft.suggested_subdistrict)
            case DraftStage.CATEGORY if draft.suggested_category not in (None, "other"):
                return await self._offer_or_submit(draft, draft.suggested_category or "other")
            case DraftStage.UNCLEAR:
                return await self._answer(draft, cb.IS_PROBLEM)
            case DraftStage.OUTSIDE:
                return await self._answer(draft, cb.NOT_SUBMIT)  # "yes, it is outside"
            case DraftStage.SPLIT:
                return await self._answer(draft, cb.SPLIT)
            case DraftStage.OWN:
                return await self._answer(draft, cb.MINE)
            case DraftStage.SUPPORT:
                return await self._answer(draft, cb.ME_TOO)
            case DraftStage.CONSULT:
                return await self._answer(draft, cb.JOIN)
        return await self._reask(draft, note="use_buttons")

    async def _denied(self, draft: DraftRecord) -> Outcome:
        """不是 / 不对 at a question."""
        match draft.stage:
            case DraftStage.UNCLEAR:
                return await self._answer(draft, cb.NOT_PROBLEM)
            case DraftStage.OUTSIDE:
                # "No" to "this is in Jiangbei, call 12345": no to which half? The buttons say.
                return await self._reask(draft, note="use_buttons")
            case DraftStage.SPLIT:
                return await self._answer(draft, cb.AS_ONE)
            case DraftStage.OWN:
                return await self._answer(draft, cb.NOT_MINE)
            case DraftStage.SUPPORT | DraftStage.CONSULT:
                return await self._answer(draft, cb.APART)
            case DraftStage.CONFIRM:
                return await self._reask(draft, note="what_to_change")
        return await self._reask(draft, note="use_buttons")

    # --- routing -------------------------------------------------------------------------

    async def _route(self, draft: DraftRecord) -> Ask:
        """A draft that now has its words: what to ask first."""
        if draft.stage in (NEED_TEXT, UNCLEAR, OWN):
            draft = await self._save(draft, stage=SUBDISTRICT)
        text_guess = suggest_subdistrict(draft.text, self.district) if draft.text else None
        pin = self._locate(draft)
        if is_outside(text_guess, pin):
            return await self._asking(draft, OUTSIDE, text_guess=text_guess, location_guess=pin)
        return await self._next_question(draft)

    async def _after_outside(self, draft: DraftRecord) -> Ask:
        """The resident says it is in Yuzhong after all: ask the sub-district (no guess)."""
        draft = await self._save(draft, suggested_subdistrict=None, suggestion_confidence=None)
        return await self._asking(draft, SUBDISTRICT, note="insisted")

    async def _next_question(self, draft: DraftRecord, *, split_checked: bool = False) -> Ask:
        """Only what is missing. Place and topic both clear: one card. Otherwise the
        question for what is missing, showing what is already known; its answer submits.
        A message with two problems is offered a split first."""
        text = draft.text
        if not split_checked and text:
            parts = split_problems(text, self.district)
            if len(parts) >= 2:
                return await self._asking(draft, SPLIT, parts=tuple(parts))
        text_guess = suggest_subdistrict(text, self.district) if text else None
        pin = self._locate(draft)
        code, confidence = best_suggestion(text_guess, pin)
        topic = suggest_category(text)
        draft = await self._save(
            draft,
            suggested_subdistrict=code,
            suggestion_confidence=confidence,
            suggested_category=topic.key,
            category=draft.category or (topic.key if clear_topic(topic) else None),
        )
        if draft.subdistrict is None and not draft.subdistrict_unsure:
            clear = code is not None and (
                (text_guess is not None and text_guess.code == code and text_guess.level == "high")
                or (pin is not None and pin.inside and pin.code == code and pin.level == "high")
            )
            if not clear:
                return await self._asking(
                    draft, SUBDISTRICT, text_guess=text_guess, location_guess=pin
                )
            draft = await self._save(draft, subdistrict=code)
        if draft.category is None:
            return await self._asking(draft, CATEGORY, category_guess=topic, text_guess=text_guess)
        consultation = await self._open_consultation(draft)
        if consultation is not None:
            draft = await self._save(draft, consultation_offered=True)
            return await self._asking(draft, CONSULT, consultation_title=consultation.title)
        similar = await self._similar(draft)
        if similar is not None:
            draft = await self._save(draft, support_offered=True)
            return await self._asking(draft, SUPPORT, similar=similar)
        return await self._asking(draft, CONFIRM, text_guess=text_guess, category_guess=topic)

    async def _set_subdistrict(self, draft: DraftRecord, code: str | None) -> Outcome:
        """The resident named the place: with the topic known, that submits it (a place
        typed at the card changes the card instead, shown again)."""
        at_card = draft.stage == CONFIRM
        draft = await self._save(draft, subdistrict=code, subdistrict_unsure=code is None)
        if at_card:
            return await self._next_question(draft, split_checked=True)
        if draft.category is not None:
            return await self._offer_or_submit(draft, draft.category)
        return await self._asking(draft, CATEGORY, category_guess=suggest_category(draft.text))

    async def _ask_subdistrict(self, draft: DraftRecord, note: str | None = None) -> Ask:
        text_guess = suggest_subdistrict(draft.text, self.district) if draft.text else None
        pin = self._locate(draft)
        code, confidence = best_suggestion(text_guess, pin)
        draft = await self._save(
            draft,
            subdistrict=None,
            subdistrict_unsure=False,
            suggested_subdistrict=code,
            suggestion_confidence=confidence,
        )
        return await self._asking(
            draft, SUBDISTRICT, text_guess=text_guess, location_guess=pin, note=note
        )

    async def _split(self, draft: DraftRecord) -> Outcome:
        """Each part with a clear place goes now; the first part without one stays as the
        draft (with any others), asked like any other."""
        parts = split_problems(draft.text, self.district)
        if len(parts) < 2:
            return await self._next_question(draft, split_checked=True)
        ready = [p for p in parts if p.subdistrict is not None]
        left = [p for p in parts if p.subdistrict is None]
        closed: str | None = None
        if ready:
            draft, closed = await self._still_attached(draft)
        done: list[Submitted] = []
        for part in ready:
            done.append(await self._submit_part(draft, part, closed))
        if not left:
            await self.drafts.delete(draft.id)
            return SplitSubmitted(tuple(done))
        message_id = draft.parts[0].message_id if draft.parts else 0
        rest = "\n".join(p.text for p in left)
        draft = await self._save(
            draft,
            parts=(DraftPart(message_id, rest),),
            subdistrict=None,
            category=None,
            stage=SUBDISTRICT,
        )
        then = await self._next_question(draft, split_checked=True)
        if not done:
            return then
        first, *others = done
        return replace(first, also=tuple((s.opinion, s.review) for s in others), then=then)

    async def _submit_part(
        self, draft: DraftRecord, part: Part, closed: str | None = None
    ) -> Submitted:
        piece = replace(
            draft,
            parts=tuple(DraftPart(p.message_id, part.text) for p in draft.parts[:1]),
            subdistrict=part.subdistrict,
            subdistrict_unsure=False,
        )
        opinion = await self.opinions.create_from_draft(piece, part.category, self.clock.now())
        await self._home(draft.resident_id, opinion.subdistrict)
        review = await self.moderation.review(opinion)
        return self._submitted(opinion, review, await self._title(draft), closed)

    async def _offer_or_submit(self, draft: DraftRecord, key: str) -> Outcome:
        """Submit, unless the same matter is open in the sub-district already: then the
        resident is offered to join it ("我也是") first, once. A consultation open in its
        sub-district is offered instead (one extra question at most)."""
        consultation = await self._open_consultation(draft)
        if consultation is not None:
            draft = await self._save(draft, category=key, consultation_offered=True)
            return await self._asking(draft, CONSULT, consultation_title=consultation.title)
        similar = await self._similar(draft)
        if similar is None:
            return await self._submit(draft, key)
        draft = await self._save(draft, category=key, support_offered=True)
        return await self._asking(draft, SUPPORT, similar=similar)

    async def _similar(self, draft: DraftRecord, *, again: bool = False) -> Similar | None:
        """The open opinion of the same matter with the most residents behind it, by the
        digests' own similarity, among the sub-district's last 60 days."""
        if (draft.support_offered and not again) or draft.subdistrict is None or not draft.text:
            return None
        if draft.consultation_id is not None:
            return None  # an answer to a consultation stays one, not a +1 elsewhere
        since = self.clock.now() - SIMILAR_DAYS
        rows = await self.opinions.open_in(
            draft.subdistrict, since, exclude_resident=draft.resident_id
        )
        matched = [rows[i] for i in same_matter(draft.text, [r[1] for r in rows], self.district)]
        if not matched:
            return None
        best = max(matched, key=lambda r: (r[2], r[0]))
        return Similar(best[0], sum(r[2] for r in matched), best[1])

    async def _support(self, draft: DraftRecord) -> Outcome:
        """我也是: the resident backs the open opinion instead of sending it again."""
        similar = await self._similar(draft, again=True)
        if similar is None:  # gone meanwhile (hidden, erased): theirs goes on its own
            return await self._submit(draft, draft.category or suggest_category(draft.text).key)
        await self.opinions.add_supporter(similar.opinion_id, draft.resident_id, self.clock.now())
        await self.drafts.delete(draft.id)
        return Supported(similar.opinion_id, similar.residents + 1, similar.text)

    async def _submit(self, draft: DraftRecord, key: str) -> Submitted:
        draft, closed = await self._still_attached(draft)
        opinion = await self.opinions.create_from_draft(draft, key, self.clock.now())
        await self.drafts.delete(draft.id)
        await self._home(draft.resident_id, opinion.subdistrict)
        # Moderation decides: visible to members now (queued for their digests in this same
        # transaction), or held for an admin first.
        review = await self.moderation.review(opinion)
        return self._submitted(opinion, review, await self._title(draft), closed)

    @staticmethod
    def _submitted(
        opinion: OpinionRecord, review: Review | None, title: str | None, closed: str | None
    ) -> Submitted:
        if closed is not None:
            return Submitted(opinion, review, consultation_title=closed, consultation_closed=True)
        return Submitted(opinion, review, consultation_title=title)

    async def _still_attached(self, draft: DraftRecord) -> tuple[DraftRecord, str | None]:
        """At submission the consultation a draft answers is read again: closed since the
        resident pressed 参与讨论 (or its deadline passed, not yet closed by a tick), the
        opinion goes on its own. The draft, and the title of the consultation it left."""
        if draft.consultation_id is None:
            return draft, None
        c = await self.consultations.get(draft.consultation_id)
        now = self.clock.now()
        if c is not None and c.status == ConsultationStatus.OPEN and (c.deadline or now) > now:
            return draft, None
        draft = await self._save(draft, consultation_id=None)
        return draft, (c.title if c is not None else None) or ""

    async def _home(self, resident_id: int, subdistrict: str | None) -> None:
        """Invitations go to the sub-district of the resident's latest opinion."""
        if subdistrict is not None:
            await self.residents.set_home_subdistrict(resident_id, subdistrict)

    async def _title(self, draft: DraftRecord) -> str | None:
        if draft.consultation_id is None:
            return None
        consultation = await self.consultations.get(draft.consultation_id)
        return consultation.title if consultation is not None else None

    async def _open_consultation(
        self, draft: DraftRecord, *, again: bool = False
    ) -> ConsultationRecord | None:
        """The consultation open in the draft's sub-district (the one closing first), to
        offer once; None when already attached or offered, or nothing is open there."""
        if draft.consultation_id is not None or draft.subdistrict is None:
            return None
        if draft.consultation_offered and not again:
            return None
        here = [
            c
            for c in await self.consultations.open_now(self.clock.now())
            if draft.subdistrict in c.subdistricts
        ]
        if not here:
            return None
        return min(here, key=lambda c: (c.deadline or self.clock.now(), c.id))

    async def answer_consultation(
        self, resident: ResidentRecord, consultation: ConsultationRecord
    ) -> Ask:
        """[💬 参与讨论] under an invitation: a draft attached to the consultation, its
        sub-district the resident's own when the consultation covers it (or its only one);
        their next message is the opinion. A draft already open is asked again instead."""
        draft = await self.drafts.open_for(resident.id)
        if draft is not None:
            return await self._reask(draft, note="finish_first")
        subs = consultation.subdistricts
        home = resident.home_subdistrict
        code = home if home in subs else (subs[0] if len(subs) == 1 else None)
        draft = await self.drafts.create(
            resident.id,
            stage=NEED_TEXT,
            subdistrict=code,
            consultation_id=consultation.id,
            now=self.clock.now(),
        )
        return await self._asking(draft, NEED_TEXT, note="consult")

    async def _drop(self, draft: DraftRecord, reason: str) -> Dropped:
        await self.drafts.delete(draft.id)
        return Dropped(reason)

    # --- internals ---------------------------------------------------------------------

    async def _append(
        self, draft: DraftRecord, message_id: int, text: str, *, quiet: bool = False
    ) -> Outcome:
        combined = len(draft.text) + 1 + len(text) if draft.parts else len(text)
        if combined > self.max_chars:
            return Rejected("append_too_long", combined, self.max_chars)
        had_words = bool(draft.text)
        draft = await self._save(draft, parts=(*draft.parts, DraftPart(message_id, text)))
        if draft.stage == NEED_TEXT or not had_words:
            return await self._route(draft)
        if not quiet and draft.stage in (SUBDISTRICT, CATEGORY, CONFIRM):
            # "还有…大坪时代天街…" in a message of its own: a second problem, offered apart.
            parts = split_problems(draft.text, self.district)
            if len(parts) >= 2:
                return await self._asking(draft, SPLIT, parts=tuple(parts), note="appended")
        return await self._reask(draft, note=None if quiet else "appended")

    def _continues_burst(self, draft: DraftRecord, sent_at: datetime | None) -> bool:
        """The client cut a long text into several messages: the pieces come seconds apart,
        each but the last near Telegram's 4096 characters."""
        if sent_at is None or draft.updated_at is None or not draft.parts:
            return False
        last = draft.parts[-1].text
        return len(last) >= BURST_PIECE and sent_at - draft.updated_at <= BURST_WINDOW

    def _bare_place(self, text: str) -> bool:
        """Only a place name ("解放碑", or 观音桥 outside the district): the problem itself
        is still to come."""
        answer = subdistrict_answer(text, self.district)
        if answer is not None:
            return answer != TYPED_UNSURE
        guess = suggest_subdistrict(text, self.district)
        if guess.outside is None:
            return False
        rest = matching_form(text)
        for m in guess.matches:
            rest = rest.replace(m.text, "")
        return not PLACE_FILLER.sub("", rest)

    async def _reask(self, draft: DraftRecord, note: str | None = None) -> Ask:
        """The open question again (a new message; the old one is withdrawn)."""
        match draft.stage:
            case DraftStage.CATEGORY:
                return await self._asking(
                    draft, CATEGORY, category_guess=suggest_category(draft.text), note=note
                )
            case DraftStage.SUBDISTRICT:
                return await self._ask_subdistrict(draft, note)
            case DraftStage.CONFIRM:
                return await self._asking(
                    draft, CONFIRM, category_guess=suggest_category(draft.text), note=note
                )
            case DraftStage.OUTSIDE:
                text_guess = suggest_subdistrict(draft.text, self.district) if draft.text else None
                return await self._asking(
                    draft,
                    OUTSIDE,
                    text_guess=text_guess,
                    location_guess=self._locate(draft),
                    note=note,
                )
            case DraftStage.SUPPORT:
                similar = await self._similar(draft, again=True)
                if similar is None:
                    return await self._next_question(draft, split_checked=True)
                return await self._asking(draft, SUPPORT, similar=similar, note=note)
            case DraftStage.CONSULT:
                consultation = await self._open_consultation(draft, again=True)
                if consultation is None:
                    return await self._next_question(draft, split_checked=True)
                return await self._asking(
                    draft, CONSULT, consultation_title=consultation.title, note=note
                )
            case DraftStage.SPLIT:
                parts = split_problems(draft.text, self.district)
                if len(parts) < 2:
                    return await self._next_question(draft, split_checked=True)
                return await self._asking(draft, SPLIT, parts=tuple(parts), note=note)
        return await self._asking(
            draft, DraftStage(draft.stage), location_guess=self._locate(draft), note=note
        )

    async def _asking(
        self,
        draft: DraftRecord,
        stage: DraftStage,
        *,
        text_guess: SubdistrictGuess | None = None,
        location_guess: LocationGuess | None = None,
        category_guess: CategoryGuess | None = None,
        note: str | None = None,
        parts: tuple[Part, ...] = (),
        similar: Similar | None = None,
        consultation_title: str | None = None,
    ) -> Ask:
        """A new question: numbered, so the buttons of any earlier one stop acting. The
        earlier question's outbox row stays on the draft for the handler to withdraw."""
        draft = await self._save(draft, stage=stage, question_seq=draft.question_seq + 1)
        if consultation_title is None:
            consultation_title = await self._title(draft)
        return Ask(
            draft,
            stage,
            text_guess=text_guess,
            location_guess=location_guess,
            category_guess=category_guess,
            note=note,
            parts=parts,
            similar=similar,
            consultation_title=consultation_title,
        )

    async def _pressed(
        self,
        resident: ResidentRecord,
        draft_id: int,
        seq: int,
        stages: frozenset[DraftStage] | set[DraftStage],
    ) -> DraftRecord | Stale | Superseded:
        """The draft a press acts on; Stale for someone else's or a gone draft, Superseded
        for a question already answered or replaced. The pressed message is the live
        question: the handler turns it into the answer (the next question, or the receipt)."""
        draft = await self.drafts.get(draft_id)
        if draft is None or draft.resident_id != resident.id:
            return Stale()
        if seq != draft.question_seq or draft.stage not in stages:
            return Superseded()
        return draft

    def _locate(self, draft: DraftRecord) -> LocationGuess | None:
        if draft.latitude is None or draft.longitude is None:
            return None
        return locate(draft.latitude, draft.longitude, self.district)

    async def _create(
        self,
        resident: ResidentRecord,
        stage: DraftStage,
        *,
        parts: list[DraftPart] | None = None,
        photos: list[str] | None = None,
        voices: list[str] | None = None,
        forwarded: bool = False,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> DraftRecord:
        return await self.drafts.create(
            resident.id,
            stage=stage,
            parts=parts or [],
            photo_file_ids=photos or [],
            voice_file_ids=voices or [],
            forwarded=forwarded,
            latitude=latitude,
            longitude=longitude,
            now=self.clock.now(),
        )

    async def _save(self, draft: DraftRecord, **changes: object) -> DraftRecord:
        changed = replace(draft, **changes)  # type: ignore[arg-type]
        return await self.drafts.save(changed, self.clock.now())

    async def _rate_limit(self, resident: ResidentRecord) -> RateLimited | None:
        now = self.clock.now()
        since = now - timedelta(hours=1)
        count = await self.opinions.count_since(resident.id, since)
        if count < self.per_hour:
            return None
        oldest = await self.opinions.oldest_since(resident.id, since)
        return RateLimited(count, (oldest or now) + timedelta(hours=1))
