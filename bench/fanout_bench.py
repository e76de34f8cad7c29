"""The sender under a fan-out: 1,000 bulk messages at Telegram's pace, residents' replies
going ahead of them.

    python bench/fanout_bench.py --members 1000

The emulator runs as its own process on 127.0.0.1 with its flood limits enforced (a send
over the limit is refused with 429 and not delivered). In this process: a SQLite outbox with
one bulk message queued for each of `--members` members (as a digest round queues them) and
the project's Sender. While the fan-out runs, a resident's reply is queued every half second;
the same replies are then measured again with no fan-out. Reported: the achieved send rate
over Telegram's 30 a second (goal >= 0.95), the violations the emulator counted (goal 0),
reply latency p50/p99 with and without the fan-out (goal p99 <= 1 s), peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Bot  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from bot.delivery.sender import Sender  # noqa: E402
from bot.domain.clock import SystemClock, utcnow  # noqa: E402
from storage import create_engine, session_factory, unit_of_work, upgrade  # noqa: E402
from storage.repositories import OutboxRepository  # noqa: E402
from storage.statuses import OutboxStatus, Priority  # noqa: E402
from tgemu import EmulatorClient, make_token  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from flow_bench import start_emulator  # noqa: E402

BOT_ID = 7_400_000_001


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


async def replies_while(
    client: EmulatorClient,
    sessions: object,
    residents: list[int],
    wake: asyncio.Event,
    every: float,
) -> list[float]:
    """Queue one reply per resident, `every` seconds apart; the latency of each."""
    latencies = []
    for uid in residents:
        before = await client.cursor()
        started = time.perf_counter()
        async with unit_of_work(sessions) as s:  # type: ignore[arg-type]
            await OutboxRepository(s).add(
                uid, "sendMessage", {"text": "收到，请确认街道"}, now=utcnow()
            )
        wake.set()
        await client.wait_for_bot_message(uid, after=before, timeout=30)
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(every)
    return latencies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--replies", type=int, default=20)
    args = parser.parse_args()

    port, emu = await start_emulator()
    try:
        url = f"http://127.0.0.1:{port}"
        async with EmulatorClient(url) as client:
            token = make_token(BOT_ID)
            await client.register_bot(token, username="fanout_bench_bot")
            client.bot_id = BOT_ID
            await client.set_rate_limit_enforcement(True)
            members = list(range(9_000_001, 9_000_001 + args.members))
            residents = list(range(9_900_001, 9_900_001 + 2 * args.replies))
            for uid in members + residents:
                await client.start(uid)
            with tempfile.TemporaryDirectory() as tmp:
                engine = create_engine(f"sqlite+aiosqlite:///{tmp}/fanout.sqlite3")
                await upgrade(engine)
                sessions = session_factory(engine)
                async with unit_of_work(sessions) as s:
                    out = OutboxRepository(s)
                    for uid in members:
                        await out.add(
                            uid,
                            "sendMessage",
                            {"text": "本周汇总：12 位居民反映凯旋路停车难"},
                            priority=Priority.BULK,
                            now=utcnow(),
                        )
                request = HTTPXRequest(connection_pool_size=32)
                async with Bot(token, base_url=f"{url}/bot", request=request) as bot:
                    sender = Sender(bot, sessions, SystemClock())
                    wake, stopping = asyncio.Event(), asyncio.Event()
                    before = dict((await client.stats()).rate_limit_violations)
                    refused_before = (await client.stats()).rate_limited
                    started = time.perf_counter()
                    task = asyncio.create_task(sender.run(wake, stopping))

                    async def bulk_done() -> float:
                        while True:
                            async with unit_of_work(sessions) as s:
                                counts = await OutboxRepository(s).counts()
                            if counts.get(OutboxStatus.SENT, 0) >= args.members + args.replies:
                                return time.perf_counter() - started
                            await asyncio.sleep(0.05)

                    during = await replies_while(
                        client, sessions, residents[: args.replies], wake, 0.5
                    )
                    elapsed = await bulk_done()
                    stats = await client.stats()
                    violations = {
                        k: v - before.get(k, 0) for k, v in stats.rate_limit_violations.items()
                    }
                    refused = stats.rate_limited - refused_before
                    quiet = await replies_while(
                        client, sessions, residents[args.replies :], wake, 0.5
                    )
                    stopping.set()
                    wake.set()
                    await task
                await engine.dispose()
    finally:
        emu.terminate()
        await emu.wait()

    sent = args.members + args.replies
    rate = sent / elapsed
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"members {args.members}, replies {args.replies} during and {args.replies} after")
    print(f"fan-out: {sent} messages in {elapsed:.1f} s = {rate:.1f}/s = {rate / 30:.2f} of 30/s")
    print(f"emulator: violations {violations or 'none'}, refused with 429: {refused}")
    for label, values in (("during fan-out", during), ("without", quiet)):
        p50, p99 = pct(values, 0.5), pct(values, 0.99)
        print(f"reply latency {label}: p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    print(f"peak RSS of the sender process: {rss:.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
