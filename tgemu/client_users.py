"""What simulated users do, for :class:`tgemu.client.EmulatorClient`."""

from __future__ import annotations

import base64
from typing import Any

from .client_base import ClientCore
from .client_types import (
    Action,
    EmulatorError,
    Pressed,
    Sent,
)

JSONDict = dict[str, Any]


class UserActions(ClientCore):
    """Simulated residents: send, edit, press buttons, block."""

    # ------------------------------------------------------------------ users act

    async def send(
        self,
        user_id: int,
        *,
        chat_id: int | None = None,
        bot_id: int | None = None,
        reply_to_message_id: int | None = None,
        **content: Any,
    ) -> Sent:
        """Generic user message; ``content`` is one field of usercontent.CONTENT_KINDS (plus
        ``caption``), e.g. ``send(uid, location={"latitude": 29.56, "longitude": 106.57})``."""
        body: JSONDict = {"user_id": user_id, **content}
        if reply_to_message_id is not None:
            body["reply_to_message_id"] = reply_to_message_id
        result = await self._request("POST", "/messages", json=self._route(body, chat_id, bot_id))
        return Sent.from_json(result)

    async def send_text(self, user_id: int, text: str, **kwargs: Any) -> Sent:
        return await self.send(user_id, text=text, **kwargs)

    async def send_command(
        self, user_id: int, command: str, payload: str | None = None, **kwargs: Any
    ) -> Sent:
        text = "/" + command.lstrip("/") + (f" {payload}" if payload else "")
        return await self.send(user_id, text=text, **kwargs)

    async def start(self, user_id: int, payload: str | None = None, **kwargs: Any) -> Sent:
        """``/start`` (optionally a deep-link payload): the user starts the bot."""
        return await self.send_command(user_id, "start", payload, **kwargs)

    async def send_photo(
        self,
        user_id: int,
        *,
        caption: str | None = None,
        width: int = 1280,
        height: int = 960,
        content: bytes | None = None,
        **kwargs: Any,
    ) -> Sent:
        photo: JSONDict = {"width": width, "height": height}
        if content is not None:
            photo["content_b64"] = base64.b64encode(content).decode()
        return await self.send(user_id, photo=photo, caption=caption, **kwargs)

    async def send_document(
        self,
        user_id: int,
        *,
        file_name: str = "document.pdf",
        content: bytes | str | None = None,
        mime_type: str | None = None,
        caption: str | None = None,
        **kwargs: Any,
    ) -> Sent:
        document: JSONDict = {"file_name": file_name, "mime_type": mime_type}
        if isinstance(content, str):
            document["content_text"] = content
        elif content is not None:
            document["content_b64"] = base64.b64encode(content).decode()
        return await self.send(user_id, document=document, caption=caption, **kwargs)

    async def send_location(
        self, user_id: int, latitude: float, longitude: float, **kwargs: Any
    ) -> Sent:
        location = {"latitude": latitude, "longitude": longitude}
        return await self.send(user_id, location=location, **kwargs)

    async def send_contact(
        self,
        user_id: int,
        phone_number: str,
        first_name: str,
        *,
        last_name: str | None = None,
        contact_user_id: int | None = None,
        **kwargs: Any,
    ) -> Sent:
        contact = {
            "phone_number": phone_number,
            "first_name": first_name,
            "last_name": last_name,
            "user_id": contact_user_id,
        }
        return await self.send(user_id, contact=contact, **kwargs)

    async def send_sticker(self, user_id: int, emoji: str = "👍", **kwargs: Any) -> Sent:
        return await self.send(user_id, sticker={"emoji": emoji}, **kwargs)

    async def send_voice(
        self,
        user_id: int,
        data: bytes | None = None,
        *,
        duration: int | None = None,
        caption: str | None = None,
        **kwargs: Any,
    ) -> Sent:
        """A voice note: ``data`` (Ogg/Opus from a phone, say; its length is read from it
        unless ``duration`` is given) or, without it, ``duration`` (3) seconds of silence
        that really plays (see :func:`tgemu.oggopus.silent_voice`)."""
        voice: JSONDict = {}
        if data is not None:
            voice["content_b64"] = base64.b64encode(data).decode()
        if duration is not None:
            voice["duration"] = duration
        return await self.send(user_id, voice=voice or True, caption=caption, **kwargs)

    async def send_video(self, user_id: int, duration: int = 10, **kwargs: Any) -> Sent:
        return await self.send(user_id, video={"duration": duration}, **kwargs)

    async def send_media(
        self,
        user_id: int,
        kind: str,
        *,
        chat_id: int | None = None,
        bot_id: int | None = None,
        caption: str | None = None,
        **details: Any,
    ) -> Sent:
        """Any other kind (audio, video_note, animation, venue, dice, poll) with details."""
        body: JSONDict = {"user_id": user_id, kind: details or True, "caption": caption}
        result = await self._request("POST", "/messages", json=self._route(body, chat_id, bot_id))
        return Sent.from_json(result)

    async def edit_text(
        self,
        user_id: int,
        message_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        bot_id: int | None = None,
    ) -> Sent:
        body = self._route(
            {"user_id": user_id, "message_id": message_id, "text": text}, chat_id, bot_id
        )
        return Sent.from_json(await self._request("POST", "/edits", json=body))

    async def edit_caption(
        self,
        user_id: int,
        message_id: int,
        caption: str,
        *,
        chat_id: int | None = None,
        bot_id: int | None = None,
    ) -> Sent:
        body = {"user_id": user_id, "message_id": message_id, "caption": caption}
        result = await self._request("POST", "/edits", json=self._route(body, chat_id, bot_id))
        return Sent.from_json(result)

    async def press(
        self,
        user_id: int,
        message_id: int,
        *,
        callback_data: str | None = None,
        text: str | None = None,
        chat_id: int | None = None,
        bot_id: int | None = None,
    ) -> Pressed:
        """Presses a callback button of a bot message, chosen by its data or its text."""
        body = {
            "user_id": user_id,
            "message_id": message_id,
            "callback_data": callback_data,
            "button_text": text,
        }
        body = {k: v for k, v in body.items() if v is not None}
        result = await self._request("POST", "/press", json=self._route(body, chat_id, bot_id))
        return Pressed.from_json(result)

    async def raw_update(
        self,
        update_type: str,
        payload: JSONDict,
        *,
        chat_id: int | None = None,
        bot_id: int | None = None,
    ) -> int | None:
        """Queue an update exactly as given (a shape another Bot API version would send);
        returns its update_id, or None when the bot's allowed_updates drop it."""
        body: JSONDict = {"type": update_type, "payload": payload}
        result = await self._request(
            "POST", "/raw_updates", json=self._route(body, chat_id, bot_id)
        )
        update_id = result.get("update_id")
        return int(update_id) if update_id is not None else None

    async def press_button(
        self,
        user_id: int,
        text: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
        bot_id: int | None = None,
    ) -> Pressed:
        """Presses the button labelled ``text``; without ``message_id`` on the newest bot
        message (not deleted) that has such a button."""
        if message_id is None:
            target = chat_id if chat_id is not None else user_id
            candidates = await self.messages(target, bot_id=bot_id, include_deleted=False)
            for message in reversed(candidates):
                if message.outgoing and message.has_button(text):
                    message_id = message.message_id
                    break
            else:
                raise EmulatorError(f"no bot message in chat {target} has a button {text!r}")
        return await self.press(user_id, message_id, text=text, chat_id=chat_id, bot_id=bot_id)

    async def press_raw(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
        bot_id: int | None = None,
    ) -> Pressed:
        """A forged callback query with arbitrary data (even never offered, even > 64 bytes)."""
        body: JSONDict = {"user_id": user_id, "data": data}
        if message_id is not None:
            body["message_id"] = message_id
        result = await self._request("POST", "/press_raw", json=self._route(body, chat_id, bot_id))
        return Pressed.from_json(result)

    async def block(self, user_id: int, *, bot_id: int | None = None) -> Action:
        return await self._block("/block", user_id, bot_id)

    async def unblock(self, user_id: int, *, bot_id: int | None = None) -> Action:
        return await self._block("/unblock", user_id, bot_id)

    async def _block(self, path: str, user_id: int, bot_id: int | None) -> Action:
        result = await self._request(
            "POST", path, json=self._route({"user_id": user_id}, None, bot_id)
        )
        ids = [result["update_id"]] if result["update_id"] is not None else []
        return Action(result["chat_id"], ids, result["cursor"])
