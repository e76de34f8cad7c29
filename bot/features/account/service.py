"""A resident's own data and standing: export, erasure, whether they blocked the bot."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from datetime import datetime, timedelta
from typing import Any, Self

from bot.domain import reference_number
from bot.domain.clock import Clock
from bot.features.consent.service import CONSENT_VERSION
from bot.telegram.work import Work
from storage.records import ResidentRecord
from storage.repositories import (
    DraftRepository,
    InboxRepository,
    OpinionRepository,
    OutboxRepository,
    ResidentRepository,
)

#: A draft left this long without a word is abandoned.
DRAFT_DAYS = 30


@dataclass(frozen=True)
class Expired:
    opinions: int
    drafts: int


@dataclass
class AccountService:
    residents: ResidentRepository
    opinions: OpinionRepository
    drafts: DraftRepository
    inbox: InboxRepository
    outbox: OutboxRepository
    _: KW_ONLY
    clock: Clock
    reference_prefix: str
    notice_version: str
    retention_days: int

    @classmethod
    def from_work(cls, work: Work) -> Self:
        return cls(
            work.repo(ResidentRepository),
            work.repo(OpinionRepository),
            work.repo(DraftRepository),
            work.repo(InboxRepository),
            work.repo(OutboxRepository),
            clock=work.clock,
            reference_prefix=work.district.reference_prefix,
            notice_version=CONSENT_VERSION,
            retention_days=work.settings.retention_days,
        )

    async def set_blocked(self, telegram_id: int, blocked: bool) -> None:
        await self.residents.set_blocked(telegram_id, self.clock.now() if blocked else None)

    async def purge_expired(self, now: datetime) -> Expired:
        """What the privacy notice promises: opinions older than the retention keep only
        their anonymous facts; drafts nobody touched for DRAFT_DAYS go."""
        opinions = await self.opinions.erase_older_than(
            now - timedelta(days=self.retention_days), now
        )
        drafts = await self.drafts.delete_older_than(now - timedelta(days=DRAFT_DAYS))
        return Expired(opinions, drafts)

    async def erase(self, resident: ResidentRecord) -> int:
        """Erase identity and texts; keep only anonymous facts. Returns opinions touched."""
        count = await self.opinions.erase_for_resident(resident.id, self.clock.now())
        await self.inbox.forget_chat(resident.telegram_id)
        await self.outbox.forget_chat(resident.telegram_id)
        await self.residents.delete(resident.id)  # the draft goes with it (cascade)
        return count

    async def export(self, resident: ResidentRecord) -> dict[str, Any]:
        """Everything held about one resident, in plain JSON types."""
        opinions = await self.opinions.for_resident(resident.id)
        draft = await self.drafts.open_for(resident.id)
        return {
            "generated_at": self.clock.now().isoformat(),
            "notice_version": self.notice_version,
            "resident": {
                "telegram_user_id": resident.telegram_id,
                "pseudonym_shown_to_members": resident.pseudonym,
                "language": resident.lang,
                "consented_at": resident.consented_at.isoformat(),
                "consent_version": resident.consent_version,
                "blocked_bot_at": resident.blocked_at.isoformat() if resident.blocked_at else None,
            },
            "draft": None
            if draft is None
            else {
                "stage": draft.stage,
                "text": draft.text,
                "photo_file_ids": list(draft.photo_file_ids),
                "location": [draft.latitude, draft.longitude] if draft.has_location else None,
                "created_at": draft.created_at.isoformat(),
            },
            "opinions": [
                {
                    "reference": reference_number(self.reference_prefix, op.id),
                    "text": op.text,
                    "subdistrict_code": op.subdistrict,
                    "category": op.category,
                    "status": op.status,
                    "photo_file_ids": list(op.photo_file_ids),
                    "location": [op.latitude, op.longitude] if op.latitude is not None else None,
                    "created_at": op.created_at.isoformat(),
                    "revisions": [
                        {"text": r.text, "created_at": r.created_at.isoformat()}
                        for r in op.revisions
                    ],
                }
                for op in opinions
            ],
        }
