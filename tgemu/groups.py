"""Groups, supergroups and channels: creation and membership changes.

Adding a bot sends it ``my_chat_member`` (left -> member/administrator); adding or removing
anyone in a group or supergroup also produces the ``new_chat_members`` /
``left_chat_member`` service message for every member bot.  Members given at creation
time are added silently (only bots get ``my_chat_member``).
"""

from __future__ import annotations

import copy
import time
from typing import Any

from .access import MEMBER_STATUSES
from .errors import ControlError
from .models import Chat
from .simulate import member_json
from .state import EmulatorState

JSONDict = dict[str, Any]
STATUSES = ("creator", "administrator", "member", "left", "kicked")


def _status(value: Any) -> str:
    if value not in STATUSES:
        raise ControlError(f"status must be one of {STATUSES}")
    status: str = value
    return status


def create_chat(state: EmulatorState, spec: JSONDict) -> Chat:
    chat = state.create_chat(
        str(spec.get("type", "")),
        str(spec.get("title") or "Group"),
        chat_id=spec.get("id"),
        username=spec.get("username"),
    )
    creator = spec.get("creator_id")
    admins = set(spec.get("admin_ids") or [])
    members = list(spec.get("member_ids") or [])
    ordered = ([creator] if creator is not None else []) + list(admins) + members
    for member in ordered:
        if member in chat.members:
            continue
        status = (
            "creator" if member == creator else "administrator" if member in admins else "member"
        )
        set_member(state, chat, member, status, by_user_id=creator, announce=False)
    return chat


def set_member(
    state: EmulatorState,
    chat: Chat,
    member_id: Any,
    status: str,
    *,
    by_user_id: int | None = None,
    announce: bool = True,
) -> JSONDict:
    """Changes one membership; returns the update ids created and the cursor."""
    status = _status(status)
    if not isinstance(member_id, int) or member_id not in state.users:
        if isinstance(member_id, int) and member_id > 0:
            state.create_user(member_id)
        else:
            raise ControlError(f"unknown user or bot {member_id!r}")
    old = chat.members.get(member_id, "left")
    if old == status:
        return {"chat_id": chat.id, "update_ids": [], "cursor": state.seq}
    chat.members[member_id] = status
    actor = by_user_id if by_user_id in state.users else None
    actor = actor or next(
        (m for m, s in chat.members.items() if s == "creator" and m in state.users), member_id
    )
    update_ids: list[int] = []
    now = int(time.time())
    bot = state.bots.get(member_id)
    if bot is not None:
        payload = {
            "chat": chat.to_json(),
            "from": state.users[actor].to_json(),
            "date": now,
            "old_chat_member": member_json(state, member_id, old, chat),
            "new_chat_member": member_json(state, member_id, status, chat),
        }
        update = state.push_update(bot, "my_chat_member", payload, chat.id)
        if update is not None:
            update_ids.append(update.update_id)
    joined = old not in MEMBER_STATUSES and status in MEMBER_STATUSES
    left = old in MEMBER_STATUSES and status not in MEMBER_STATUSES
    if announce and chat.type != "channel" and (joined or left):
        member = state.users[member_id].to_json()
        content = {"new_chat_members": [member]} if joined else {"left_chat_member": member}
        sender = actor if joined else (actor if actor != member_id else member_id)
        for bot_id, bot_status in list(chat.members.items()):
            receiver = state.bots.get(bot_id)
            if receiver is None or (bot_status not in MEMBER_STATUSES and bot_id != member_id):
                continue
            conv = state.conversation(bot_id, chat.id)
            record = state.add_message(
                conv,
                outgoing=False,
                sender_id=sender,
                kind="service",
                content=copy.deepcopy(content),
            )
            update = state.push_update(receiver, "message", copy.deepcopy(record.payload), chat.id)
            if update is not None:
                update_ids.append(update.update_id)
    state.notifier.notify()
    return {"chat_id": chat.id, "update_ids": update_ids, "cursor": state.seq}
