"""Residents through the whole flow against the emulator, the bot vs a bare PTB echo bot.

    python bench/flow_bench.py --residents 200

Each resident plays /start, 同意, an opinion and the answers to what the bot asks (4 or 5
updates: one press after a clear card, two when the place or the topic is asked), one
step after the other as a person would, all residents at once. The emulator, the bot under
test and this driver are three processes on 127.0.0.1. Reported: updates per second (all
updates / wall time), the ratio to the echo bot measured the same way in the same run,
reply latency (action -> the bot's first answer, seen from the resident) p50/p99, and the
bot process's peak memory (VmHWM).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tgemu import EmulatorClient  # noqa: E402
from tgemu.client_types import ChatMessage, Pressed, Sent  # noqa: E402

SENTENCES = [
    "凯旋路晚上停车太乱了，消防通道都堵了",
    "洪崖洞周边周末人太多，垃圾没人收",
    "十八梯晚上路灯不亮，老人走路不安全",
    "我住在石油路街道煤建新村，楼道里电线乱拉",
    "解放碑步行街共享单车乱停，挡住了盲道",
    "李子坝轻轨站附近噪音很大，晚上睡不着",
]


@dataclass
class Result:
    name: str
    updates: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    peak_rss_kib: int = 0

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def start_emulator() -> tuple[int, asyncio.subprocess.Process]:
    """`yushi emulator` as its own process on a free 127.0.0.1 port, once it listens."""
    port = free_port()
    emu = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "emulator",
        "--port",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        cwd=ROOT,
    )
    await wait_port(port)
    return port, emu


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


async def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


async def resident(
    c: EmulatorClient,
    uid: int,
    text: str,
    latencies: list[float],
    timeout: float,
    think: float = 0.0,
) -> int:
    """One person's whole flow; returns how many updates it sent. `think`: seconds the
    person reads before each action after the first (0: a robot that answers at once)."""

    async def step(act: Awaitable[Sent | Pressed], *, first: bool = False) -> ChatMessage:
        """Act, then wait for the bot's answer: a new message, or the pressed question
        edited into the next one (the bot answers a press in place)."""
        started = time.perf_counter()
        done = await act
        cursor = done.cursor
        while True:  # skip what is not the answer (the thanks still on its way, say)
            activity = await c.wait_for_bot_activity(uid, after=cursor, timeout=timeout)
            m, cursor = activity.message, activity.cursor
            if first or m.buttons or (m.text or "").startswith("✅ 已收到"):
                break
        latencies.append(time.perf_counter() - started)
        return m

    async def press_first(m: ChatMessage) -> ChatMessage:
        await asyncio.sleep(think)
        return await step(c.press(uid, m.message_id, callback_data=m.buttons[0][0].callback_data))

    m = await step(c.start(uid))  # the privacy notice
    # 同意 (echo: "ok"); its answer: the notice edited (its buttons gone), then the thanks
    await asyncio.sleep(think)
    await step(c.press(uid, m.message_id, callback_data=m.buttons[0][0].callback_data), first=True)
    await asyncio.sleep(think)
    m = await step(c.send_text(uid, text))  # the card, or the question for what is missing
    sent = 3
    # The likeliest answer to each question, to the receipt: one press after a clear card,
    # two when the place or the topic was asked. The echo bot answers every press, so it
    # gets the same two as the longest path.
    for _ in range(2):
        if (m.text or "").startswith("✅ 已收到"):
            break
        m = await press_first(m)
        sent += 1
    return sent


async def drive(
    name: str,
    command: list[str],
    env: dict[str, str],
    emu_url: str,
    token: str,
    residents: int,
    first_uid: int,
    at_once: int,
    think: float = 0.0,
) -> Result:
    async with EmulatorClient(emu_url) as c:
        bot = await c.register_bot(token, username=f"{name}_bench_bot")
        c.bot_id = bot.id
        for i in range(residents):
            await c.create_user(first_uid + i, first_name=f"居民{i}")
        proc = await asyncio.create_subprocess_exec(*command, env=env, cwd=env["BENCH_CWD"])
        try:
            # Warm-up: one resident, not counted (imports, migrations, first connections).
            await c.create_user(first_uid - 1, first_name="warm-up")
            await resident(c, first_uid - 1, SENTENCES[0], [], 60)
            result = Result(name)
            started = time.perf_counter()
            gate = asyncio.Semaphore(at_once or residents)

            async def one(i: int) -> int:
                async with gate:
                    text = SENTENCES[i % len(SENTENCES)]
                    return await resident(c, first_uid + i, text, result.latencies, 60, think)

            counts = await asyncio.gather(*(one(i) for i in range(residents)))
            result.seconds = time.perf_counter() - started
            result.updates = sum(counts)
            result.peak_rss_kib = peak_rss(proc.pid)
            return result
        finally:
            proc.terminate()
            await proc.wait()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument(
        "--at-once", type=int, default=0, help="residents active at the same time (0: all)"
    )
    parser.add_argument(
        "--bots", default="echo,yushi,yushi-0", help="which of echo,yushi,yushi-0 to run"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds a resident reads before each action (0: acts the instant it is answered)",
    )
    args = parser.parse_args()

    port, emu = await start_emulator()
    try:
        emu_url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as tmp:
            base = {
                **{k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")},
                "TELEGRAM_API_BASE_URL": f"{emu_url}/bot",
                "TELEGRAM_API_FILE_URL": f"{emu_url}/file/bot",
                "BENCH_CWD": tmp,
                "LOG_LEVEL": "WARNING",
                "POLL_TIMEOUT": "1",
                "OPINIONS_PER_HOUR": "1000",
                "PYTHONPATH": str(ROOT),
            }
            echo_token = "600000001:BENCH-echo-token-xxxxxxxxxxxx"
            echo = await drive(
                "echo",
                [sys.executable, str(ROOT / "bench" / "echo_bot.py")],
                {**base, "TELEGRAM_BOT_TOKEN": echo_token},
                emu_url,
                echo_token,
                args.residents,
                1_000_000,
                args.at_once,
                args.think,
            )
            results = [echo]
            for name, rate, uid in (("yushi", "30", 2_000_000), ("yushi-0", "0", 3_000_000)):
                if name not in args.bots.split(","):
                    continue
                token = f"60000000{len(results) + 1}:BENCH-yushi-token-xxxxxxxxxxx"
                env = {
                    **base,
                    "TELEGRAM_BOT_TOKEN": token,
                    "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/{name}.sqlite3",
                    "SEND_RATE_PER_SECOND": rate,
                }
                command = [sys.executable, "-m", "bot", "run"]
                results.append(
                    await drive(
                        name,
                        command,
                        env,
                        emu_url,
                        token,
                        args.residents,
                        uid,
                        args.at_once,
                        args.think,
                    )
                )
    finally:
        emu.terminate()
        await emu.wait()

    cores = os.cpu_count()
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}")
    at_once = args.at_once or args.residents
    print(
        f"residents: {args.residents}, {at_once} at a time, 4-5 updates each, "
        f"think {args.think:g} s, SQLite synchronous=FULL"
    )
    header = ("bot", "updates", "seconds", "upd/s", "p50 ms", "p99 ms", "peak RSS")
    print(
        f"{header[0]:<8}{header[1]:>8}{header[2]:>9}{header[3]:>8}"
        f"{header[4]:>9}{header[5]:>9}{header[6]:>11}"
    )
    for r in results:
        print(
            f"{r.name:<8}{r.updates:>8}{r.seconds:>9.2f}{r.per_second:>8.1f}"
            f"{r.pct(0.5):>9.1f}{r.pct(0.99):>9.1f}{r.peak_rss_kib / 1024:>9.1f} MiB"
        )
    for r in results[1:]:
        print(f"ratio {r.name}/echo: {r.per_second / echo.per_second:.2f}x updates per second")
    print("yushi: SEND_RATE_PER_SECOND=30 (Telegram's limit, the default); yushi-0: no throttle")


if __name__ == "__main__":
    asyncio.run(main())
