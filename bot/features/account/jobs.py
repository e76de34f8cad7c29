"""The account feature's scheduled work: retention, as the privacy notice promises."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.features.account.service import AccountService
from bot.telegram.work import Work

log = logging.getLogger(__name__)


async def retention(work: Work, slot: datetime) -> None:
    """Hourly: opinions past RETENTION_DAYS keep only their anonymous facts; abandoned drafts
    and old follow-up cards go."""
    expired = await work.service(AccountService).purge_expired(work.now())
    if expired.opinions or expired.drafts or expired.cards:
        log.info("retention: %s", expired)
