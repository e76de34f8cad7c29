"""The ASGI application: Bot API (``/bot<token>/<method>``), file downloads
(``/file/bot<token>/<file_path>``) and the control API (``/_emu/...``)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from . import methods_core, methods_send
from .control import control_routes
from .errors import NOT_FOUND, ApiError
from .methods_common import CallContext, Described, Handler
from .models import Bot
from .params import parse_params, to_integer
from .state import EmulatorState

logger = logging.getLogger(__name__)

METHODS: dict[str, tuple[str, Handler]] = {
    name.lower(): (name, handler)
    for name, handler in {**methods_core.HANDLERS, **methods_send.HANDLERS}.items()
}


def _error_response(state: EmulatorState, error: ApiError) -> JSONResponse:
    state.counters.errors[error.code] += 1
    state.counters.error_descriptions[error.description] += 1
    return JSONResponse(error.to_json(), status_code=error.code)


async def _call(
    state: EmulatorState, request: Request, bot: Bot, name: str, handler: Handler
) -> Any:
    body = await request.body()
    params = parse_params(request.headers.get("content-type", ""), body, request.url.query)
    raw_chat = params.get("chat_id")
    chat_id = to_integer(raw_chat) if raw_chat and not raw_chat.startswith("@") else None
    fault = state.faults.take(name, chat_id)
    if fault is not None:
        if fault.delay:
            await asyncio.sleep(fault.delay)
        error = fault.error()
        if error is not None:
            raise error
    return await handler(CallContext(state, bot, name, params))


def create_app(state: EmulatorState | None = None) -> Starlette:
    """Builds the emulator app around ``state`` (a fresh one if omitted)."""
    emu_state = state if state is not None else EmulatorState()

    async def bot_api(request: Request) -> Response:
        raw_method = request.path_params["method"]
        entry = METHODS.get(raw_method.lower())
        try:
            bot = emu_state.bot_for_token(request.path_params["token"])
            if entry is None:
                emu_state.counters.requests[raw_method] += 1
                raise ApiError(404, NOT_FOUND)
        except ApiError as error:
            return _error_response(emu_state, error)
        name, handler = entry
        emu_state.counters.requests[name] += 1
        tracked = name != "getUpdates"
        if tracked:
            emu_state.call_started(bot.id)
        try:
            result = await _call(emu_state, request, bot, name, handler)
        except ApiError as error:
            return _error_response(emu_state, error)
        except Exception as exc:  # an emulator bug must not look like a network failure
            logger.exception("emulator failure in %s", name)
            failure = ApiError(500, f"Internal Server Error: emulator bug: {exc!r}")
            return _error_response(emu_state, failure)
        finally:
            if tracked:
                emu_state.call_finished(bot.id)
        body: dict[str, Any] = {"ok": True}
        if isinstance(result, Described):
            body["result"] = result.result
            body["description"] = result.description
        else:
            body["result"] = result
        return JSONResponse(body)

    async def file_download(request: Request) -> Response:
        not_found = JSONResponse(
            {"ok": False, "error_code": 404, "description": NOT_FOUND}, status_code=404
        )
        try:
            emu_state.bot_for_token(request.path_params["token"])
        except ApiError:
            return not_found
        stored = emu_state.files.by_path.get(request.path_params["file_path"])
        if stored is None:
            return not_found
        media_type = stored.mime_type or "application/octet-stream"
        return Response(stored.content, media_type=media_type)

    async def not_found(request: Request) -> Response:
        body = {"ok": False, "error_code": 404, "description": NOT_FOUND}
        return JSONResponse(body, status_code=404)

    routes = [
        Route("/bot{token}/{method}", bot_api, methods=["GET", "POST"]),
        Route("/file/bot{token}/{file_path:path}", file_download, methods=["GET"]),
        Mount("/_emu", routes=control_routes(emu_state)),
        Route("/{path:path}", not_found, methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.emulator = emu_state
    return app
