"""Plumbing and world setup for :class:`tgemu.client.EmulatorClient`."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self

import httpx

from .client_types import (
    Action,
    ChatMessage,
    EmuBot,
    EmuChat,
    EmulatorError,
    EmuUser,
)

JSONDict = dict[str, Any]


class ClientCore:
    """HTTP plumbing, configuration, bots, users, chats and chat histories."""

    def __init__(self, base_url: str, *, bot_id: int | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.bot_id = bot_id
        self._http = httpx.AsyncClient(base_url=f"{self.base_url}/_emu", timeout=timeout)

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ------------------------------------------------------------------ plumbing

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: JSONDict | None = None,
        params: JSONDict | None = None,
        wait: float = 0.0,
    ) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        timeout = httpx.Timeout(wait + 10.0) if wait else self._http.timeout
        response = await self._http.request(method, path, json=json, params=query, timeout=timeout)
        data = response.json()
        if not data.get("ok"):
            raise EmulatorError(data.get("error", response.text), response.status_code)
        return data["result"]

    def _bot(self, bot_id: int | None) -> int | None:
        return bot_id if bot_id is not None else self.bot_id

    def _route(self, body: JSONDict, chat_id: int | None, bot_id: int | None) -> JSONDict:
        if chat_id is not None:
            body["chat_id"] = chat_id
        if self._bot(bot_id) is not None:
            body["bot_id"] = self._bot(bot_id)
        return body

    # ------------------------------------------------------------------ setup

    async def health(self) -> JSONDict:
        result: JSONDict = await self._request("GET", "/health")
        return result

    async def reset(self, *, config: bool = False, bots: bool = False) -> None:
        """Forgets users, chats, messages, stats and faults.  Bots stay registered (keeping
        their update_id sequence for a running application) unless ``bots``; ``config``
        restores the default configuration."""
        await self._request("POST", "/reset", json={"config": config, "bots": bots})

    async def get_config(self) -> JSONDict:
        result: JSONDict = await self._request("GET", "/config")
        return result

    async def set_config(self, **values: Any) -> JSONDict:
        """Keys: rate_limit_enforced, callback_query_timeout, strict_html_ampersand,
        conflict_delay, max_long_poll_timeout."""
        result: JSONDict = await self._request("POST", "/config", json=values)
        return result

    async def set_rate_limit_enforcement(self, enabled: bool) -> None:
        await self.set_config(rate_limit_enforced=enabled)

    async def register_bot(
        self,
        token: str,
        *,
        first_name: str | None = None,
        username: str | None = None,
        can_join_groups: bool | None = None,
        can_read_all_group_messages: bool | None = None,
    ) -> EmuBot:
        body = {
            "token": token,
            "first_name": first_name,
            "username": username,
            "can_join_groups": can_join_groups,
            "can_read_all_group_messages": can_read_all_group_messages,
        }
        body = {k: v for k, v in body.items() if v is not None}
        return EmuBot.from_json(await self._request("POST", "/bots", json=body))

    async def bots(self) -> list[EmuBot]:
        return [EmuBot.from_json(item) for item in await self._request("GET", "/bots")]

    async def create_user(
        self,
        user_id: int | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> EmuUser:
        body = {
            "id": user_id,
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
        }
        return EmuUser.from_json(await self._request("POST", "/users", json=body))

    async def get_user(self, user_id: int) -> EmuUser:
        return EmuUser.from_json(await self._request("GET", f"/users/{user_id}"))

    async def create_group(
        self,
        title: str,
        *,
        member_ids: Iterable[int] = (),
        admin_ids: Iterable[int] = (),
        creator_id: int | None = None,
        supergroup: bool = False,
        username: str | None = None,
    ) -> EmuChat:
        body = {
            "type": "supergroup" if supergroup else "group",
            "title": title,
            "member_ids": list(member_ids),
            "admin_ids": list(admin_ids),
            "creator_id": creator_id,
            "username": username,
        }
        return EmuChat.from_json(await self._request("POST", "/chats", json=body))

    async def create_channel(
        self,
        title: str,
        *,
        admin_ids: Iterable[int] = (),
        creator_id: int | None = None,
        username: str | None = None,
    ) -> EmuChat:
        body = {
            "type": "channel",
            "title": title,
            "admin_ids": list(admin_ids),
            "creator_id": creator_id,
            "username": username,
        }
        return EmuChat.from_json(await self._request("POST", "/chats", json=body))

    async def get_chat(self, chat_id: int) -> EmuChat:
        return EmuChat.from_json(await self._request("GET", f"/chats/{chat_id}"))

    async def set_member(
        self, chat_id: int, user_id: int, status: str = "member", *, by_user_id: int | None = None
    ) -> Action:
        """status: creator, administrator, member, left or kicked (bots get my_chat_member)."""
        body = {"user_id": user_id, "status": status, "by_user_id": by_user_id}
        result = await self._request("POST", f"/chats/{chat_id}/members", json=body)
        return Action(result["chat_id"], result["update_ids"], result["cursor"])

    # ------------------------------------------------------------------ histories

    async def messages(
        self, chat_id: int, *, bot_id: int | None = None, include_deleted: bool = True
    ) -> list[ChatMessage]:
        params = {"bot_id": self._bot(bot_id), "include_deleted": int(include_deleted)}
        views = await self._request("GET", f"/chats/{chat_id}/messages", params=params)
        return [ChatMessage.from_view(view) for view in views]
