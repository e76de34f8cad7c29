"""The chat page's web app: a static page and a small JSON API over the control API.

Everything goes through an :class:`~tgemu.client.EmulatorClient` (HTTP to the emulator on
127.0.0.1), so the page sees exactly what tests see and acts exactly as simulated users act.
The caller owns that client (and closes it); this app keeps only the list of people the
page can switch between.

=====================================  ==========================================================
GET  /                                 the page (strict Content-Security-Policy: nothing inline)
GET  /static/...                       its script and style sheet
GET  /api/session                      the bot (id, name, username) and the users
POST /api/users {id?, name}            a new user (created in the emulator too)
GET  /api/chat/{user}?after&wait       {cursor, messages, keyboard}; with ``after``, first waits
                                       up to ``wait`` s for the bot to send, edit or delete
POST /api/send {user_id, text | location | photo | voice | contact}  -> {cursor, message_id}
POST /api/press {user_id, message_id, data}  -> {cursor, answer: {text, show_alert, url}|null}
GET  /api/commands/{user}              the bot's command menu for that user
GET  /api/files/{file_id}              a stored file (photos, documents, voice notes)
=====================================  ==========================================================
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..client import EmulatorClient
from ..client_types import EmuBot, EmulatorError, EmulatorTimeout, Sent
from .render import message_view, reply_keyboard, safe_url

JSONDict = dict[str, Any]
STATIC = Path(__file__).with_name("static")
#: The longest a page's poll waits for the bot (it asks again right after).
LONG_POLL = 25.0
#: How long a pressed button waits for the bot's answerCallbackQuery.
ANSWER_WAIT = 5.0
MAX_UPLOAD = 10 * 1024 * 1024
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' blob:; media-src 'self' blob:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


@dataclass(frozen=True)
class WebUser:
    """Someone the page can be: a Telegram user id, a name, and a role shown beside it."""

    id: int
    name: str
    role: str = ""


class _Refused(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _int(value: Any, name: str, *, low: int | None = None) -> int:
    if isinstance(value, bool):
        raise _Refused(f"{name} must be a whole number")
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise _Refused(f"{name} must be a whole number") from exc
    if low is not None and number < low:
        raise _Refused(f"{name} must be at least {low}")
    return number


def _coordinate(value: Any, name: str, bound: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise _Refused(f"{name} must be a number") from exc
    if not math.isfinite(number) or abs(number) > bound:
        raise _Refused(f"{name} must be between -{bound:g} and {bound:g}")
    return number


def _decoded(spec: JSONDict, what: str) -> bytes:
    raw = spec.get("data_b64")
    if not isinstance(raw, str) or not raw:
        raise _Refused(f"{what}: data_b64 is required")
    if len(raw) > MAX_UPLOAD * 4 // 3 + 4:
        raise _Refused(f"{what}: at most {MAX_UPLOAD // (1024 * 1024)} MB", 413)
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Refused(f"{what}: data_b64 is not base64") from exc


def _object(body: JSONDict, key: str) -> JSONDict:
    value = body.get(key)
    if not isinstance(value, dict):
        raise _Refused(f"{key} must be an object")
    return value


async def _body(request: Request) -> JSONDict:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise _Refused("the body must be JSON") from exc
    if not isinstance(data, dict):
        raise _Refused("the body must be a JSON object")
    return data


Endpoint = Callable[[Request], Awaitable[Any]]


def _json(handler: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            result = await handler(request)
        except _Refused as refused:
            return JSONResponse({"error": refused.message}, status_code=refused.status)
        except EmulatorError as error:
            return JSONResponse({"error": str(error)}, status_code=min(error.status, 499))
        if isinstance(result, Response):
            return result
        return JSONResponse(result, headers={"Cache-Control": "no-store"})

    return endpoint


def _ranged(content: bytes, media_type: str, wanted: str | None) -> Response:
    """The file, or the one byte range asked for: a browser finds an Ogg file's length by
    reading its last page, and without ranges shows a voice note as endless."""
    headers = {"Cache-Control": "private", "Accept-Ranges": "bytes"}
    size = len(content)
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", (wanted or "").strip())
    if match is None or match.group(1) == match.group(2) == "":
        return Response(content, media_type=media_type, headers=headers)
    first, last = match.groups()
    if first == "":  # the last N bytes
        start, end = max(0, size - int(last)), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(b"", status_code=416, headers=headers)
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(content[start : end + 1], 206, headers=headers, media_type=media_type)


async def _wait_for_bot(
    client: EmulatorClient, user_id: int, after: int, wait: float, stopping: asyncio.Event
) -> None:
    """Until the bot sends, edits or deletes in the chat, ``wait`` s pass, or the page stops
    (a poll must not hold the server's shutdown)."""
    waiting = asyncio.ensure_future(
        client.wait_for_bot_activity(user_id, after=after, timeout=wait)
    )
    stopped = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({waiting, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()
        stopped.cancel()
    if waiting.done() and not waiting.cancelled():
        error = waiting.exception()
        if error is not None and not isinstance(error, EmulatorTimeout):
            raise error


def create_web_app(client: EmulatorClient, users: Sequence[WebUser] = ()) -> Starlette:
    """The page and its API over ``client`` (whose ``bot_id`` picks the bot, if several).
    Setting ``app.state.stopping`` (:func:`tgemu.web.serving` does) ends waiting polls."""
    people: dict[int, WebUser] = {user.id: user for user in users}
    stopping = asyncio.Event()

    async def the_bot() -> EmuBot:
        for bot in await client.bots():
            if client.bot_id in (None, bot.id):
                return bot
        raise _Refused("no bot is registered with the emulator", 503)

    async def index(request: Request) -> Response:
        headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-store"}
        return FileResponse(STATIC / "index.html", headers=headers)

    async def session(request: Request) -> Any:
        bot = await the_bot()
        return {
            "bot": {"id": bot.id, "name": bot.first_name, "username": bot.username},
            "users": [asdict(user) for user in people.values()],
        }

    async def new_user(request: Request) -> Any:
        body = await _body(request)
        name = str(body.get("name") or "").strip()
        if not 1 <= len(name) <= 64:
            raise _Refused("name: 1 to 64 characters")
        wanted = body.get("id")
        user_id = None if wanted in (None, "") else _int(wanted, "id", low=1)
        if user_id is not None and user_id >= 2**52:
            raise _Refused("id: too large for a Telegram user")
        created = await client.create_user(user_id, first_name=name)
        user = WebUser(created.id, name, str(body.get("role") or "").strip()[:16])
        people[user.id] = user
        return asdict(user)

    async def chat(request: Request) -> Any:
        user_id = _int(request.path_params["user_id"], "user")
        query = request.query_params
        after = None if not query.get("after") else _int(query["after"], "after")
        try:
            wait = min(max(float(query.get("wait") or 0), 0.0), LONG_POLL)
        except ValueError as exc:
            raise _Refused("wait must be a number of seconds") from exc
        if after is not None and wait > 0:
            await _wait_for_bot(client, user_id, after, wait, stopping)
        cursor = await client.cursor()  # before reading, so nothing falls between two polls
        messages = await client.messages(user_id, include_deleted=False)
        return {
            "cursor": cursor,
            "messages": [message_view(message) for message in messages],
            "keyboard": reply_keyboard(messages),
        }

    async def send(request: Request) -> Any:
        body = await _body(request)
        user_id = _int(body.get("user_id"), "user_id", low=1)
        sent: Sent
        if body.get("text") is not None:
            text = str(body["text"]).strip()
            if not text:
                raise _Refused("text is empty")
            sent = await client.send_text(user_id, text)
        elif body.get("location") is not None:
            spec = _object(body, "location")
            latitude = _coordinate(spec.get("latitude"), "latitude", 90)
            longitude = _coordinate(spec.get("longitude"), "longitude", 180)
            sent = await client.send_location(user_id, latitude, longitude)
        elif body.get("photo") is not None:
            spec = _object(body, "photo")
            caption = str(spec.get("caption") or "").strip() or None
            sent = await client.send_photo(
                user_id, content=_decoded(spec, "photo"), caption=caption
            )
        elif body.get("voice") is not None:
            sent = await client.send_voice(user_id, _decoded(_object(body, "voice"), "voice"))
        elif body.get("contact") is not None:
            phone = str(_object(body, "contact").get("phone_number") or "+8613800000000")
            person = people.get(user_id)
            name = person.name if person else str(user_id)
            sent = await client.send_contact(user_id, phone, name, contact_user_id=user_id)
        else:
            raise _Refused("give one of text, location, photo, voice, contact")
        return {"cursor": sent.cursor, "message_id": sent.message_id}

    async def press(request: Request) -> Any:
        body = await _body(request)
        user_id = _int(body.get("user_id"), "user_id", low=1)
        message_id = _int(body.get("message_id"), "message_id", low=1)
        data = body.get("data")
        if not isinstance(data, str) or not data:
            raise _Refused("data is required")
        pressed = await client.press(user_id, message_id, callback_data=data)
        try:
            answer = await client.wait_for_callback_answer(
                pressed.callback_query_id, timeout=ANSWER_WAIT
            )
        except EmulatorTimeout:  # a Telegram app stops its spinner and shows nothing
            return {"cursor": pressed.cursor, "answer": None}
        shown = {"text": answer.text, "show_alert": answer.show_alert, "url": safe_url(answer.url)}
        return {"cursor": pressed.cursor, "answer": shown}

    async def commands(request: Request) -> Any:
        user_id = _int(request.path_params["user_id"], "user")
        user = await client.get_user(user_id)
        return (await the_bot()).commands_for(user_id, user.language_code)

    async def file(request: Request) -> Any:
        content, media_type = await client.file_download(request.path_params["file_id"])
        return _ranged(content, media_type, request.headers.get("range"))

    routes = [
        Route("/", index),
        Route("/api/session", _json(session)),
        Route("/api/users", _json(new_user), methods=["POST"]),
        Route("/api/chat/{user_id}", _json(chat)),
        Route("/api/send", _json(send), methods=["POST"]),
        Route("/api/press", _json(press), methods=["POST"]),
        Route("/api/commands/{user_id}", _json(commands)),
        Route("/api/files/{file_id}", _json(file)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.stopping = stopping
    return app
