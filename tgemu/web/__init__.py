"""The emulator as a phone chat in a browser, for trying a bot by hand.

``create_web_app(client, users)`` builds the page (``static/``: plain HTML, JS and CSS, no
build step, nothing fetched from elsewhere) and its JSON API over the control API (see
:mod:`tgemu.web.app`); ``serving(app, port=0)`` runs it on 127.0.0.1 inside the running
event loop, next to whatever else that loop does (the bot, say)::

    async with EmulatorClient(emu.url) as client:
        app = create_web_app(client, [WebUser(1001, "王阿姨", "居民")])
        async with serving(app, port=8080) as url:
            print("open", url)
            await stop.wait()
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.types import ASGIApp

from ..server import bind_socket
from .app import WebUser, create_web_app
from .render import entities_to_html

__all__ = ["WebUser", "bind_socket", "create_web_app", "entities_to_html", "serving"]


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Ctrl-C belongs to the program that runs the page (it stops the bot first); uvicorn
        # would otherwise take SIGINT over while it serves.
        yield


@contextlib.asynccontextmanager
async def serving(
    app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0, sock: socket.socket | None = None
) -> AsyncIterator[str]:
    """Serves ``app`` on ``host:port`` (0: a free port), or on ``sock`` already bound (so a
    busy port shows before anything else starts), in this event loop; yields its URL."""
    if sock is None:
        sock = bind_socket(host, port)
    host = sock.getsockname()[0]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="web-page")
    try:
        while not server.started:
            if task.done():
                task.result()  # the reason it could not start
                raise RuntimeError("the web page stopped before it started")
            await asyncio.sleep(0.02)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        stopping = getattr(getattr(app, "state", None), "stopping", None)
        if isinstance(stopping, asyncio.Event):
            stopping.set()  # polls answer now rather than at the end of their wait
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=10)
        sock.close()
