"""`yushi demo --web`: chat with the bot offline, in a browser.

The real bot (durable poller, processor, sender, SQLite), set up as the scripted demo sets it
up (bot.demo: same settings, same database, the admin grants the committee member), talks
HTTP to the emulator on 127.0.0.1; the emulator's chat page (tgemu.web) lets anyone be the
resident, the member or the admin, or a new user, and try every feature by hand. It runs
until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.assembly import Runtime
from bot.config import Settings
from bot.demo import (
    ADMIN,
    MEMBER,
    RESIDENT,
    demo_settings,
    fresh_demo_database,
    make_member,
    register_demo_bot,
)
from tgemu import EmulatorClient, EmulatorServer
from tgemu.web import WebUser, bind_socket, create_web_app, serving

DEFAULT_PORT = 8080
#: Who the page can be from the start (more can be added on the page).
PEOPLE = (
    WebUser(RESIDENT, "王阿姨", "居民"),
    WebUser(MEMBER, "李委员", "委员"),
    WebUser(ADMIN, "区政协办公室", "管理员"),
)


@dataclass(frozen=True)
class WebDemo:
    url: str  # the chat page
    emulator_url: str
    runtime: Runtime


@asynccontextmanager
async def web_demo(
    settings: Settings, *, port: int = 0, sock: socket.socket | None = None
) -> AsyncIterator[WebDemo]:
    """Emulator, bot and page, all on 127.0.0.1 (``port`` 0: any free one); stops them all."""
    fresh_demo_database(settings)
    with EmulatorServer() as emu:
        settings = demo_settings(settings, emu)
        async with EmulatorClient(emu.url) as client:
            await register_demo_bot(client, settings)
            runtime = await Runtime.open(settings)
            try:
                runtime.start()
                await make_member(client, runtime, pace=0)
                await client.create_user(RESIDENT, first_name="王阿姨", language_code="zh-hans")
                page = create_web_app(client, PEOPLE)
                async with serving(page, port=port, sock=sock) as url:
                    yield WebDemo(url, emu.url, runtime)
            finally:
                await runtime.stop()


async def run_web_demo(settings: Settings, *, port: int = DEFAULT_PORT) -> int:
    try:
        sock = bind_socket("127.0.0.1", port)  # a busy port says so before the bot starts
    except OSError as exc:
        print(f"cannot serve the page on 127.0.0.1:{port}: {exc.strerror}", file=sys.stderr)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with sock:
        async with web_demo(settings, sock=sock) as demo:
            print(f"\nBot API emulator on {demo.emulator_url}; database {settings.database_url}")
            print(f"💬 Chat with the bot: open {demo.url} in a browser (Ctrl-C stops)", flush=True)
            waiter = asyncio.create_task(stop.wait())
            died = asyncio.create_task(demo.runtime.wait())
            await asyncio.wait({waiter, died}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if died.done():
                died.result()  # the bot stopped on its own: say why
            died.cancel()
    print("stopped")
    return 0
