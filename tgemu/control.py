"""Control API under ``/_emu``: JSON in, ``{"ok": true, "result": ...}`` out (errors:
``{"ok": false, "error": "..."}`` with HTTP 400/404/409).  See the package docstring for the
endpoint list; :class:`tgemu.client.EmulatorClient` wraps all of it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from . import groups, observe, simulate
from .errors import ControlError
from .models import ALL_UPDATE_TYPES, Bot
from .state import EmulatorState

JSONDict = dict[str, Any]
Endpoint = Callable[[Request], Awaitable[Any]]


def _path_int(request: Request, name: str) -> int:
    try:
        return int(request.path_params[name])
    except ValueError as exc:
        raise ControlError(f"{name} must be an integer", 404) from exc


def _qint(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ControlError(f"query parameter {name} must be an integer") from exc


def _qfloat(request: Request, name: str, default: float) -> float:
    raw = request.query_params.get(name)
    try:
        return default if raw in (None, "") else float(raw)
    except ValueError as exc:
        raise ControlError(f"query parameter {name} must be a number") from exc


def _qbool(request: Request, name: str, default: bool) -> bool:
    raw = request.query_params.get(name)
    return default if raw in (None, "") else raw.lower() in ("1", "true", "yes")


async def _body(request: Request) -> JSONDict:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ControlError("request body must be JSON") from exc
    if not isinstance(data, dict):
        raise ControlError("request body must be a JSON object")
    return data


def bot_json(bot: Bot) -> JSONDict:
    return {
        **bot.get_me_json(),
        "token": bot.token,
        "pending_updates": len(bot.updates),
        "webhook_url": bot.webhook.url if bot.webhook else "",
        "allowed_updates": [t for t in ALL_UPDATE_TYPES if t in bot.allowed_updates],
        "logged_out": bot.logged_out,
        "commands": [
            {"scope": json.loads(scope), "language_code": lang, "commands": commands}
            for (scope, lang), commands in bot.commands.items()
        ],
    }


def _wrap(handler: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            result = await handler(request)
        except ControlError as error:
            return JSONResponse({"ok": False, "error": error.message}, status_code=error.status)
        if isinstance(result, Response):
            return result
        return JSONResponse({"ok": True, "result": result})

    return endpoint


def control_routes(state: EmulatorState) -> list[BaseRoute]:
    async def health(request: Request) -> Any:
        return {"bots": len(state.bots), "cursor": state.seq}

    async def reset(request: Request) -> Any:
        body = await _body(request)
        state.reset(config=bool(body.get("config", False)), bots=bool(body.get("bots", False)))
        return True

    async def config(request: Request) -> Any:
        if request.method == "POST":
            state.config.update(await _body(request))
        return state.config.to_json()

    async def bots(request: Request) -> Any:
        if request.method == "POST":
            body = await _body(request)
            token = body.get("token")
            if not isinstance(token, str):
                raise ControlError("token is required (see make_token)")
            options = {
                key: body[key]
                for key in (
                    "first_name",
                    "username",
                    "can_join_groups",
                    "can_read_all_group_messages",
                    "supports_inline_queries",
                )
                if key in body
            }
            return bot_json(state.register_bot(token, **options))
        return [bot_json(bot) for bot in state.bots.values()]

    async def users(request: Request) -> Any:
        body = await _body(request)
        user_id = body.get("id")
        if user_id is not None and (not isinstance(user_id, int) or isinstance(user_id, bool)):
            raise ControlError("id must be an integer")
        user = state.create_user(
            user_id,
            first_name=body.get("first_name"),
            last_name=body.get("last_name"),
            username=body.get("username"),
            language_code=body.get("language_code", "zh-hans"),
            is_premium=bool(body.get("is_premium", False)),
        )
        return user.to_json()

    async def user_get(request: Request) -> Any:
        return state.user(_path_int(request, "user_id")).to_json()

    async def chats(request: Request) -> Any:
        chat = groups.create_chat(state, await _body(request))
        return {**chat.to_json(), "members": chat.members}

    async def chat_get(request: Request) -> Any:
        chat = state.chat(_path_int(request, "chat_id"))
        return {**chat.to_json(), "members": {str(k): v for k, v in chat.members.items()}}

    async def members(request: Request) -> Any:
        chat = state.chat(_path_int(request, "chat_id"))
        body = await _body(request)
        return groups.set_member(
            state,
            chat,
            body.get("user_id"),
            str(body.get("status", "member")),
            by_user_id=body.get("by_user_id"),
        )

    async def messages(request: Request) -> Any:
        chat_id = _path_int(request, "chat_id")
        include_deleted = _qbool(request, "include_deleted", True)
        return observe.chat_messages(
            state, chat_id, _qint(request, "bot_id"), include_deleted=include_deleted
        )

    async def send(request: Request) -> Any:
        return simulate.user_send(state, await _body(request))

    async def edit(request: Request) -> Any:
        return simulate.user_edit(state, await _body(request))

    async def press(request: Request) -> Any:
        return simulate.user_press(state, await _body(request))

    async def press_raw(request: Request) -> Any:
        return simulate.user_press(state, await _body(request), forged=True)

    async def raw_updates(request: Request) -> Any:
        return simulate.raw_update(state, await _body(request))

    async def block(request: Request) -> Any:
        return simulate.set_blocked(state, await _body(request), True)

    async def unblock(request: Request) -> Any:
        return simulate.set_blocked(state, await _body(request), False)

    async def callback_queries(request: Request) -> Any:
        return observe.callback_queries(state, _qint(request, "bot_id"), _qint(request, "user_id"))

    async def wait_bot_message(request: Request) -> Any:
        chat_id = _qint(request, "chat_id")
        if chat_id is None:
            raise ControlError("chat_id is required")
        include_edits = _qbool(request, "include_edits", False)
        kinds = frozenset({"sent", "edited"} if include_edits else {"sent"})
        if _qbool(request, "include_deletes", False):
            kinds = kinds | {"deleted"}
        return await observe.wait_bot_message(
            state,
            chat_id=chat_id,
            bot_id=_qint(request, "bot_id"),
            after=_qint(request, "after"),
            max_wait=_qfloat(request, "timeout", 5.0),
            kinds=kinds,
        )

    async def wait_callback_answer(request: Request) -> Any:
        query_id = request.query_params.get("query_id", "")
        return await observe.wait_callback_answer(state, query_id, _qfloat(request, "timeout", 5.0))

    async def wait_confirmed(request: Request) -> Any:
        timeout = _qfloat(request, "timeout", 5.0)
        return await observe.wait_confirmed(state, _qint(request, "bot_id"), timeout)

    async def wait_idle(request: Request) -> Any:
        timeout = _qfloat(request, "timeout", 5.0)
        quiet = _qfloat(request, "quiet", 0.2)
        return await observe.wait_idle(state, _qint(request, "bot_id"), timeout, quiet)

    async def cursor(request: Request) -> Any:
        return state.seq

    async def stats(request: Request) -> Any:
        return observe.stats(state)

    async def timeline(request: Request) -> Any:
        return observe.timeline(state)

    async def faults(request: Request) -> Any:
        if request.method == "DELETE":
            state.faults.clear()
        elif request.method == "POST":
            body = await _body(request)
            method = body.get("method")
            if not isinstance(method, str) or not method:
                raise ControlError("method is required ('*' for any)")
            fault = state.faults.add(
                method,
                count=int(body.get("count", 1)),
                chat_id=body.get("chat_id"),
                error_code=body.get("error_code"),
                description=body.get("description"),
                retry_after=body.get("retry_after"),
                delay=float(body.get("delay", 0.0)),
            )
            return fault.to_json()
        return [fault.to_json() for fault in state.faults.list()]

    async def file_content(request: Request) -> Any:
        stored = state.files.get(request.path_params["file_id"])
        if stored is None:
            raise ControlError("unknown file_id", 404)
        return Response(stored.content, media_type=stored.mime_type or "application/octet-stream")

    async def updates(request: Request) -> Any:
        bot = state.resolve_bot(_qint(request, "bot_id"))
        return [record.to_json() for record in bot.updates]

    table: list[tuple[str, Endpoint, list[str]]] = [
        ("/health", health, ["GET"]),
        ("/reset", reset, ["POST"]),
        ("/config", config, ["GET", "POST"]),
        ("/bots", bots, ["GET", "POST"]),
        ("/users", users, ["POST"]),
        ("/users/{user_id}", user_get, ["GET"]),
        ("/chats", chats, ["POST"]),
        ("/chats/{chat_id}", chat_get, ["GET"]),
        ("/chats/{chat_id}/members", members, ["POST"]),
        ("/chats/{chat_id}/messages", messages, ["GET"]),
        ("/messages", send, ["POST"]),
        ("/edits", edit, ["POST"]),
        ("/press", press, ["POST"]),
        ("/press_raw", press_raw, ["POST"]),
        ("/raw_updates", raw_updates, ["POST"]),
        ("/block", block, ["POST"]),
        ("/unblock", unblock, ["POST"]),
        ("/callback_queries", callback_queries, ["GET"]),
        ("/wait/bot_message", wait_bot_message, ["GET"]),
        ("/wait/callback_answer", wait_callback_answer, ["GET"]),
        ("/wait/confirmed", wait_confirmed, ["GET"]),
        ("/wait/idle", wait_idle, ["GET"]),
        ("/cursor", cursor, ["GET"]),
        ("/stats", stats, ["GET"]),
        ("/timeline", timeline, ["GET"]),
        ("/faults", faults, ["GET", "POST", "DELETE"]),
        ("/files/{file_id}", file_content, ["GET"]),
        ("/updates", updates, ["GET"]),
    ]
    return [Route(path, _wrap(handler), methods=methods) for path, handler, methods in table]
