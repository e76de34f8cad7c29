"""Running the emulator over real HTTP on 127.0.0.1.

``EmulatorServer`` runs uvicorn in a background thread with its own event loop (for tests
and benchmarks); ``serve()`` runs it in the foreground (``yushi emulator``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from types import TracebackType

import uvicorn

from .app import create_app
from .state import EmulatorState
from .support import EmulatorConfig, make_token


def bind_socket(host: str, port: int) -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when the
    # proto says TCP; without it every answer waits ~40 ms for Nagle and delayed ACKs.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """uvicorn.Server that signals (thread-safely) once it accepts connections."""

    def __init__(self, state: EmulatorState, log_level: str) -> None:
        config = uvicorn.Config(
            create_app(state),
            log_level=log_level,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=30,
        )
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


class EmulatorServer:
    """The emulator on a real port, in a background thread.

    >>> with EmulatorServer() as emu:  # port 0: any free port
    ...     bot = telegram.Bot(token, base_url=emu.api_base_url, base_file_url=emu.file_base_url)
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        state: EmulatorState | None = None,
        config: EmulatorConfig | None = None,
        log_level: str = "warning",
    ) -> None:
        self.host = host
        self.requested_port = port
        self.state = state if state is not None else EmulatorState(config)
        self.log_level = log_level
        self.port: int | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the emulator is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        """For ``telegram.Bot(base_url=...)`` (the token is appended by PTB)."""
        return f"{self.url}/bot"

    @property
    def file_base_url(self) -> str:
        """For ``telegram.Bot(base_file_url=...)``."""
        return f"{self.url}/file/bot"

    @staticmethod
    def make_token(bot_id: int = 7_000_000_001, secret: str = "") -> str:
        return make_token(bot_id, secret)

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        if self._thread is not None:
            raise RuntimeError("already started")
        self.state.notifier.closed = False
        sock = bind_socket(self.host, self.requested_port)
        self.port = sock.getsockname()[1]
        server = _Server(self.state, self.log_level)
        self._server = server
        thread = threading.Thread(
            target=self._run, args=(server, sock), name="telegram-emulator", daemon=True
        )
        self._thread = thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.ready.wait(0.05):
            if not thread.is_alive():
                raise RuntimeError(f"emulator failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("emulator did not start in time")
        return self

    def _run(self, server: _Server, sock: socket.socket) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(server.serve(sockets=[sock]))
        except BaseException as exc:  # reported by start()
            self._error = exc
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            sock.close()

    def stop(self, timeout: float = 5.0) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop may close meanwhile
                loop.call_soon_threadsafe(self.state.shutdown)
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout)
        self._server = None
        self._thread = None
        self._loop = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(host: str = "127.0.0.1", port: int = 8081) -> None:
    """Runs the emulator in the foreground until interrupted (Ctrl-C)."""
    sock = bind_socket(host, port)
    url = f"http://{host}:{sock.getsockname()[1]}"
    server = _Server(EmulatorState(), "warning")

    def announce() -> None:
        server.ready.wait()
        print(
            f"Telegram Bot API emulator ready on {url} "
            f"(base_url={url}/bot, base_file_url={url}/file/bot, control API {url}/_emu)",
            flush=True,
        )

    threading.Thread(target=announce, name="emulator-announce", daemon=True).start()
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
