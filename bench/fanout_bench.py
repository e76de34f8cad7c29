"""The sender under a fan-out: a digest round for 1,000 members at Telegram's pace, residents'
replies going ahead of it.

    python bench/fanout_bench.py --members 1000                 # a real digest round
    python bench/fanout_bench.py --plain --members 1000 --replies 20
                                                                # one plain bulk message each

The emulator runs as its own process on 127.0.0.1 with its flood limits enforced (a send over
the limit is refused with 429 and not delivered). Every member and resident has started the
bot there (Telegram refuses to write to anyone else).

A digest round (the default): the bot's own `Runtime` runs in this process on a SQLite file,
with its sender, update processor, poller and housekeeping (SEND_RATE_PER_SECOND=30, the
shipped default); an admin grants `--members` members (StaffService.grant, as /grant does),
in four sub-districts, one in ten following two; `--opinions` opinions become visible
(Visibility.make_visible, as a submission does), most of them in those sub-districts. Then
the clock jumps to the members' digest time and the scheduler's tick
(`runtime.scheduler.tick()`) builds every member's digest, a batch of members at a time, in the
three steps of `bot.features.digests.jobs`: `take_batch` (a short transaction), `render`
(texts, chart, sheet, in a thread, outside any transaction), `queue_batch` (a short
transaction), each batch sent as soon as it is queued. While the round is built and
sent, a resident's reply is queued every half second (into the outbox, as a handler does) and
another resident sends /help every second (through the whole bot: poller, handler, sender);
the same is then measured again with no round.

`--plain`: the earlier benchmark, kept for comparison. A bare outbox with one bulk message for
each member and the project's Sender, no bot around it; replies queued the same way.

Reported: the achieved send rate over Telegram's 30 a second (goal >= 0.95), the violations
the emulator counted (goal 0), the time to build the round, reply latency p50/p99 with and
without the fan-out (goal p99 <= 1 s), peak memory; for a round, the time in each step and
the time the tick's transactions (and the other tasks' during the round) held SQLite's write
lock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402
from telegram import Bot  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from bot.delivery.pacing import NOT_MESSAGES  # noqa: E402
from bot.delivery.sender import Sender  # noqa: E402
from bot.domain.clock import SystemClock, utcnow  # noqa: E402
from storage import create_engine, session_factory, unit_of_work, upgrade  # noqa: E402
from storage.models import Digest, Opinion, OutboxMessage  # noqa: E402
from storage.records import OpinionRecord  # noqa: E402
from storage.repositories import (  # noqa: E402
    DigestRepository,
    OutboxRepository,
    StaffRepository,
)
from storage.statuses import OutboxStatus, Priority, Role  # noqa: E402
from tgemu import EmulatorClient, make_token  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from flow_bench import start_emulator  # noqa: E402

if TYPE_CHECKING:
    from bot.assembly import Runtime
    from bot.domain.clock import ShiftedClock

# The digest round's imports (the whole bot: matplotlib, scikit-learn…) are made inside its
# functions, so that `--plain` measures the memory of a bare sender, as it always did.

BOT_ID = 7_400_000_001
ADMIN = 9_800_000_001
MEMBERS_FROM = 9_000_001
RESIDENTS_FROM = 9_900_001
#: The members' sub-districts: 解放碑, 南纪门, 七星岗, 大坪.
FOLLOWED = ("500103003", "500103008", "500103001", "500103012")
#: Opinions elsewhere (in no member's digest of this round): 朝天门, 化龙桥.
ELSEWHERE = ("500103010", "500103013")
DATA = ROOT / "tests" / "domain" / "data" / "clusters_dev.jsonl"
MESSAGES = "sent", "failed", "uncertain"


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


async def queued_reply(
    client: EmulatorClient,
    sessions: async_sessionmaker[AsyncSession],
    wake: asyncio.Event,
    uid: int,
    commits: list[float] | None = None,
) -> float:
    """A reply queued into the outbox (as a handler queues one); seconds until it arrives.
    The seconds its transaction took (waiting for the database's write lock, mostly) go to
    `commits`."""
    before = await client.cursor()
    started = time.perf_counter()
    async with unit_of_work(sessions) as s:
        await OutboxRepository(s).add(
            uid, "sendMessage", {"text": "收到，请确认街道"}, now=utcnow()
        )
    if commits is not None:
        commits.append(time.perf_counter() - started)
    wake.set()
    await client.wait_for_bot_message(uid, after=before, timeout=600)
    return time.perf_counter() - started


async def help_reply(client: EmulatorClient, uid: int) -> float:
    """/help through the whole bot (poller, inbox, handler, outbox, sender); seconds until
    the answer arrives."""
    started = time.perf_counter()
    sent = await client.send_command(uid, "help")
    await client.wait_for_bot_message(uid, after=sent.cursor, timeout=600)
    return time.perf_counter() - started


Sample = tuple[str, float, str]  # (phase when started, seconds, error or "")


async def repeatedly(
    measure: Callable[[int], Awaitable[float]],
    residents: Sequence[int],
    every: float,
    *,
    count: int | None = None,
    until: asyncio.Event | None = None,
    phase: Callable[[], str] = lambda: "",
) -> list[Sample]:
    """`measure` for one resident after another, `every` seconds apart, `count` times or
    until `until` is set. A failure (the database locked past its busy timeout, say) is kept
    with the seconds it took."""
    out: list[Sample] = []
    k = 0
    while (count is None or k < count) and not (until is not None and until.is_set()):
        label = phase()
        started = time.perf_counter()
        try:
            out.append((label, await measure(residents[k % len(residents)]), ""))
        except Exception as exc:
            out.append((label, time.perf_counter() - started, type(exc).__name__))
        k += 1
        await asyncio.sleep(every)
    return out


def latency(label: str, samples: Sequence[Sample], phase: str | None = None) -> str:
    chosen = [s for s in samples if phase is None or s[0] == phase]
    values = [s[1] for s in chosen]
    failed = Counter(s[2] for s in chosen if s[2])
    text = f"{label}: p50 {pct(values, 0.5):.0f} ms, p99 {pct(values, 0.99):.0f} ms"
    text += f", max {max(values) * 1000:.0f} ms (n={len(values)})" if values else " (n=0)"
    if failed:
        text += " failed: " + ", ".join(f"{k} {v}" for k, v in failed.items())
    return text


# --- the plain fan-out (the earlier benchmark) ---------------------------------------------


async def plain(args: argparse.Namespace) -> None:
    port, emu = await start_emulator()
    try:
        url = f"http://127.0.0.1:{port}"
        async with EmulatorClient(url) as client:
            token = make_token(BOT_ID)
            await client.register_bot(token, username="fanout_bench_bot")
            client.bot_id = BOT_ID
            await client.set_rate_limit_enforcement(True)
            members = list(range(MEMBERS_FROM, MEMBERS_FROM + args.members))
            residents = list(range(RESIDENTS_FROM, RESIDENTS_FROM + 2 * args.replies))
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

                    def reply(uid: int) -> Awaitable[float]:
                        return queued_reply(client, sessions, wake, uid)

                    during = await repeatedly(
                        reply, residents[: args.replies], 0.5, count=args.replies
                    )
                    elapsed = await bulk_done()
                    stats = await client.stats()
                    violations = {
                        k: v - before.get(k, 0) for k, v in stats.rate_limit_violations.items()
                    }
                    refused = stats.rate_limited - refused_before
                    quiet = await repeatedly(
                        reply, residents[args.replies :], 0.5, count=args.replies
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
    print(latency("reply latency during fan-out", during))
    print(latency("reply latency without", quiet))
    print(f"peak RSS of the sender process: {rss:.0f} MiB")


class Transactions:
    """The transactions one task runs (the tick's): how long each waited for SQLite's write
    lock (BEGIN IMMEDIATE) and how long it held it (from the lock to the connection's return
    to the pool, right after its commit or rollback), by the step that began it (`label`,
    set by the caller; "other" for the rest: due members, digests left unqueued, jobs).
    Also, while `others_on` is set, the same for the other tasks named in `others` (the
    sender, the update processor, the queued replies…)."""

    def __init__(self, engine: Any) -> None:
        self.task: asyncio.Task[Any] | None = None
        self.label = "other"
        self.waited: list[float] = []
        self.held: dict[str, list[float]] = {}
        self.others: dict[asyncio.Task[Any], str] = {}
        self.others_on = False
        self.others_held: dict[str, list[float]] = {}
        self.others_waited: dict[str, list[float]] = {}
        self._asked: dict[int, tuple[float, str | None]] = {}
        self._got: dict[int, tuple[float, str, bool]] = {}

        def whose() -> tuple[bool, str | None] | None:
            """(the tick's, which other task) for the current task, None if not watched."""
            try:
                task = asyncio.current_task()
            except RuntimeError:  # no event loop in this thread
                return None
            if task is None:
                return None
            if self.task is not None and task is self.task:
                return True, None
            if self.others_on:
                return False, self.others.get(task, "other tasks")
            return None

        # A session takes a connection from the pool right before it begins its
        # transaction (where the engine's own listener issues BEGIN IMMEDIATE, and waits)...
        @event.listens_for(engine.pool, "checkout")
        def _asking(dbapi_conn: Any, record: Any, proxy: Any) -> None:
            who = whose()
            if who is not None:
                self._asked[id(dbapi_conn)] = (time.perf_counter(), who[1])

        # ... and this runs after that listener: the lock is held from here.
        @event.listens_for(engine, "begin")
        def _got(conn: Any) -> None:
            key = id(conn.connection.dbapi_connection)
            if key in self._asked:
                now = time.perf_counter()
                asked, other = self._asked.pop(key)
                if other is None:
                    self.waited.append(now - asked)
                    self._got[key] = (now, self.label, True)
                    self.label = "other"
                else:
                    self.others_waited.setdefault(other, []).append(now - asked)
                    self._got[key] = (now, other, False)

        @event.listens_for(engine.pool, "checkin")
        def _returned(dbapi_conn: Any, record: Any) -> None:
            got = self._got.pop(id(dbapi_conn), None)
            if got is not None:
                into = self.held if got[2] else self.others_held
                into.setdefault(got[1], []).append(time.perf_counter() - got[0])

    def labelled(
        self, label: str, fn: Callable[..., Awaitable[Any]]
    ) -> Callable[..., Awaitable[Any]]:
        """`fn`, the transaction it begins counted under `label`."""

        async def run(*args: Any, **kwargs: Any) -> Any:
            self.label = label
            return await fn(*args, **kwargs)

        return run

    def summary(self) -> dict[str, Any]:
        every = [x for xs in self.held.values() for x in xs]
        return {
            "count": len(every),
            "held": sum(every),
            "held_p50": pct(every, 0.5),
            "held_p99": pct(every, 0.99),
            "held_max": max(every, default=0) * 1000,
            "by": {
                k: (len(xs), sum(xs), pct(xs, 0.5), pct(xs, 0.99)) for k, xs in self.held.items()
            },
            "waited": sum(self.waited),
            "waited_p99": pct(self.waited, 0.99),
            "others": {
                k: (
                    len(xs),
                    sum(xs),
                    pct(xs, 0.5),
                    pct(xs, 0.99),
                    pct(self.others_waited.get(k, []), 0.99),
                )
                for k, xs in self.others_held.items()
            },
        }


# --- a digest round ------------------------------------------------------------------------


def opinion_texts(n: int, seed: int = 3) -> list[str]:
    """Residents' opinions: the labelled dev texts (similar ones about the same places), with
    small variations."""
    base = [json.loads(line)["text"] for line in DATA.open(encoding="utf-8")]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        text = rng.choice(base)
        if rng.random() < 0.3 and len(text) > 8:
            k = rng.randrange(len(text))
            text = text[:k] + text[k + 1 :]
        out.append(rng.choice(("", "", "您好，", "居民反映：")) + text + rng.choice(("", "谢谢！")))
    return out


def followed_by(k: int) -> list[str]:
    """Member k follows one of the four sub-districts; one in ten follows the next too."""
    codes = [FOLLOWED[k % len(FOLLOWED)]]
    if k % 10 == 9:
        codes.append(FOLLOWED[(k + 1) % len(FOLLOWED)])
    return codes


async def make_members(runtime: Runtime, members: Sequence[int]) -> None:
    """Granted by an admin, as /grant does. Their urgent alerts are switched off: those go out
    when an item becomes visible, not in the round, and would only delay the setup."""
    from bot.features.staff import StaffService

    for lo in range(0, len(members), 50):
        async with runtime.unit() as work:
            for k in range(lo, min(len(members), lo + 50)):
                uid = members[k]
                await work.service(StaffService).grant(ADMIN, uid, Role.MEMBER, followed_by(k))
                await work.repo(StaffRepository).update(uid, urgent=False)


async def make_opinions(runtime: Runtime, n: int) -> int:
    """`n` opinions made visible as a submission does (one transaction each, like intake);
    returns how many member items they queued."""
    from bot.domain.categories import suggest_category
    from bot.features.digests import Visibility

    rng = random.Random(5)
    queued = 0
    for text in opinion_texts(n):
        code = rng.choice(ELSEWHERE) if rng.random() < 0.15 else rng.choice(FOLLOWED)
        category = suggest_category(text).key
        async with runtime.unit() as work:
            now = work.now()
            row = Opinion(
                text=text, subdistrict=code, category=category, created_at=now, updated_at=now
            )
            work.session.add(row)
            await work.session.flush()
            record = OpinionRecord(row.id, None, text, code, category, "received", now)
            queued += await work.service(Visibility).make_visible(record)
    return queued


async def outbox_by(
    sessions: async_sessionmaker[AsyncSession],
) -> dict[tuple[int, str], int]:
    async with unit_of_work(sessions) as s:
        rows = await s.execute(
            select(OutboxMessage.priority, OutboxMessage.status, func.count()).group_by(
                OutboxMessage.priority, OutboxMessage.status
            )
        )
        return {(int(p), str(st)): int(n) for p, st, n in rows}


async def settle(sessions: async_sessionmaker[AsyncSession], timeout: float = 300) -> None:
    """Until nothing is left to send."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = await outbox_by(sessions)
        if not any(n for (_, st), n in counts.items() if st not in MESSAGES):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("the outbox did not empty")


async def digest_round(args: argparse.Namespace) -> None:
    from pydantic import SecretStr

    from bot.assembly import Runtime
    from bot.config import Settings
    from bot.domain.clock import ShiftedClock

    members = list(range(MEMBERS_FROM, MEMBERS_FROM + args.members))
    queued_pool = list(range(RESIDENTS_FROM, RESIDENTS_FROM + 40))
    help_pool = list(range(RESIDENTS_FROM + 100, RESIDENTS_FROM + 140))
    port, emu = await start_emulator()
    try:
        url = f"http://127.0.0.1:{port}"
        async with EmulatorClient(url) as client:
            token = make_token(BOT_ID)
            await client.register_bot(token, username="fanout_bench_bot")
            client.bot_id = BOT_ID
            await client.set_rate_limit_enforcement(True)
            for uid in [ADMIN, *members, *queued_pool, *help_pool]:
                await client.start(uid)  # the bot may write to them from now on
            async with Bot(token, base_url=f"{url}/bot") as bot:
                # Their /start updates are not part of the benchmark.
                await bot.delete_webhook(drop_pending_updates=True)
            with tempfile.TemporaryDirectory() as tmp:
                settings = Settings(
                    _env_file=None,
                    telegram_bot_token=SecretStr(token),
                    telegram_api_base_url=f"{url}/bot",
                    telegram_api_file_url=f"{url}/file/bot",
                    database_url=f"sqlite+aiosqlite:///{tmp}/fanout.sqlite3",
                    admin_ids=frozenset({ADMIN}),
                    poll_timeout=1,
                    send_rate_per_second=30,
                    log_level="WARNING",
                )
                clock = ShiftedClock()
                runtime = await Runtime.open(settings, clock)
                # Listeners added before anything runs (adding one while a transaction
                # begins would change the list SQLAlchemy is going through).
                held = Transactions(runtime.engine.sync_engine)
                try:
                    # Runtime.start() without APScheduler: the round's tick is called below,
                    # once, so that no periodic tick runs beside it.
                    runtime.tasks = [
                        asyncio.create_task(
                            runtime.sender.run(runtime.wake_sender, runtime.stopping)
                        ),
                        asyncio.create_task(
                            runtime.processor.run(runtime.wake_processor, runtime.stopping)
                        ),
                        asyncio.create_task(runtime.poller.run(runtime.stopping)),
                        asyncio.create_task(runtime.maintenance.run(runtime.stopping)),
                    ]
                    result = await measure_round(
                        args, client, runtime, clock, held, members, queued_pool, help_pool
                    )
                finally:
                    await runtime.stop()
    finally:
        emu.terminate()
        await emu.wait()
    report_round(args, result)


async def measure_round(
    args: argparse.Namespace,
    client: EmulatorClient,
    runtime: Runtime,
    clock: ShiftedClock,
    held: Transactions,
    members: list[int],
    queued_pool: list[int],
    help_pool: list[int],
) -> dict[str, Any]:
    from digest_bench import Steps, memory, reset_peak

    from bot.features.digests import DigestService

    sessions = runtime.sessions
    t = time.perf_counter()
    await make_members(runtime, members)
    await settle(sessions)  # their command menus
    granted = time.perf_counter() - t
    t = time.perf_counter()
    items = await make_opinions(runtime, args.opinions)
    made = time.perf_counter() - t
    async with unit_of_work(sessions) as s:
        due = max(m.next_due for m in await StaffRepository(s).all() if m.next_due is not None)
    clock.jump_to(due + timedelta(seconds=1))

    steps = Steps()
    steps.install()
    # The three steps of each batch of digests (jobs.py): take and queue in their
    # transactions, render in a thread outside any; one member alone where a batch failed.
    for name, label, step in (
        ("take_batch", "take", "take"),
        ("queue_batch", "queue", "queue"),
        ("take_due", "take (one)", "take"),
        ("queue", "queue (one)", "queue"),
    ):
        timed = steps.wrap_async(step, getattr(DigestService, name))
        setattr(DigestService, name, held.labelled(label, timed))
    setattr(DigestService, "render", steps.wrap_sync("render", DigestService.render))  # noqa: B010
    for cls, names in (
        (
            DigestRepository,
            (
                "members",
                "last_of",
                "start_digests",
                "take_many",
                "finish_many",
                "awaiting_many",
                "mark_queued_many",
            ),
        ),
        (OutboxRepository, ("add_many",)),
    ):
        for name in names:
            label = f"db: {cls.__name__.removesuffix('Repository').lower()}.{name}"
            setattr(cls, name, steps.wrap_async(label, getattr(cls, name)))
    building, done = asyncio.Event(), asyncio.Event()
    commits: dict[str, list[float]] = {"build": [], "send": []}

    def reply(uid: int) -> Awaitable[float]:
        where = commits["build" if building.is_set() else "send"]
        return queued_reply(client, sessions, runtime.wake_sender, uid, where)

    def help_(uid: int) -> Awaitable[float]:
        return help_reply(client, uid)

    stats = await client.stats()
    violations_before, refused_before = dict(stats.rate_limit_violations), stats.rate_limited

    def phase() -> str:
        return "build" if building.is_set() else "send"

    during_queued = asyncio.create_task(
        repeatedly(reply, queued_pool, 0.5, until=done, phase=phase)
    )
    during_help = asyncio.create_task(repeatedly(help_, help_pool, 1.0, until=done, phase=phase))
    tick_at = clock.now()
    rss_before = memory("VmRSS")
    reset_peak()
    started = time.perf_counter()
    building.set()
    held.task = asyncio.current_task()  # the tick runs in this task
    sender, processor, poller, maintenance = runtime.tasks
    held.others = {
        sender: "sender",
        processor: "update processor",
        poller: "poller",
        maintenance: "housekeeping",
        during_queued: "queued replies",
    }
    held.others_on = True
    ran = await runtime.scheduler.tick()
    held.task = None
    building.clear()
    built = time.perf_counter() - started
    rss_built = memory("VmHWM")
    reset_peak()
    built_at = clock.now()
    runtime.wake_sender.set()
    while True:
        counts = await outbox_by(sessions)
        left = sum(n for (p, st), n in counts.items() if p == Priority.BULK and st not in MESSAGES)
        if not left:
            break
        # Not more often: each look is a transaction, and takes the write lock the bot needs
        # (the rate is measured from the rows' own send times, not from this loop).
        await asyncio.sleep(0.5)
    elapsed = time.perf_counter() - started
    held.others_on = False
    rss_sent = memory("VmHWM")
    done.set()
    during = await during_queued
    during_h = await during_help
    stats = await client.stats()
    violations = {
        k: v - violations_before.get(k, 0)
        for k, v in stats.rate_limit_violations.items()
        if v - violations_before.get(k, 0)
    }
    refused = stats.rate_limited - refused_before
    async with unit_of_work(sessions) as s:
        digests = int(await s.scalar(select(func.count()).select_from(Digest)) or 0)
        # The round's rows (not the admin's command menu queued at start).
        bulk = (OutboxMessage.priority == Priority.BULK) & (OutboxMessage.created_at >= tick_at)
        first, last = (
            await s.execute(
                select(func.min(OutboxMessage.sent_at), func.max(OutboxMessage.sent_at)).where(bulk)
            )
        ).one()
        assert first is not None and last is not None, "no digest message was sent"
        is_message = OutboxMessage.method.not_in(sorted(NOT_MESSAGES))
        sent = OutboxMessage.status == OutboxStatus.SENT
        in_round = (
            OutboxMessage.sent_at >= tick_at,
            OutboxMessage.sent_at <= last,
            is_message,
            sent,
        )
        messages = int(
            await s.scalar(select(func.count()).select_from(OutboxMessage).where(*in_round)) or 0
        )
        sending = int(
            await s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.sent_at >= first, *in_round)
            )
            or 0
        )
        moments = sorted(
            (await s.scalars(select(OutboxMessage.sent_at).where(*in_round))).all()  # type: ignore[type-var]
        )
        bulk_final = dict(
            (
                await s.execute(
                    select(OutboxMessage.status, func.count())
                    .where(bulk)
                    .group_by(OutboxMessage.status)
                )
            ).all()
        )
        by_method = dict(
            (
                await s.execute(
                    select(OutboxMessage.method, func.count())
                    .where(bulk)
                    .group_by(OutboxMessage.method)
                )
            ).all()
        )
    quiet = await repeatedly(reply, queued_pool, 0.5, count=args.replies)
    quiet_h = await repeatedly(help_, help_pool, 1.0, count=args.replies)
    return {
        "granted": granted,
        "made": made,
        "items": items,
        "ran": ran,
        "built": built,
        "elapsed": elapsed,
        "digests": digests,
        "window": (last - tick_at).total_seconds(),
        "built_window": (built_at - tick_at).total_seconds(),
        "sent_at": [(m - tick_at).total_seconds() for m in moments if m is not None],
        "sending_window": (last - first).total_seconds(),
        "messages": messages,
        "sending_messages": sending,
        "by_method": by_method,
        "bulk_final": bulk_final,
        "commits": commits,
        "steps": dict(steps.seconds),
        "held": held.summary(),
        "rss": (rss_before, rss_built, rss_sent),
        "violations": violations,
        "refused": refused,
        "during": during,
        "during_help": during_h,
        "quiet": quiet,
        "quiet_help": quiet_h,
    }


def report_round(args: argparse.Namespace, r: dict[str, Any]) -> None:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    two = sum(1 for k in range(args.members) if len(followed_by(k)) > 1)
    by_method = r["by_method"]
    bulk = sum(by_method.values())
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"members {args.members} in {len(FOLLOWED)} sub-districts ({two} follow two), granted in"
        f" {r['granted']:.1f} s; {args.opinions} opinions made visible in {r['made']:.1f} s,"
        f" {r['items']:,} member items queued"
    )
    print(
        f"round: the tick ({', '.join(r['ran'])}) built {r['digests']} digests in"
        f" {r['built']:.1f} s; {bulk:,} digest messages queued ("
        + ", ".join(f"{m} {n:,}" for m, n in sorted(by_method.items()))
        + f"; {bulk / max(1, r['digests']):.1f} a member)"
    )
    rate = r["messages"] / r["window"]
    print(
        f"fan-out: {r['messages']:,} messages (digests and replies) from the tick to the last"
        f" digest message, {r['window']:.1f} s = {rate:.1f}/s = {rate / 30:.2f} of 30/s"
    )
    if r["sending_window"] > 0:
        rate2 = r["sending_messages"] / r["sending_window"]
        print(
            f"  from the first digest message to the last: {r['sending_messages']:,} in"
            f" {r['sending_window']:.1f} s = {rate2:.1f}/s = {rate2 / 30:.2f} of 30/s"
        )
    at = r["sent_at"]
    while_built = sum(1 for x in at if x <= r["built_window"])
    after = len(at) - while_built
    print(
        f"  while the tick built ({r['built_window']:.0f} s): {while_built:,} messages ="
        f" {while_built / r['built_window']:.1f}/s; after it: {after:,} in"
        f" {r['window'] - r['built_window']:.0f} s ="
        f" {after / max(1e-9, r['window'] - r['built_window']):.1f}/s"
    )
    per = Counter(int(x // 10) for x in at)
    print(
        "  messages sent per 10 s from the tick: "
        + " ".join(str(per[k]) for k in range(max(per) + 1))
    )
    print(f"digest rows at the end: {r['bulk_final']}")
    print(f"emulator: violations {r['violations'] or 'none'}, refused with 429: {r['refused']}")
    for name, during, quiet in (
        ("queued reply", r["during"], r["quiet"]),
        ("/help through the bot", r["during_help"], r["quiet_help"]),
    ):
        print(f"{name}:")
        print("  " + latency("during the round", during))
        print("  " + latency("  started while the tick built", during, "build"))
        print("  " + latency("  started while it only sent", during, "send"))
        print("  " + latency("without", quiet))
    for phase, values in r["commits"].items():
        when = "while the tick built" if phase == "build" else "while it only sent"
        if values:
            print(
                f"queued reply, its transaction alone (to commit), started {when}:"
                f" p50 {pct(values, 0.5):.0f} ms, p99 {pct(values, 0.99):.0f} ms"
            )
    steps = r["steps"]
    take, render, queue = (steps.get(k, 0.0) for k in ("take", "render", "queue"))
    n = max(1, r["digests"])
    print(
        f"the round's {r['built']:.1f} s: take {take:.1f} s ({take / n * 1000:.1f} ms a"
        f" digest, in the batches' transactions), render {render:.1f} s"
        f" ({render / n * 1000:.1f} ms, in a thread, no transaction), queue {queue:.1f} s"
        f" ({queue / n * 1000:.1f} ms, in the batches' transactions); of these, in seconds:"
    )
    shown = sorted(
        ((k, v) for k, v in steps.items() if k not in ("take", "render", "queue")),
        key=lambda kv: -kv[1],
    )
    print("  " + ", ".join(f"{k} {v:.1f}" for k, v in shown))
    h = r["held"]
    print(
        f"time holding the database (the tick's {h['count']:,} transactions, from the write lock"
        f" to the connection's return after commit): {h['held']:.1f} s of the {r['built']:.1f} s"
        f" ({h['held'] / max(1e-9, r['built']):.0%}); a transaction p50 {h['held_p50']:.0f} ms,"
        f" p99 {h['held_p99']:.0f} ms, max {h['held_max']:.0f} ms; waiting for the lock"
        f" {h['waited']:.1f} s in all, p99 {h['waited_p99']:.0f} ms"
    )
    print(
        "  by step: "
        + "; ".join(
            f"{k} {n:,} transactions, {total:.1f} s, p50 {p50:.0f} ms, p99 {p99:.0f} ms"
            for k, (n, total, p50, p99) in sorted(h["by"].items())
        )
    )
    print(
        "other tasks' transactions from the tick to the last digest message: "
        + "; ".join(
            f"{k} {n:,} ({n / max(1e-9, r['elapsed']):.1f}/s), holding {total:.1f} s"
            f" ({total / max(1e-9, r['elapsed']):.0%}), p50 {p50:.0f} ms, p99 {p99:.0f} ms,"
            f" waited p99 {w99:.0f} ms"
            for k, (n, total, p50, p99, w99) in sorted(h["others"].items())
        )
    )
    before, built, sent = r["rss"]
    rss = max(rss, built, sent)  # resetting VmHWM lowers what getrusage reports after it
    print(
        f"peak RSS of the bot's process (bot and driver): {rss:.0f} MiB; {before:.0f} MiB"
        f" before the tick, peak {built:.0f} MiB while the round was built, {sent:.0f} MiB"
        " while it only sent"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--opinions", type=int, default=300, help="made visible before the round")
    parser.add_argument(
        "--replies", type=int, default=40, help="replies measured without the round"
    )
    parser.add_argument("--plain", action="store_true", help="plain bulk messages, no bot")
    args = parser.parse_args()
    if args.plain:
        asyncio.run(plain(args))
    else:
        asyncio.run(digest_round(args))


if __name__ == "__main__":
    main()
