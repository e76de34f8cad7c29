"""Consent and language: the first thing stored about a person, and how to speak to them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from bot.domain.clock import Clock
from bot.telegram.work import Work
from storage.records import ResidentRecord
from storage.repositories import ResidentRepository

#: The version of the privacy notice a consent refers to; /mydata shows it.
CONSENT_VERSION = "2026-11"
#: A draft left this long without a word is abandoned: the notice promises it, the account
#: feature's retention job keeps the promise.
DRAFT_DAYS = 30


@dataclass
class ConsentService:
    residents: ResidentRepository
    clock: Clock

    @classmethod
    def from_work(cls, work: Work) -> Self:
        return cls(work.repo(ResidentRepository), work.clock)

    async def consent(self, telegram_id: int, lang: str) -> ResidentRecord | None:
        """Record consent: the first moment anything about the person is stored.

        None if they had already consented (nothing changes then).
        """
        if await self.residents.by_telegram_id(telegram_id) is not None:
            return None
        return await self.residents.consent(telegram_id, lang, CONSENT_VERSION, self.clock.now())

    async def set_language(self, resident: ResidentRecord, lang: str) -> None:
        await self.residents.set_lang(resident.id, lang)

    # --- invitations to consultations: asked once, changed any time --------------------

    async def ask_about_invitations(self, resident_id: int) -> bool:
        """Whether to ask now (after the first receipt): True once per resident, the
        asking recorded."""
        return await self.residents.mark_consult_asked(resident_id, self.clock.now())

    async def set_invitations(self, resident: ResidentRecord, wanted: bool) -> None:
        """The resident's answer, from the first receipt or /invitations."""
        await self.residents.set_consult_opt_in(resident.id, wanted, self.clock.now())
