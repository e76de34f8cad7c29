"""A consultation's invitation round: every opted-in resident of its sub-districts invited at
Telegram's pace, residents' replies going ahead of it.

    python bench/invite_bench.py --residents 1000

The emulator (`yushi emulator`, flood limits enforced: a send over a limit is refused with
429 and not delivered), the bot (`yushi run`, a fresh SQLite file, SEND_RATE_PER_SECOND=30,
the shipped default) and this driver are three processes on 127.0.0.1.

Before the bot starts, the database gets (written straight into it, as 同意 and the opt-in
question store them) `--residents` residents who consented: eight in ten opted in to
consultations and living in one of the consultation's three sub-districts (eligible), one in
ten opted in but living elsewhere, one in ten opted out (living in those sub-districts);
besides them the 80 residents whose replies are measured, never asked (`consult_opt_in`
None), also living there. And one open consultation (deadline a week ahead, `opened_at`
now). Every one of them has started the bot in the emulator (Telegram refuses to write to
anyone else); those /start updates are dropped before the bot starts, as in
fanout_bench.py. The bot's first scheduler tick, at start, queues the invitations a batch at
a time through the bulk outbox (`bot.features.consultations.jobs.send_invitations`).

While the round is queued and sent, one resident types a greeting ("你好", answered as such
by the conversation, a reply the handler queues) every half second and another sends /help
every second, both through the whole bot (poller, inbox, handler, outbox, sender); the same
is then measured again with no round.

Reported: the time to queue every invitation, the achieved send rate over Telegram's 30 a
second, the violations and 429s the emulator counted, reply latency p50/p99 during and
without the round, the bot's peak RSS (VmHWM); and exactness: every eligible resident got
exactly one invitation, nobody else any (counted from the messages the emulator delivered,
and from the database's invitation rows). Nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fanout_bench import (  # noqa: E402
    ELSEWHERE,
    FOLLOWED,
    MESSAGES,
    Sample,
    help_reply,
    latency,
    repeatedly,
)
from flow_bench import peak_rss, start_emulator  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402
from telegram import Bot  # noqa: E402

from bot.delivery.pacing import NOT_MESSAGES  # noqa: E402
from bot.domain.clock import utcnow  # noqa: E402
from bot.features.consent import CONSENT_VERSION  # noqa: E402
from bot.features.consultations.callbacks import INVITATION  # noqa: E402
from storage import create_engine, session_factory, unit_of_work, upgrade  # noqa: E402
from storage.models import (  # noqa: E402
    Consultation,
    ConsultationInvitation,
    OutboxMessage,
    Resident,
)
from storage.repositories import ResidentRepository  # noqa: E402
from storage.statuses import ConsultationStatus, OutboxStatus, Priority  # noqa: E402
from tgemu import EmulatorClient, make_token  # noqa: E402

BOT_ID = 7_400_000_002
ADMIN = 9_800_000_002  # the consultation's author (no admin takes part in the round)
RESIDENTS_FROM = 9_300_000_001
POOL_FROM = 9_390_000_001  # the residents whose replies are measured
POOL = 40  # of each kind: a chat is used again only after its burst refilled
#: The consultation's sub-districts: 解放碑, 南纪门, 七星岗 (from fanout_bench's four).
CONSULTED = FOLLOWED[:3]
GREETING = "你好"
TITLE = "解放碑片区夜间停车怎么管？"
DESCRIPTION = "解放碑、南纪门、七星岗晚上停车难、乱停车，想听听居民的办法。"


def kind_of(k: int) -> str:
    """Resident k of the round: eligible, opted in elsewhere, or opted out."""
    return {8: "elsewhere", 9: "opted out"}.get(k % 10, "eligible")


def home_of(k: int) -> str:
    return ELSEWHERE[k % len(ELSEWHERE)] if kind_of(k) == "elsewhere" else CONSULTED[k % 3]


@dataclass
class Run:
    residents: dict[str, list[int]] = field(default_factory=dict)  # kind -> telegram ids
    consultation_id: int = 0
    launched: datetime | None = None
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    invitations_seen: dict[int, int] = field(default_factory=dict)  # telegram id -> count
    violations: dict[str, int] = field(default_factory=dict)
    refused: int = 0
    peak_rss_kib: int = 0
    db: dict[str, Any] = field(default_factory=dict)


# --- the database before the bot starts ----------------------------------------------------


async def seed(url: str, n: int) -> Run:
    """Migrations, the residents (consented as 同意 stores them, then their answer to the
    opt-in question and their home sub-district), the open consultation."""
    run = Run()
    engine = create_engine(url)
    await upgrade(engine)
    sessions = session_factory(engine)
    now = utcnow()
    people: list[tuple[int, bool | None, str]] = [
        (RESIDENTS_FROM + k, kind_of(k) != "opted out", home_of(k)) for k in range(n)
    ]
    people += [(POOL_FROM + i, None, CONSULTED[i % 3]) for i in range(2 * POOL)]
    for lo in range(0, len(people), 200):
        async with unit_of_work(sessions) as s:
            repo = ResidentRepository(s)
            for uid, opt_in, home in people[lo : lo + 200]:
                r = await repo.consent(uid, "zh", CONSENT_VERSION, now)
                if opt_in is not None:
                    await repo.set_consult_opt_in(r.id, opt_in, now)
                await s.execute(
                    update(Resident).where(Resident.id == r.id).values(home_subdistrict=home)
                )
    async with unit_of_work(sessions) as s:
        row = Consultation(
            status=ConsultationStatus.OPEN,
            title=TITLE,
            description=DESCRIPTION,
            subdistricts=list(CONSULTED),
            deadline=now + timedelta(days=7),
            created_by=ADMIN,
            created_at=now,
            opened_at=now,
        )
        s.add(row)
        await s.flush()
        run.consultation_id = row.id
    await engine.dispose()
    for k in range(n):
        run.residents.setdefault(kind_of(k), []).append(RESIDENTS_FROM + k)
    run.residents["never asked (reply pools)"] = [POOL_FROM + i for i in range(2 * POOL)]
    return run


# --- watching the round from outside (read-only: no write lock taken) ----------------------


def peek(path: str, consultation_id: int) -> tuple[int, bool, int]:
    """(invitation rows, every invitation queued, bulk outbox rows not final yet)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        invited = db.execute(
            "SELECT count(*) FROM consultation_invitations WHERE consultation_id = ?",
            (consultation_id,),
        ).fetchone()[0]
        done = db.execute(
            "SELECT invited_at IS NOT NULL FROM consultations WHERE id = ?", (consultation_id,)
        ).fetchone()[0]
        marks = ",".join("?" * len(MESSAGES))
        left = db.execute(
            f"SELECT count(*) FROM outbox WHERE priority = ? AND status NOT IN ({marks})",
            (int(Priority.BULK), *MESSAGES),
        ).fetchone()[0]
    finally:
        db.close()
    return int(invited), bool(done), int(left)


async def greeting_reply(client: EmulatorClient, uid: int) -> float:
    """A typed greeting through the whole bot (answered as a greeting: a reply the handler
    queues); seconds until the answer arrives."""
    started = time.perf_counter()
    sent = await client.send_text(uid, GREETING)
    await client.wait_for_bot_message(uid, after=sent.cursor, timeout=600)
    return time.perf_counter() - started


# --- the round -------------------------------------------------------------------------------


def bot_command() -> list[str]:
    """`yushi run` (the installed script beside this Python), else `python -m bot run`."""
    script = Path(sys.executable).with_name("yushi")
    if script.exists():
        return [str(script), "run"]
    found = shutil.which("yushi")
    return [found, "run"] if found else [sys.executable, "-m", "bot", "run"]


async def drive(args: argparse.Namespace, run: Run, path: str, url: str) -> None:
    port, emu = await start_emulator()
    try:
        emu_url = f"http://127.0.0.1:{port}"
        async with EmulatorClient(emu_url) as client:
            token = make_token(BOT_ID)
            await client.register_bot(token, username="invite_bench_bot")
            client.bot_id = BOT_ID
            await client.set_rate_limit_enforcement(True)
            everyone = [uid for ids in run.residents.values() for uid in ids]
            for uid in everyone:
                await client.start(uid)  # the bot may write to them from now on
            async with Bot(token, base_url=f"{emu_url}/bot") as bot:
                # Their /start updates are not part of the benchmark.
                await bot.delete_webhook(drop_pending_updates=True)
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")},
                "TELEGRAM_BOT_TOKEN": token,
                "TELEGRAM_API_BASE_URL": f"{emu_url}/bot",
                "TELEGRAM_API_FILE_URL": f"{emu_url}/file/bot",
                "DATABASE_URL": url,
                "SEND_RATE_PER_SECOND": "30",
                "LOG_LEVEL": "WARNING",
                "POLL_TIMEOUT": "1",
                "PYTHONPATH": str(ROOT),
            }
            stats = await client.stats()
            violations_before = dict(stats.rate_limit_violations)
            refused_before = stats.rate_limited
            run.launched = utcnow()
            proc = await asyncio.create_subprocess_exec(
                *bot_command(), env=env, cwd=str(Path(path).parent)
            )
            try:
                await measure(args, run, client, proc, path)
                stats = await client.stats()
                run.violations = {
                    k: v - violations_before.get(k, 0)
                    for k, v in stats.rate_limit_violations.items()
                    if v - violations_before.get(k, 0)
                }
                run.refused = stats.rate_limited - refused_before
                run.peak_rss_kib = peak_rss(proc.pid)
            finally:
                if proc.returncode is None:
                    proc.terminate()
                await proc.wait()
            run.invitations_seen = await invitations_seen(client, everyone, run.consultation_id)
    finally:
        emu.terminate()
        await emu.wait()


async def measure(
    args: argparse.Namespace,
    run: Run,
    client: EmulatorClient,
    proc: asyncio.subprocess.Process,
    path: str,
) -> None:
    greeting_pool = run.residents["never asked (reply pools)"][:POOL]
    help_pool = run.residents["never asked (reply pools)"][POOL:]
    # The round begins at the bot's first tick, at start: wait for its first invitation row
    # (the poller runs by then), then measure replies until every invitation is sent.
    deadline = time.monotonic() + 120
    while (await asyncio.to_thread(peek, path, run.consultation_id))[0] == 0:
        if proc.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError("the bot queued no invitation")
        await asyncio.sleep(0.05)
    done = asyncio.Event()

    def greet(uid: int) -> Awaitable[float]:
        return greeting_reply(client, uid)

    def help_(uid: int) -> Awaitable[float]:
        return help_reply(client, uid)

    during_g = asyncio.create_task(repeatedly(greet, greeting_pool, 0.5, until=done))
    during_h = asyncio.create_task(repeatedly(help_, help_pool, 1.0, until=done))
    deadline = time.monotonic() + 1800
    while True:
        _, queued, left = await asyncio.to_thread(peek, path, run.consultation_id)
        if queued and not left:
            break
        if proc.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError("the round did not finish")
        # Not more often: the rate is measured from the rows' own send times.
        await asyncio.sleep(0.5)
    done.set()
    run.samples["greeting during"] = await during_g
    run.samples["/help during"] = await during_h
    await asyncio.sleep(3)  # the pools' chats refill their burst
    quiet_g, quiet_h = await asyncio.gather(
        repeatedly(greet, greeting_pool, 0.5, count=2 * args.replies),
        repeatedly(help_, help_pool, 1.0, count=args.replies),
    )
    run.samples["greeting without"] = quiet_g
    run.samples["/help without"] = quiet_h


async def invitations_seen(
    client: EmulatorClient, uids: Sequence[int], consultation_id: int
) -> dict[int, int]:
    """Invitations each person got, as the emulator delivered them: messages carrying this
    consultation's 参与 button."""
    join = INVITATION.build(consultation_id, "join")
    limit = asyncio.Semaphore(16)

    async def one(uid: int) -> tuple[int, int]:
        async with limit:
            messages = await client.bot_messages(uid)
        return uid, sum(
            1 for m in messages if any(b.callback_data == join for row in m.buttons for b in row)
        )

    return dict(await asyncio.gather(*(one(uid) for uid in uids)))


async def read_database(url: str, run: Run) -> None:
    """After the bot stopped: the invitation rows, the outbox's times and outcomes."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    cid = run.consultation_id
    async with unit_of_work(sessions) as s:
        c = await s.get(Consultation, cid)
        assert c is not None and c.invited_at is not None, "the round was not finished"
        rows = (
            await s.execute(
                select(Resident.telegram_id, ConsultationInvitation.queued_at)
                .join(Resident, Resident.id == ConsultationInvitation.resident_id)
                .where(ConsultationInvitation.consultation_id == cid)
            )
        ).all()
        invited = Counter(int(uid) for uid, _ in rows)
        tick_at = min(at for _, at in rows)
        last_queued = max(at for _, at in rows)
        bulk = OutboxMessage.priority == Priority.BULK
        first, last = (
            await s.execute(
                select(func.min(OutboxMessage.sent_at), func.max(OutboxMessage.sent_at)).where(bulk)
            )
        ).one()
        assert first is not None and last is not None, "no invitation was sent"
        is_message = OutboxMessage.method.not_in(sorted(NOT_MESSAGES))
        in_round = (
            OutboxMessage.sent_at >= tick_at,
            OutboxMessage.sent_at <= last,
            OutboxMessage.status == OutboxStatus.SENT,
            is_message,
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
        bulk_chats = Counter(
            int(x) for x in await s.scalars(select(OutboxMessage.chat_id).where(bulk))
        )
        run.db = {
            "invited": invited,
            "tick_at": tick_at,
            "last_queued": last_queued,
            "invited_at": c.invited_at,
            "first_sent": first,
            "last_sent": last,
            "moments": [(m - tick_at).total_seconds() for m in moments if m is not None],
            "bulk_final": {str(k): int(v) for k, v in bulk_final.items()},
            "bulk_chats": bulk_chats,
        }
    await engine.dispose()


# --- the report ------------------------------------------------------------------------------


def report(args: argparse.Namespace, run: Run) -> None:
    d = run.db
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}; load average {load} at the end"
    )
    print(
        "residents: "
        + ", ".join(f"{k} {len(v):,}" for k, v in run.residents.items())
        + f"; consultation {run.consultation_id} in {', '.join(CONSULTED)}"
    )
    assert run.launched is not None
    tick_at, invited_at = d["tick_at"], d["invited_at"]
    print(
        f"queue: the first invitation {(tick_at - run.launched).total_seconds():.1f} s after"
        f" `yushi run` was launched; all {sum(d['invited'].values()):,} invitation rows queued in"
        f" {(d['last_queued'] - tick_at).total_seconds():.2f} s (the last batch's start),"
        f" the round marked done (invited_at) {(invited_at - tick_at).total_seconds():.2f} s"
        " after the first"
    )
    print(
        f"  first invitation sent {(d['first_sent'] - tick_at).total_seconds():.2f} s after it"
        f" was queued; bulk rows at the end: {d['bulk_final']}"
    )
    at = d["moments"]
    window = (d["last_sent"] - tick_at).total_seconds()
    rate = len(at) / window
    print(
        f"fan-out: {len(at):,} messages (invitations and replies) from the first invitation"
        f" queued to the last sent, {window:.1f} s = {rate:.1f}/s = {rate / 30:.2f} of 30/s"
    )
    first_s = (d["first_sent"] - tick_at).total_seconds()
    sending = sum(1 for x in at if x >= first_s)
    if window > first_s:
        rate2 = sending / (window - first_s)
        print(
            f"  from the first invitation sent to the last: {sending:,} in"
            f" {window - first_s:.1f} s = {rate2:.1f}/s = {rate2 / 30:.2f} of 30/s"
        )
    per = Counter(int(x // 10) for x in at)
    print(
        "  messages sent per 10 s from the first invitation queued: "
        + " ".join(str(per[k]) for k in range(max(per) + 1))
    )
    print(f"emulator: violations {run.violations or 'none'}, refused with 429: {run.refused}")
    for name in ("greeting", "/help"):
        print(f"{name} (through the bot):")
        print("  " + latency("during the round", run.samples[f"{name} during"]))
        print("  " + latency("without", run.samples[f"{name} without"]))
    print(f"peak RSS of the bot's process: {run.peak_rss_kib / 1024:.1f} MiB")

    # Exactness: from what the emulator delivered, and from the database.
    eligible = set(run.residents["eligible"])
    seen, invited, chats = run.invitations_seen, d["invited"], d["bulk_chats"]
    ok = True
    for kind, ids in run.residents.items():
        got = Counter(seen.get(uid, 0) for uid in ids)
        rows = sum(invited.get(uid, 0) for uid in ids)
        want = 1 if kind == "eligible" else 0
        right = got == Counter({want: len(ids)}) and rows == want * len(ids)
        ok &= right
        spread = ", ".join(f"{n} people got {k}" for k, n in sorted(got.items()))
        print(
            f"  {kind}: {len(ids):,}; invitations delivered: {spread}; invitation rows {rows:,}"
            f" -> {'ok' if right else 'WRONG'}"
        )
    strays = {uid: n for uid, n in chats.items() if uid not in eligible or n != 1}
    ok &= not strays and set(chats) == eligible
    print(
        f"exactly once: {'yes' if ok else 'NO'} ({len(eligible):,} eligible, each one invitation"
        f" delivered and one bulk outbox row; nobody else any"
        + (f"; unexpected bulk rows: {dict(list(strays.items())[:10])}" if strays else "")
        + ")"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--residents",
        type=int,
        default=1000,
        help="residents of the round (8 in 10 eligible, 1 opted in elsewhere, 1 opted out)",
    )
    parser.add_argument(
        "--replies",
        type=int,
        default=20,
        help="/help measured without the round (twice as many greetings)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/invite.sqlite3"
        url = f"sqlite+aiosqlite:///{path}"
        t = time.perf_counter()
        run = await seed(url, args.residents)
        print(f"seeded in {time.perf_counter() - t:.1f} s", flush=True)
        await drive(args, run, path, url)
        await read_database(url, run)
    report(args, run)


if __name__ == "__main__":
    asyncio.run(main())
