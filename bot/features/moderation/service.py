"""Moderation: what happens to an opinion at submission (visible, pending or held, with the
reasons), and the admins' decisions on it, each checked against the opinion's state in one
conditional UPDATE (two admins on one item: the second learns who was first), audited, and
told to the author in their language."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Self

from bot.config import Settings
from bot.domain import District, parse_reference, reference_number
from bot.domain.clock import Clock
from bot.domain.moderation import Hold, HoldReason, WordList, hold_reasons, repeat_key
from bot.features.digests import Visibility
from bot.features.moderation.texts import t
from bot.telegram.audit import Audit
from bot.telegram.outbox import Outbox
from bot.telegram.texts import as_lang
from bot.telegram.work import Work
from storage.records import OpinionRecord, ResidentRecord
from storage.repositories import DigestRepository, OpinionRepository, ResidentRepository
from storage.statuses import OpinionStatus

#: The same text again within this long is held as a repeat…
REPEAT_WINDOW = timedelta(days=7)
#: …if it is at least this long once normalised.
MIN_REPEAT = 8
#: Reasons an admin picks from (translated for authors); any other reason is typed.
REJECT_REASONS = (
    "off_topic",
    "abusive",
    "personal_data",
    "advertising",
    "not_yuzhong",
    "duplicate",
)

S = OpinionStatus
#: Which states each decision may start from, and where it leads.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({S.PENDING, S.HELD}), S.RECEIVED),
    "reject": (frozenset({S.PENDING, S.HELD, S.RECEIVED}), S.REJECTED),
    "hide": (frozenset({S.RECEIVED}), S.HIDDEN),
    "unhide": (frozenset({S.HIDDEN}), S.RECEIVED),
    "merge": (frozenset({S.PENDING, S.HELD, S.RECEIVED}), S.MERGED),
}

_word_lists: dict[Path | None, WordList] = {}


def word_list(path: Path | None) -> WordList:
    """One list per file for the process: it re-reads the file when it changes."""
    if path not in _word_lists:
        _word_lists[path] = WordList(path)
    return _word_lists[path]


def reload_word_lists() -> None:
    """SIGHUP: read every list again now."""
    for words in _word_lists.values():
        words.reload()


@dataclass(frozen=True)
class Review:
    """What submission came to: visible now, or waiting (held with reasons, or pending)."""

    status: str
    holds: tuple[Hold, ...] = ()

    @property
    def waiting(self) -> bool:
        return self.status != S.RECEIVED


@dataclass(frozen=True)
class Done:
    action: str
    opinion: OpinionRecord


@dataclass(frozen=True)
class AlreadyDone:
    """Someone acted first (or the item is not in a state this action applies to)."""

    opinion: OpinionRecord


@dataclass(frozen=True)
class NotFound:
    pass


@dataclass(frozen=True)
class Invalid:
    why: str  # "same_item", "target_not_open"


Result = Done | AlreadyDone | NotFound | Invalid


@dataclass
class ModerationService:
    opinions: OpinionRepository
    residents: ResidentRepository
    digests: DigestRepository
    visibility: Visibility
    audit: Audit
    out: Outbox
    _: KW_ONLY
    clock: Clock
    settings: Settings
    district: District
    words: WordList = field(repr=False)

    @classmethod
    def from_work(cls, work: Work) -> Self:
        return cls(
            work.repo(OpinionRepository),
            work.repo(ResidentRepository),
            work.repo(DigestRepository),
            work.service(Visibility),
            work.service(Audit),
            work.out,
            clock=work.clock,
            settings=work.settings,
            district=work.district,
            words=word_list(work.settings.moderation_words_file),
        )

    def ref(self, opinion_id: int) -> str:
        return reference_number(self.district.reference_prefix, opinion_id)

    # --- at submission -----------------------------------------------------------------

    async def review(self, opinion: OpinionRecord) -> Review:
        """Visible at once (post mode, nothing found), pending (pre mode) or held (a rule
        matched). Only a visible opinion reaches members' digests now."""
        resident = await self.residents.by_id(opinion.resident_id)
        text = opinion.text or ""
        # The normalised text, hashed: the same text again has the same key, at any length.
        # Very short texts ("路灯坏了") are said alike by different people: not repeats.
        normal = repeat_key(text) if text else ""
        key = (
            hashlib.sha256(normal.encode()).hexdigest()[:40] if len(normal) >= MIN_REPEAT else None
        )
        holds = list(hold_reasons(text, self.words)) if text else []
        now = self.clock.now()
        if key and await self.opinions.same_text_since(key, now - REPEAT_WINDOW, opinion.id):
            holds.append(Hold(HoldReason.REPEATED, ""))
        if resident is not None and resident.ban == "soft":
            holds.append(Hold(HoldReason.BANNED, ""))
        if holds:
            status = S.HELD
        elif self.settings.moderation_mode == "pre":
            status = S.PENDING
        else:
            status = S.RECEIVED
        reasons = [{"reason": str(h.reason), "detail": h.detail} for h in holds]
        await self.opinions.set_review(opinion.id, status, reasons, key)
        if status == S.RECEIVED:
            await self.visibility.make_visible(opinion)
        elif holds:
            await self.audit.record(
                None,
                "auto_hold",
                opinion_id=opinion.id,
                subject=resident.pseudonym if resident else None,
                after={"status": status, "holds": reasons},
                reason=", ".join(sorted({str(h.reason) for h in holds})),
            )
        return Review(status, tuple(holds))

    # --- decisions -----------------------------------------------------------------------

    async def decide(
        self,
        admin_id: int,
        opinion_id: int,
        action: str,
        *,
        reason: str | None = None,
        into: int | None = None,
    ) -> Result:
        """approve, reject, hide, unhide or merge (into another item): once."""
        allowed, to = TRANSITIONS[action]
        before = await self.opinions.get(opinion_id)
        if before is None:
            return NotFound()
        target: OpinionRecord | None = None
        if action == "merge":
            if into is None or into == opinion_id:
                return Invalid("same_item")
            target = await self.opinions.get(into)
            if target is None or target.status in (S.REJECTED, S.MERGED):
                return Invalid("target_not_open")
        now = self.clock.now()
        changed = await self.opinions.transition(
            opinion_id, allowed, to, by=admin_id, now=now, reason=reason, merged_into=into
        )
        after = await self.opinions.get(opinion_id)
        assert after is not None
        if not changed:
            return AlreadyDone(after)
        was_visible = before.status == S.RECEIVED
        if to == S.RECEIVED:
            # Approval (or unhiding) is the moment members may see it.
            await self.visibility.make_visible(after)
        elif was_visible:
            # Members who have not yet received it will not.
            await self.digests.drop_pending_for_opinion(opinion_id)
        if action == "merge" and target is not None:
            await self._carry_supporters(before, target)
        pseudonym = await self.residents.pseudonym_of(before.resident_id)
        await self.audit.record(
            admin_id,
            action,
            opinion_id=opinion_id,
            subject=pseudonym,
            before={"status": before.status},
            after={"status": to, **({"merged_into": self.ref(into)} if into else {})},
            reason=reason,
        )
        await self._tell_author(after, action, reason=reason, into=into)
        return Done(action, after)

    async def retag(
        self,
        admin_id: int,
        opinion_id: int,
        *,
        subdistrict: str | None = None,
        category: str | None = None,
    ) -> Result:
        """Another sub-district (members there get it, marked as moved) or category."""
        before = await self.opinions.get(opinion_id)
        if before is None:
            return NotFound()
        if subdistrict is not None and subdistrict != before.subdistrict:
            if before.status == S.RECEIVED:
                await self.visibility.moved(opinion_id, subdistrict)
            else:
                await self.opinions.retag(opinion_id, subdistrict, self.clock.now())
        if category is not None and category != before.category:
            await self.opinions.set_category(opinion_id, category, self.clock.now())
        after = await self.opinions.get(opinion_id)
        assert after is not None
        changes = {
            k: (getattr(before, k), getattr(after, k))
            for k in ("subdistrict", "category")
            if getattr(before, k) != getattr(after, k)
        }
        if not changes:
            return AlreadyDone(after)
        await self.audit.record(
            admin_id,
            "retag",
            opinion_id=opinion_id,
            subject=await self.residents.pseudonym_of(before.resident_id),
            before={k: v[0] for k, v in changes.items()},
            after={k: v[1] for k, v in changes.items()},
        )
        return Done("retag", after)

    async def original(self, admin_id: int, opinion_id: int) -> OpinionRecord | None:
        """The unmasked text, for one admin, recorded in the audit log."""
        opinion = await self.opinions.get(opinion_id)
        if opinion is not None:
            await self.audit.record(
                admin_id,
                "show_original",
                opinion_id=opinion_id,
                subject=await self.residents.pseudonym_of(opinion.resident_id),
            )
        return opinion

    async def queue(self, limit: int, after_id: int = 0) -> tuple[int, list[OpinionRecord]]:
        """Held and pending items, oldest first."""
        return await self.opinions.waiting_review(limit, after_id)

    # --- bans ------------------------------------------------------------------------------

    async def ban(
        self, admin_id: int, resident: ResidentRecord, level: str, reason: str | None
    ) -> None:
        await self.residents.set_ban(resident.id, level, reason, admin_id, self.clock.now())
        await self.audit.record(
            admin_id,
            "ban",
            subject=resident.pseudonym,
            before={"ban": resident.ban},
            after={"ban": level},
            reason=reason,
        )

    async def unban(self, admin_id: int, resident: ResidentRecord) -> bool:
        if resident.ban is None:
            return False
        await self.residents.set_ban(resident.id, None, None, admin_id, self.clock.now())
        await self.audit.record(
            admin_id, "unban", subject=resident.pseudonym, before={"ban": resident.ban}
        )
        return True

    # --- telling people ----------------------------------------------------------------

    async def _carry_supporters(self, source: OpinionRecord, target: OpinionRecord) -> None:
        """The merged item's author and supporters now support the target."""
        people = set(await self.opinions.supporters(source.id))
        if source.resident_id is not None:
            people.add(source.resident_id)
        people.discard(target.resident_id or -1)
        for resident_id in sorted(people):
            await self.opinions.add_supporter(target.id, resident_id, self.clock.now())

    async def _tell_author(
        self, opinion: OpinionRecord, action: str, *, reason: str | None, into: int | None
    ) -> None:
        resident = await self.residents.by_id(opinion.resident_id)
        if resident is None or action not in ("approve", "reject", "hide", "merge"):
            return
        lang = as_lang(resident.lang)
        ref = self.ref(opinion.id)
        values: dict[str, object] = {"ref": ref}
        if action in ("reject", "hide"):
            values["reason"] = reason_text(reason, lang)
        if action == "merge" and into is not None:
            values["into"] = self.ref(into)
        await self.out.text(resident.telegram_id, t(lang, f"author_{action}", **values))


def reason_text(reason: str | None, lang: str) -> str:
    """A listed reason in the author's language; a typed one as the admin wrote it."""
    if reason in REJECT_REASONS:
        return t(lang, f"reason_{reason}")
    return reason or t(lang, "reason_none")


def parse_refs(words: Sequence[str], prefix: str) -> list[int] | None:
    """Reference numbers (YZ-000123, yz123, 123); None when a word is not one."""
    found = []
    for word in words:
        for part in word.replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            n = parse_reference(part, prefix) or (
                int(part) if part.isdigit() and len(part) < 10 else None
            )
            if n is None:
                return None
            found.append(n)
    return found
