"""The audit log, shared by every feature: one call per action (admin decisions, role and
settings changes), with who, what, before and after, and why. Residents are named by
pseudonym only, so erasure and retention leave the log whole without keeping anyone's
identity."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any, Self

from bot.domain.clock import Clock
from bot.telegram.work import Work
from storage.records import AuditRecord
from storage.repositories import AuditRepository


@dataclass
class Audit:
    log: AuditRepository
    _: KW_ONLY
    clock: Clock

    @classmethod
    def from_work(cls, work: Work) -> Self:
        return cls(work.repo(AuditRepository), clock=work.clock)

    async def record(
        self,
        actor_id: int | None,
        action: str,
        *,
        opinion_id: int | None = None,
        subject: str | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> int:
        return await self.log.append(
            self.clock.now(),
            actor_id,
            action,
            opinion_id=opinion_id,
            subject=subject,
            before=before,
            after=after,
            reason=reason,
        )

    async def page(self, **filters: Any) -> list[AuditRecord]:
        return await self.log.page(**filters)
