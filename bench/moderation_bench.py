"""An admin's moderation session from a phone: /queue, then one tap on ✅ 通过 per card.

    python bench/moderation_bench.py                          # 200 items, tap on sight
    python bench/moderation_bench.py --items 50 --think 1.5   # reads each card for 1.5 s

The emulator (`yushi emulator`), the bot (`python -m bot run`, MODERATION_MODE=pre, a fresh
SQLite file) and this driver are three processes on 127.0.0.1. Before the bot starts, the
database gets `--residents` residents (consented, as 同意 stores them) and `--items` opinions,
each reviewed as intake reviews a submission (ModerationService.review: pending in pre mode,
held if a rule matches). The residents then open the chat (/start), so the bot may write to
them. The admin (ADMIN_IDS) opens the bot, sends /help 20 times (the baseline), then /queue,
then presses ✅ 通过 on the card until the queue is empty. After each tap the driver waits for
the card message to be edited into the next card (or into "没有待审核"), as the phone shows it.

Reported: tap -> next card p50/p90/p99/max, tap -> button answered (the spinner stops), the
whole session, taps a minute; /help round trips (back to back, as the taps, and rested: two
seconds apart) and the ratios; opinions that ended "received"; approval notices the residents
got; the emulator's flood-limit count; the bot's peak RSS. Nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from flow_bench import peak_rss, start_emulator  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.deps import Deps  # noqa: E402
from bot.domain import load_district  # noqa: E402
from bot.domain.categories import suggest_category  # noqa: E402
from bot.features.consent import CONSENT_VERSION  # noqa: E402
from bot.features.moderation.service import ModerationService  # noqa: E402
from bot.telegram.work import services_for  # noqa: E402
from storage import create_engine, session_factory, unit_of_work, upgrade  # noqa: E402
from storage.models import Opinion  # noqa: E402
from storage.repositories import OpinionRepository, ResidentRepository  # noqa: E402
from storage.statuses import OpinionStatus  # noqa: E402
from tgemu import EmulatorClient  # noqa: E402
from tgemu.client_types import ChatMessage  # noqa: E402

ADMIN = 9_000_000_001
RESIDENTS_FROM = 9_100_000_000
TOKEN = "600000099:BENCH-moderation-token-xxxxxxxx"
APPROVE = "✅ 通过"
EMPTY = "没有待审核"
NOTICE = "已通过审核"
DATA = ROOT / "tests" / "domain" / "data" / "clusters_dev.jsonl"
REF = re.compile(r"YZ-\d{6}")


@dataclass
class Run:
    tap: list[float] = field(default_factory=list)  # tap -> the card edited into the next
    answered: list[float] = field(default_factory=list)  # tap -> answerCallbackQuery seen
    help_burst: list[float] = field(default_factory=list)  # /help right after the reply
    help_rested: list[float] = field(default_factory=list)  # /help two seconds after it
    queue: float = 0.0  # /queue -> the first card
    session: float = 0.0  # first tap -> last card, think time included
    taps: int = 0
    distinct_cards: int = 0
    ended_empty: bool = False
    statuses: dict[str, int] = field(default_factory=dict)
    seeded: dict[str, int] = field(default_factory=dict)
    notices: int = 0
    notices_wait: float = 0.0  # after the last tap, until every notice arrived (or gave up)
    violations: dict[str, int] = field(default_factory=dict)
    refused: int = 0
    edits: int = 0
    peak_rss_kib: int = 0


def pct(values: list[float], q: float) -> float:
    """The q-quantile in ms (nearest rank, as flow_bench)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


# --- the database before the bot starts ----------------------------------------------------


def texts(n: int) -> list[str]:
    """Residents' opinions: the labelled dev set's texts, distinct while they last."""
    base = [json.loads(line)["text"] for line in DATA.open(encoding="utf-8")]
    rng = random.Random(11)
    rng.shuffle(base)
    return [base[i % len(base)] for i in range(n)]


async def seed(url: str, residents: int, items: int, background: int) -> dict[str, int]:
    """Migrations; residents who consented (as 同意 stores them); `items` opinions spread
    over them, each reviewed as intake does at submission. Returns opinions by status."""
    engine = create_engine(url)
    await upgrade(engine)
    if background:
        await engine.dispose()
        add_background(url, background)
        engine = create_engine(url)
    sessions = session_factory(engine)
    district = load_district()
    codes = [s.code for s in district.subdistricts]
    deps = Deps(Settings(_env_file=None, moderation_mode="pre"), district)
    rng = random.Random(3)
    async with unit_of_work(sessions) as session:
        work = services_for(session, deps)
        ids = []
        for i in range(residents):
            r = await work.repo(ResidentRepository).consent(
                RESIDENTS_FROM + i, "zh", CONSENT_VERSION, work.now()
            )
            ids.append(r.id)
        for k, text in enumerate(texts(items)):
            now = work.now()
            row = Opinion(
                resident_id=ids[k % residents],
                text=text,
                subdistrict=rng.choice(codes),
                category=suggest_category(text).key,
                suggested_category=suggest_category(text).key,
                status=OpinionStatus.RECEIVED,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            record = await work.repo(OpinionRepository).get(row.id)
            assert record is not None
            await work.service(ModerationService).review(record)
    await engine.dispose()
    return opinion_statuses(url)


def add_background(url: str, n: int) -> None:
    """`n` older opinions already decided (received), as years of use leave them."""
    path = url.split(":///", 1)[1]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = (
        (
            "凯旋路晚上停车太乱了",
            "500103003",
            "parking_traffic",
            (start + timedelta(minutes=5 * i)).strftime("%Y-%m-%d %H:%M:%S.%f"),
        )
        for i in range(n)
    )
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO opinions (text, source_message_ids, photo_file_ids, subdistrict,"
            " category, status, created_at, updated_at, visible_at, hold_reasons)"
            " VALUES (?, '[]', '[]', ?, ?, 'received', ?, ?, ?, '[]')",
            ((t, s, c, at, at, at) for t, s, c, at in rows),
        )
    db.close()


def opinion_statuses(url: str) -> dict[str, int]:
    path = url.split(":///", 1)[1]
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT status, count(*) FROM opinions GROUP BY status").fetchall()
    finally:
        db.close()
    return {str(s): int(n) for s, n in rows}


# --- the session -----------------------------------------------------------------------------


def approve_data(m: ChatMessage) -> str | None:
    for row in m.buttons:
        for b in row:
            if b.text == APPROVE:
                return b.callback_data
    return None


async def command(
    c: EmulatorClient, uid: int, text: str, timeout: float
) -> tuple[float, ChatMessage]:
    """A command, and the time until the bot's next new message in the chat."""
    started = time.perf_counter()
    sent = await c.send_text(uid, text)
    m = await c.wait_for_bot_message(uid, after=sent.cursor, timeout=timeout)
    return time.perf_counter() - started, m


async def tap(
    c: EmulatorClient, card: ChatMessage, data: str, timeout: float
) -> tuple[float, float, ChatMessage]:
    """Press ✅ 通过; wait for the button's answer and for the card's edit."""
    started = time.perf_counter()
    pressed = await c.press(ADMIN, card.message_id, callback_data=data)

    async def answered() -> float:
        await c.wait_for_callback_answer(pressed.callback_query_id, timeout=timeout)
        return time.perf_counter() - started

    async def edited() -> tuple[float, ChatMessage]:
        after = pressed.cursor
        while True:
            act = await c.wait_for_bot_activity(ADMIN, after=after, timeout=timeout)
            if act.kind == "edited" and act.message.message_id == card.message_id:
                return time.perf_counter() - started, act.message
            after = act.cursor  # anything else in the chat: not the card

    answer, (edit, m) = await asyncio.gather(answered(), edited())
    return edit, answer, m


async def drive(args: argparse.Namespace, emu_url: str, env: dict[str, str], url: str) -> Run:
    run = Run()
    timeout = 60.0
    async with EmulatorClient(emu_url) as c:
        bot = await c.register_bot(TOKEN, username="yushi_moderation_bench_bot")
        c.bot_id = bot.id
        await c.create_user(ADMIN, first_name="管理员")
        for i in range(args.residents):
            await c.create_user(RESIDENTS_FROM + i, first_name=f"居民{i}")
        command_line = [sys.executable, "-m", "bot", "run"]
        proc = await asyncio.create_subprocess_exec(*command_line, env=env, cwd=env["BENCH_CWD"])
        try:
            # The residents open the chat (welcome back): the bot may write to them. This
            # also warms the bot up (first connections, first updates).
            await asyncio.gather(
                *(command(c, RESIDENTS_FROM + i, "/start", timeout) for i in range(args.residents))
            )
            await command(c, ADMIN, "/start", timeout)
            await asyncio.sleep(3)  # the chat's burst refills
            for _ in range(args.samples):
                await asyncio.sleep(2)
                run.help_rested.append((await command(c, ADMIN, "/help", timeout))[0])
            for _ in range(args.samples):
                run.help_burst.append((await command(c, ADMIN, "/help", timeout))[0])
            await asyncio.sleep(3)
            run.queue, card = await command(c, ADMIN, "/queue", timeout)
            seen: set[str] = set()
            started = time.perf_counter()
            while (data := approve_data(card)) is not None:
                if card.text and (refs := REF.findall(card.text)):
                    seen.add(refs[-1])  # the card's own item (a note names the previous one)
                if args.think and run.taps:
                    await asyncio.sleep(args.think)
                edit, answer, card = await tap(c, card, data, timeout)
                run.tap.append(edit)
                run.answered.append(answer)
                run.taps += 1
            run.session = time.perf_counter() - started
            run.distinct_cards = len(seen)
            run.ended_empty = EMPTY in (card.text or "")
            # The approval notices, each to its author.
            waited = time.perf_counter()
            deadline = waited + 60
            while True:
                told = 0
                for i in range(args.residents):
                    for m in await c.bot_messages(RESIDENTS_FROM + i):
                        told += NOTICE in (m.text or "")
                if told >= run.taps or time.perf_counter() > deadline:
                    break
                await asyncio.sleep(0.5)
            run.notices = told
            run.notices_wait = time.perf_counter() - waited
            stats = await c.stats()
            run.violations = dict(stats.rate_limit_violations)
            run.refused = stats.rate_limited
            run.edits = stats.bot_messages_edited
            run.peak_rss_kib = peak_rss(proc.pid)
        finally:
            proc.terminate()
            await proc.wait()
    run.statuses = opinion_statuses(url)
    return run


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200, help="opinions waiting for review")
    parser.add_argument("--residents", type=int, default=20, help="their authors")
    parser.add_argument(
        "--think", type=float, default=0.0, help="seconds the admin reads each card (0: none)"
    )
    parser.add_argument("--samples", type=int, default=20, help="/help round trips of each kind")
    parser.add_argument(
        "--background", type=int, default=0, help="older, decided opinions in the database"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/moderation.sqlite3"
        seeded = await seed(url, args.residents, args.items, args.background)
        port, emu = await start_emulator()
        try:
            emu_url = f"http://127.0.0.1:{port}"
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")},
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": f"{emu_url}/bot",
                "TELEGRAM_API_FILE_URL": f"{emu_url}/file/bot",
                "DATABASE_URL": url,
                "ADMIN_IDS": str(ADMIN),
                "MODERATION_MODE": "pre",
                "BENCH_CWD": tmp,
                "LOG_LEVEL": "WARNING",
                "POLL_TIMEOUT": "1",
                "PYTHONPATH": str(ROOT),
            }
            run = await drive(args, emu_url, env, url)
        finally:
            emu.terminate()
            await emu.wait()
    run.seeded = seeded
    report(args, run)


def report(args: argparse.Namespace, run: Run) -> None:
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    waiting = ", ".join(f"{n} {s}" for s, n in sorted(run.seeded.items()))
    print(
        f"items: {args.items} ({waiting}) from {args.residents} residents,"
        f" {args.background} older decided opinions; think {args.think:g} s;"
        " SEND_RATE_PER_SECOND=30 (default), SQLite synchronous=FULL"
    )
    header = ("what", "n", "p50 ms", "p90 ms", "p99 ms", "max ms")
    print(f"{header[0]:<34}{header[1]:>5}{header[2]:>9}{header[3]:>9}{header[4]:>9}{header[5]:>9}")
    for name, values in (
        ("tap -> next card (edit)", run.tap),
        ("tap -> button answered", run.answered),
        ("/help back to back", run.help_burst),
        ("/help rested (2 s apart)", run.help_rested),
    ):
        print(
            f"{name:<34}{len(values):>5}{pct(values, 0.5):>9.1f}{pct(values, 0.9):>9.1f}"
            f"{pct(values, 0.99):>9.1f}{max(values, default=float('nan')) * 1000:>9.1f}"
        )
    print(f"/queue -> first card: {run.queue * 1000:.1f} ms")
    per_minute = run.taps / run.session * 60 if run.session else 0.0
    print(
        f"session: {run.taps} taps in {run.session:.1f} s, {per_minute:.1f} taps/min,"
        f" {run.distinct_cards} distinct cards, ended on '{EMPTY}': {run.ended_empty}"
    )
    tap50 = pct(run.tap, 0.5)
    print(
        f"ratio p50(tap)/p50(/help back to back): {tap50 / pct(run.help_burst, 0.5):.2f}x;"
        f" p50(tap)/p50(/help rested): {tap50 / pct(run.help_rested, 0.5):.1f}x"
    )
    received = run.statuses.get(OpinionStatus.RECEIVED, 0) - args.background
    print(
        f"opinions received: {received} of {args.items}; by status after: "
        + ", ".join(f"{s} {n}" for s, n in sorted(run.statuses.items()))
    )
    print(
        f"approval notices delivered: {run.notices} of {run.taps}"
        f" (all in within {run.notices_wait:.1f} s after the last tap)"
    )
    violations = ", ".join(f"{k} {v}" for k, v in run.violations.items() if v) or "none"
    print(
        f"emulator: {run.edits} edits, flood-limit violations {violations},"
        f" refused (429) {run.refused}; bot peak RSS {run.peak_rss_kib / 1024:.1f} MiB"
    )


if __name__ == "__main__":
    asyncio.run(main())
