"""Group chats and channels the bot has already pointed to a private chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import GroupChat


class GroupChatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_notice(self, chat_id: int, kind: str, now: datetime) -> bool:
        """True the first time a chat is seen (and remembers it), False afterwards."""
        seen = await self.session.scalar(
            select(GroupChat.chat_id).where(GroupChat.chat_id == chat_id)
        )
        if seen is not None:
            return False
        self.session.add(GroupChat(chat_id=chat_id, kind=kind, notified_at=now))
        await self.session.flush()
        return True
