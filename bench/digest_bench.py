"""One member's digest on a small and a large database: the period should decide the cost.

    python bench/digest_bench.py                              # 10,000 vs 1,000,000 opinions
    python bench/digest_bench.py --large 200000               # a quick check
    python bench/digest_bench.py --keep /tmp/digest-dbs       # keep the databases, reuse them

For each size a SQLite file database is built (Alembic migrations, then the rows written in
bulk): one member M following two sub-districts, with 500 opinions queued for M in the
period since M's last digest, and the rest of the stored opinions in the two years before it
(already taken by M's earlier daily digests) or in the other nine sub-districts (taken by
their members' digests, or queued for them). Every opinion has its visibility event, every
follower of its sub-district its digest item; each member has a digest a day.

Timed: M's digest in the three steps of `bot.features.digests.jobs` (on the bot's own engine:
WAL, synchronous=FULL): `take_due(M, now)` in a unit of work (its transaction: the digest
recorded, the items taken, what drawing needs read), `render(taken)` in a thread outside any
transaction, `queue(taken, rendered)` in a unit of work (the outbox rows, once). The two
transactions, to their commits, are the time the build holds SQLite's write lock. Each
repetition cold (the cluster, chart and sheet caches cleared) and then undone (items untaken,
the digest, with its `queued_at`, and its outbox rows deleted, the schedule put back). Each
size is measured in a process of its own (so its peak RSS is that run's alone), after one
build that is not counted (imports, fonts, first connections). Reported: the median of the
repetitions for each step and the whole, where the time went, the ratio of the large to the
small size (goal <= 1.5), peak RSS, the Python heap's peak during one build (tracemalloc), and
the query plans of the digest queries (EXPLAIN QUERY PLAN on the statements the build ran).
A kept database is migrated to the current schema before it is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, event, update  # noqa: E402

import bot.domain.digest as digest_domain  # noqa: E402
import bot.features.digests.service as digest_service  # noqa: E402
import bot.features.digests.views as digest_views  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.deps import Deps  # noqa: E402
from bot.domain import load_district  # noqa: E402
from bot.domain.categories import suggest_category  # noqa: E402
from bot.domain.clock import ManualClock  # noqa: E402
from bot.features.digests.service import DigestService  # noqa: E402
from bot.features.digests.views import AWAITING_SHOWN, AWAITING_WINDOW  # noqa: E402
from bot.features.staff import StaffService  # noqa: E402
from bot.telegram.work import Work, services_for  # noqa: E402
from storage import create_engine, session_factory, unit_of_work, upgrade  # noqa: E402
from storage.models import Digest, DigestItem, OutboxMessage  # noqa: E402
from storage.repositories import DigestRepository, StaffRepository  # noqa: E402
from storage.statuses import Role, VisibilityKind  # noqa: E402

DISTRICT = load_district()
CODES = [s.code for s in DISTRICT.subdistricts]
#: M follows 解放碑 and 南纪门 (as the demo's member does).
FOLLOWED = ("500103003", "500103008")
MEMBER = 8_000_000_001
OTHERS_FROM = 8_000_001_000
ADMIN = 8_000_000_000
#: 2026-12-02 08:00 in Shanghai: M's digest time. M's last digest was a day earlier.
SLOT = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
NOW = SLOT + timedelta(seconds=1)
LAST = SLOT - timedelta(days=1)
HISTORY_DAYS = 730  # RETENTION_DAYS: texts older than that are erased
START = LAST - timedelta(days=HISTORY_DAYS)  # the history: digest d took [START+d-1, START+d) days
GRANTED = START - timedelta(hours=1)
UNPLACED_SHARE = 0.02
TRY_INDEX = "ix_bench_try"
#: Migration 0005's index, by which `awaiting` reads its 60 days.
AWAITING_INDEX = "ix_opinions_subdistrict_status_visible_at"
DATA = ROOT / "tests" / "domain" / "data" / "clusters_dev.jsonl"
PREFIXES = ("", "", "您好，", "我想反映个问题：", "居民反映：", "【建议】", "再说一次，")
SUFFIXES = ("", "", "谢谢！", "希望尽快处理。", "！！", "，麻烦看看", " 盼回复")

T = TypeVar("T")


# --- building a database -------------------------------------------------------------------


def ts(moment: datetime) -> str:
    """A UTC moment as SQLAlchemy stores it in SQLite (what the bot's queries compare)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def text_pool(n: int, seed: int = 7) -> list[tuple[str, str]]:
    """(text, category) pairs: the labelled dev opinions with small variations, each
    category what intake would suggest for it."""
    base = [json.loads(line)["text"] for line in DATA.open(encoding="utf-8")]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        text = rng.choice(base)
        if rng.random() < 0.3 and len(text) > 8:
            k = rng.randrange(len(text))
            text = text[:k] + text[k + 1 :]
        text = rng.choice(PREFIXES) + text + rng.choice(SUFFIXES)
        out.append((text, suggest_category(text).key))
    return out


def followers_of(others: int) -> dict[str, list[int]]:
    """Sub-district -> members following it: `others` members for each, and M."""
    followers: dict[str, list[int]] = {code: [] for code in CODES}
    k = 0
    for code in CODES:
        for _ in range(others):
            followers[code].append(OTHERS_FROM + k)
            k += 1
    for code in FOLLOWED:
        followers[code].append(MEMBER)
    return followers


async def make_members(url: str, followers: dict[str, list[int]]) -> None:
    """Migrations, then the members granted by an admin (StaffService, as /grant does it)
    before the history starts, and their last digest slot recorded (a digest a day)."""
    engine = create_engine(url)
    await upgrade(engine)
    sessions = session_factory(engine)
    deps = Deps(Settings(_env_file=None), DISTRICT, clock=ManualClock(GRANTED), menus={})
    by_member: dict[int, list[str]] = defaultdict(list)
    for code, members in followers.items():
        for m in members:
            by_member[m].append(code)
    async with unit_of_work(sessions) as session:
        work = services_for(session, deps)
        for member, codes in sorted(by_member.items()):
            await work.service(StaffService).grant(ADMIN, member, Role.MEMBER, codes)
            await work.repo(StaffRepository).advance(member, None, LAST, SLOT)
    await engine.dispose()


def build(path: Path, size: int, items: int, others: int, seed: int = 1) -> dict[str, Any]:
    """A database of `size` stored opinions, `items` of them in M's period."""
    started = time.perf_counter()
    url = f"sqlite+aiosqlite:///{path}"
    followers = followers_of(others)
    asyncio.run(make_members(url, followers))
    members = sorted({m for ms in followers.values() for m in ms})
    rng = random.Random(seed)
    pool = text_pool(4000)
    background = size - items
    span = (SLOT - START).total_seconds()
    history = (LAST - START).total_seconds()  # M's sub-districts: before M's last digest
    day = 86_400.0

    # Where and when each opinion is (ids 1..size; M's period items last).
    where: list[str | None] = []
    when: list[float] = []  # seconds after START
    for _ in range(background):
        code = None if rng.random() < UNPLACED_SHARE else rng.choice(CODES)
        limit = history if code in FOLLOWED else span
        where.append(code)
        when.append(rng.random() * limit)
    for i in range(items):
        where.append(FOLLOWED[i % len(FOLLOWED)])
        when.append(history + 1 + rng.random() * (span - history - 2))

    # The daily digests of every member over the history, with their counts.
    member_no = {m: k for k, m in enumerate(members)}
    counts: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    for code, t in zip(where, when, strict=True):
        d = int(t // day) + 1  # the digest whose slot is START + d days took it
        if d > HISTORY_DAYS or code is None:
            continue
        for m in followers[code]:
            counts[(m, d)][code] += 1

    def digest_id(member: int, d: int) -> int:
        return member_no[member] * HISTORY_DAYS + d

    def slot_of(d: int) -> datetime:
        # Digest d (1..HISTORY_DAYS) took what became visible in [slot d-1, slot d).
        return START + timedelta(days=d)

    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1000000")
    with db:
        db.executemany(
            "INSERT INTO digests (id, member_id, slot, kind, period_start, period_end,"
            " item_count, counts, created_at) VALUES (?, ?, ?, 'scheduled', ?, ?, ?, ?, ?)",
            (
                (
                    digest_id(m, d),
                    m,
                    ts(slot_of(d)),
                    ts(GRANTED if d == 1 else slot_of(d - 1) + timedelta(seconds=1)),
                    ts(slot_of(d) + timedelta(seconds=1)),
                    sum(counts[(m, d)].values()),
                    json.dumps(dict(counts[(m, d)])),
                    ts(slot_of(d) + timedelta(seconds=1)),
                )
                for m in members
                for d in range(1, HISTORY_DAYS + 1)
            ),
        )

    def opinions(lo: int, hi: int) -> Iterator[tuple[Any, ...]]:
        for i in range(lo, hi):
            text, category = pool[rng.randrange(len(pool))]
            at = ts(START + timedelta(seconds=when[i]))
            photos = '["AgACAgUAAxkBAAIBbench"]' if rng.random() < 0.1 else "[]"
            lat, lon = (29.556, 106.571) if rng.random() < 0.2 else (None, None)
            yield (i + 1, text, photos, lat, lon, where[i], category, at, at, at)

    def events(lo: int, hi: int) -> Iterator[tuple[Any, ...]]:
        for i in range(lo, hi):
            yield (i + 1, i + 1, where[i], ts(START + timedelta(seconds=when[i])))

    def digest_items(lo: int, hi: int) -> Iterator[tuple[Any, ...]]:
        for i in range(lo, hi):
            code = where[i]
            if code is None:
                continue
            d = int(when[i] // day) + 1
            at = ts(START + timedelta(seconds=when[i]))
            for m in followers[code]:
                taken = digest_id(m, d) if d <= HISTORY_DAYS else None
                yield (m, i + 1, i + 1, taken, at)

    chunk = 50_000
    for lo in range(0, size, chunk):
        hi = min(size, lo + chunk)
        with db:
            db.executemany(
                "INSERT INTO opinions (id, text, source_message_ids, photo_file_ids, latitude,"
                " longitude, subdistrict, category, status, created_at, updated_at, visible_at)"
                " VALUES (?, ?, '[]', ?, ?, ?, ?, ?, 'received', ?, ?, ?)",
                opinions(lo, hi),
            )
            db.executemany(
                "INSERT INTO visibility_events (id, opinion_id, kind, subdistrict, at)"
                " VALUES (?, ?, 'visible', ?, ?)",
                events(lo, hi),
            )
            db.executemany(
                "INSERT INTO digest_items (member_id, opinion_id, event_id, digest_id,"
                " queued_at) VALUES (?, ?, ?, ?, ?)",
                digest_items(lo, hi),
            )
    row_counts = {
        table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("opinions", "visibility_events", "digest_items", "digests", "staff")
    }
    queued = db.execute(
        "SELECT count(*) FROM digest_items WHERE member_id = ? AND digest_id IS NULL", (MEMBER,)
    ).fetchone()[0]
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    return {
        "seconds": time.perf_counter() - started,
        "rows": row_counts,
        "queued_for_member": queued,
        "bytes": path.stat().st_size,
    }


# --- measuring -----------------------------------------------------------------------------


class Steps:
    """Seconds per step of one build, from wrappers put around the code it calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def clear(self) -> None:
        self.seconds.clear()

    def wrap_sync(self, label: str, fn: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> T:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start

        return timed

    def wrap_async(
        self, label: str, fn: Callable[..., Awaitable[T]]
    ) -> Callable[..., Awaitable[T]]:
        @functools.wraps(fn)
        async def timed(*args: Any, **kwargs: Any) -> T:
            start = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start

        return timed

    def install(self) -> None:
        """Time the parts of a build (the bot's code is left as it is; only looked up
        through these wrappers)."""
        for owner, name, label in (
            (digest_domain, "_clusters", "clustering"),
            (digest_service, "compose", "compose"),
            (digest_service, "pack", "text (pack)"),
            (digest_views, "_chart", "chart (PNG)"),
            (digest_views, "_sheet", "sheet (XLSX)"),
            (digest_views.DigestView, "blocks", "text (blocks)"),
        ):
            setattr(owner, name, self.wrap_sync(label, getattr(owner, name)))
        setattr(DigestService, "_send", self.wrap_async("outbox rows", DigestService._send))  # noqa: B010
        for cls, names in (
            (
                DigestRepository,
                ("last", "start_digest", "take", "finish", "awaiting", "mark_queued"),
            ),
            (StaffRepository, ("lock", "advance")),
        ):
            for name in names:
                label = f"db: {cls.__name__.removesuffix('Repository').lower()}.{name}"
                setattr(cls, name, self.wrap_async(label, getattr(cls, name)))


def clear_caches() -> None:
    """A cold build: nothing clustered, drawn or written for an earlier repetition."""
    for module, name in (
        (digest_domain, "_clusters"),
        (digest_views, "_chart"),
        (digest_views, "_sheet"),
    ):
        cached = getattr(module, name)
        while not hasattr(cached, "cache_clear"):  # under the timing wrapper
            cached = cached.__wrapped__
        cached.cache_clear()


class Bench:
    def __init__(self, path: Path) -> None:
        self.engine = create_engine(f"sqlite+aiosqlite:///{path}")
        self.sessions = session_factory(self.engine)
        self.clock = ManualClock(NOW)
        self.deps = Deps(Settings(_env_file=None), DISTRICT, clock=self.clock, menus={})
        self.statements: list[tuple[str, Any]] | None = None

        @event.listens_for(self.engine.sync_engine, "before_cursor_execute")
        def _seen(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
            if self.statements is not None:
                self.statements.append((statement, params))

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Work]:
        async with unit_of_work(self.sessions) as session:
            yield services_for(session, self.deps)

    async def build_once(self) -> dict[str, Any]:
        """One digest, as `jobs.deliver_due` makes it: seconds of each step (each
        transaction to its commit, and its commit alone), items and messages."""
        started = time.perf_counter()
        async with self.unit() as work:
            taken = await work.service(DigestService).take_due(MEMBER, NOW)
            take_body = time.perf_counter()
        took = time.perf_counter()
        assert taken is not None, "no digest was due: the database is not as built"
        self.last_digest = taken.digest_id
        async with self.unit() as work:
            # As jobs.py: the service from a unit whose transaction begins at its first
            # statement, in `queue`, after the drawing.
            service = work.service(DigestService)
            drawing = time.perf_counter()
            rendered = await asyncio.to_thread(service.render, taken)
            drawn = time.perf_counter()
            done = await service.queue(taken, rendered)
            queue_body = time.perf_counter()
        queued = time.perf_counter()
        assert done is not None, "the digest was queued already"
        return {
            "take": took - started,
            "render": drawn - drawing,
            "queue": queued - drawn,
            "total": queued - started,
            "held": (took - started) + (queued - drawn),
            "commit": (took - take_body) + (queued - queue_body),
            "items": done.items,
            "messages": done.messages,
        }

    async def undo(self) -> None:
        """Back to before the build: M's items untaken, the digest (with its `queued_at`)
        and the messages it queued gone, M's schedule as it was."""
        async with self.unit() as work:
            s = work.session
            await s.execute(
                update(DigestItem)
                .where(DigestItem.digest_id == self.last_digest)
                .values(digest_id=None)
            )
            await s.execute(delete(Digest).where(Digest.id == self.last_digest))
            await s.execute(delete(OutboxMessage).where(OutboxMessage.chat_id == MEMBER))
            assert await work.repo(StaffRepository).advance(MEMBER, SLOT, LAST, SLOT)

    async def awaiting_total(self) -> int:
        async with self.unit() as work:
            # As the build asks: from AWAITING_WINDOW before now to the period's start.
            period_start = LAST + timedelta(seconds=1)
            total, _ = await work.repo(DigestRepository).awaiting(
                FOLLOWED, NOW - AWAITING_WINDOW, period_start, AWAITING_SHOWN
            )
            return total

    async def indexes(self) -> list[str]:
        """The indexes on opinions (the awaiting query's index comes with migration 0005)."""
        async with self.engine.connect() as conn:
            rows = await conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'opinions'"
            )
            names = [str(r[0]) for r in rows]
            await conn.rollback()
        return names

    async def plans(self) -> list[dict[str, Any]]:
        """EXPLAIN QUERY PLAN of each statement a build runs, and of the other digest
        queries (/digest's pending, `yushi digest`'s count, the tick's due members, an
        opinion made visible and moved), run in a transaction that is rolled back."""
        self.statements = []
        await self.build_once()
        seen, self.statements = self.statements, None
        await self.undo()
        self.statements = seen
        async with self.sessions() as session:  # rolled back below, never committed
            work = services_for(session, self.deps)
            digests = work.repo(DigestRepository)
            await digests.pending(MEMBER)
            await digests.pending_count(MEMBER)
            await work.repo(StaffRepository).due(NOW, 100)
            await digests.make_visible(1, FOLLOWED[0], NOW)
            await digests.make_visible(
                2, FOLLOWED[1], NOW, moved_from=CODES[0], kind=VisibilityKind.MOVED
            )
            await digests.drop_unfollowed(MEMBER)
            await session.rollback()
        seen, self.statements = self.statements, None
        out: list[dict[str, Any]] = []
        done: set[str] = set()
        async with self.engine.connect() as conn:
            for statement, params in seen:
                head = statement.split(None, 1)[0].upper()
                if statement in done or head not in ("SELECT", "UPDATE", "DELETE", "INSERT"):
                    continue
                done.add(statement)
                if isinstance(params, list):
                    params = params[0] if params else ()
                rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
                plan = [str(r[-1]) for r in rows]
                if plan:
                    out.append({"query": label_of(statement), "sql": statement, "plan": plan})
            await conn.rollback()
        return out


LABELS = (
    ("DELETE FROM digest_items WHERE digest_items.opinion_id", "moved: unqueue"),
    ("DELETE FROM digest_items WHERE digest_items.member_id", "drop_unfollowed"),
    ("INSERT INTO digest_items", "make_visible: queue for followers"),
    ("UPDATE opinions SET visible_at", "make_visible: stamp the opinion"),
    ("INSERT INTO visibility_events", "make_visible: the event"),
    ("UPDATE digest_items SET digest_id", "take: UPDATE the member's queued items"),
    ("WHERE digest_items.digest_id = ?", "take: SELECT what the digest took"),
    ("digest_items.digest_id IS NULL ORDER BY", "pending (/digest)"),
    ("count(*) AS count_1 FROM digest_items", "pending_count (yushi digest)"),
    ("count(*) AS count_1 FROM opinions", "awaiting: count"),
    ("ORDER BY opinions.visible_at", "awaiting: oldest"),
    ("FROM digests WHERE digests.member_id", "last digest"),
    ("INSERT INTO digests", "start digest"),
    ("UPDATE digests SET", "finish digest"),
    ("staff.next_due <=", "due members (tick)"),
    ("UPDATE staff SET", "advance schedule"),
    ("FROM staff WHERE staff.telegram_id", "lock member"),
    ("FROM staff_subdistricts WHERE staff_subdistricts.telegram_id", "followed sub-districts"),
    ("INSERT INTO outbox", "queue messages"),
)


def label_of(statement: str) -> str:
    flat = " ".join(statement.split())
    for needle, label in LABELS:
        if needle in flat:
            return label
    return " ".join(statement.split())[:60]


def flagged(plan: list[str]) -> list[str]:
    """Plan lines that read a whole table or sort: what grows with the database."""
    return [
        line
        for line in plan
        if (line.startswith("SCAN") and "CONSTANT ROW" not in line) or "TEMP B-TREE" in line
    ]


def memory(key: str) -> float:
    """MiB of VmRSS (now) or VmHWM (the peak) of this process. Not ru_maxrss: a child keeps
    the peak of the parent it was forked from, here the process that built 1,000,000 rows."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    """VmHWM from now on (Linux: writing 5 to clear_refs resets it)."""
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


async def measure(path: Path, repeat: int) -> dict[str, Any]:
    rss_start = memory("VmRSS")
    steps = Steps()
    steps.install()
    bench = Bench(path)
    await upgrade(bench.engine)  # a kept database built by an earlier schema: as `yushi run`
    indexes = await bench.indexes()
    clear_caches()
    await bench.build_once()  # warm-up: imports, fonts, first connections; not counted
    await bench.undo()
    rss_warm = memory("VmRSS")
    reset_peak()
    runs = []
    for _ in range(repeat):
        clear_caches()
        steps.clear()
        run = await bench.build_once()
        run["steps"] = dict(steps.seconds)
        runs.append(run)
        await bench.undo()
    rss_peak = memory("VmHWM")
    clear_caches()
    tracemalloc.start()
    await bench.build_once()
    heap_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    await bench.undo()
    plans = await bench.plans()
    awaiting = await bench.awaiting_total()
    await bench.engine.dispose()
    return {
        "runs": runs,
        "items": runs[-1]["items"],
        "messages": runs[-1]["messages"],
        "indexes": indexes,
        "rss_start": rss_start,
        "rss_warm": rss_warm,
        "rss_peak": rss_peak,
        "heap_peak": heap_peak,
        "plans": plans,
        "awaiting": awaiting,
    }


# --- the report ----------------------------------------------------------------------------


def median_steps(runs: list[dict[str, Any]]) -> dict[str, float]:
    labels = sorted({k for r in runs for k in r["steps"]})
    return {k: statistics.median(r["steps"].get(k, 0.0) for r in runs) for k in labels}


#: The steps of a build, in the order they run; each timed label belongs to one.
PARTS = ("take", "render", "queue")
PART_OF = {
    "db: staff.lock": "take",
    "db: digest.last": "take",
    "db: digest.start_digest": "take",
    "db: staff.advance": "take",
    "db: digest.take": "take",
    "db: digest.finish": "take",
    "db: digest.awaiting": "take",
    "compose": "render",
    "clustering": "render",
    "text (blocks)": "render",
    "text (pack)": "render",
    "chart (PNG)": "render",
    "sheet (XLSX)": "render",
    "db: digest.mark_queued": "queue",
    "outbox rows": "queue",
}


def med(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def report(sizes: list[int], built: dict[int, dict[str, Any]], got: dict[int, Any]) -> None:
    print()
    for n in sizes:
        b, rows = built[n], built[n]["rows"]
        print(
            f"{n:,} opinions: {b['bytes'] / 2**20:,.0f} MiB file; rows: "
            + ", ".join(f"{k} {v:,}" for k, v in rows.items())
            + (f"; built in {b['seconds']:.0f} s" if b.get("seconds") else " (reused)")
            + f"; {AWAITING_INDEX}: "
            + ("present" if AWAITING_INDEX in got[n]["indexes"] else "MISSING")
        )
    print()
    print(
        f"{'opinions':>10} {'builds':>6} {'items':>5} {'msgs':>4} {'take':>7} {'render':>7}"
        f" {'queue':>7} {'total':>7} {'min':>7} {'max':>7} {'held':>7} {'commits':>7}"
        f" {'awaiting':>8} {'peak RSS':>9} {'heap':>7}"
    )
    for n in sizes:
        r = got[n]
        runs = r["runs"]
        totals = [x["total"] for x in runs]
        ms = {k: med(runs, k) * 1000 for k in ("take", "render", "queue", "total", "held")}
        print(
            f"{n:>10,} {len(runs):>6} {r['items']:>5} {r['messages']:>4}"
            f" {ms['take']:>5.0f}ms {ms['render']:>5.0f}ms {ms['queue']:>5.0f}ms"
            f" {ms['total']:>5.0f}ms {min(totals) * 1000:>5.0f}ms {max(totals) * 1000:>5.0f}ms"
            f" {ms['held']:>5.0f}ms {med(runs, 'commit') * 1000:>5.0f}ms {r['awaiting']:>8,}"
            f" {r['rss_peak']:>5.0f} MiB {r['heap_peak']:>3.0f} MiB"
        )
    print("(medians over the repetitions, ms. take: take_due's unit of work to its commit;")
    print(" render: render(taken) in a thread, no transaction; queue: queue()'s unit of work to")
    print(" its commit; total: the three; min/max: of the total; held: take + queue, the time the")
    print(" build holds SQLite's write lock; commits: the two commits alone; awaiting: the earlier")
    print(" unanswered items the digest counts (60 days); peak RSS: the measuring process's VmHWM")
    print(
        " during the timed builds; its RSS before them (imports, one warm-up build): "
        + ", ".join(f"{got[n]['rss_warm']:.0f} MiB" for n in sizes)
    )
    print(" heap: the Python heap's peak during one build, tracemalloc)")
    if len(sizes) == 2:
        small, large = sizes
        print(f"ratio {large:,}/{small:,}:")
        for key in ("total", "held", "take", "render", "queue"):
            ratio = med(got[large]["runs"], key) / med(got[small]["runs"], key)
            goal = " (goal <= 1.5x)" if key == "total" else ""
            print(f"  {key:<7} {ratio:.2f}x{goal}")
    print()
    all_steps = {n: median_steps(got[n]["runs"]) for n in sizes}
    order = {part: k for k, part in enumerate(PARTS)}
    labels = sorted(
        {k for st in all_steps.values() for k in st},
        key=lambda k: (order.get(PART_OF.get(k, ""), 9), -all_steps[sizes[-1]].get(k, 0)),
    )
    print("where the time went (median ms per build; compose includes clustering; the rest of")
    print("each step is masking, SQLAlchemy's own work and the event loop):")
    print(f"  {'step':<30}" + "".join(f"{n:>12,}" for n in sizes))
    for label in labels:
        shown = f"{PART_OF.get(label, '?')}: {label}"
        print(
            f"  {shown:<30}" + "".join(f"{all_steps[n].get(label, 0) * 1000:>12.1f}" for n in sizes)
        )
    for n in sizes:
        st, total = all_steps[n], med(got[n]["runs"], "total")
        drawing = st.get("compose", 0) + st.get("chart (PNG)", 0) + st.get("sheet (XLSX)", 0)
        print(
            f"  {n:,}: clustering {st.get('clustering', 0) / total:.0%}, compose (with clustering)"
            f" + chart + sheet {drawing / total:.0%} of the median build"
        )
    print()
    print(f"query plans ({sizes[-1]:,} opinions):")
    for p in got[sizes[-1]]["plans"]:
        bad = flagged(p["plan"])
        mark = "  <-- " + "; ".join(bad) if bad else ""
        print(f"  {p['query']}: {' / '.join(p['plan'])}{mark}")
    plans = got[sizes[-1]]["plans"]
    if any(
        p["query"].startswith("awaiting") and AWAITING_INDEX not in " ".join(p["plan"])
        for p in plans
    ):
        print(
            f"  (awaiting does not use {AWAITING_INDEX}: it reads the followed sub-districts'"
            " opinions to test visible_at and status; is the database migrated?)"
        )


def run_child(path: Path, repeat: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", str(path), "--repeat", str(repeat)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000, help="opinions stored (baseline)")
    parser.add_argument("--large", type=int, default=1_000_000, help="opinions stored")
    parser.add_argument("--items", type=int, default=500, help="opinions in M's period")
    parser.add_argument("--others", type=int, default=2, help="other members per sub-district")
    parser.add_argument("--repeat", type=int, default=5, help="timed builds per process")
    parser.add_argument("--rounds", type=int, default=2, help="processes per size, in turns")
    parser.add_argument("--keep", type=Path, help="build databases here and reuse them")
    parser.add_argument(
        "--try-index",
        metavar="TABLE(COLUMNS)",
        help="measure with this extra index, e.g. 'opinions (subdistrict, visible_at)'"
        " (created before, dropped after)",
    )
    parser.add_argument("--build-only", action="store_true", help="build (with --keep) and stop")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure, args.repeat))))
        return

    sizes = [args.small, args.large]
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        built, paths = {}, {}
        for n in sizes:
            path = paths[n] = where / f"digest-{n}-{args.items}-{args.others}.sqlite3"
            if not path.exists():
                print(f"building {n:,} opinions in {path} ...", flush=True)
                built[n] = build(path, n, args.items, args.others)
            else:
                db = sqlite3.connect(path)
                rows = {
                    t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                    for t in ("opinions", "visibility_events", "digest_items", "digests", "staff")
                }
                db.close()
                built[n] = {"seconds": 0, "rows": rows, "bytes": path.stat().st_size}
        if args.build_only:
            return
        if args.try_index:
            for n in sizes:
                with sqlite3.connect(paths[n]) as db:
                    db.execute(f"CREATE INDEX IF NOT EXISTS {TRY_INDEX} ON {args.try_index}")
            print(f"with the extra index {TRY_INDEX} ON {args.try_index}")
        # The sizes take turns, each in a fresh process, so that a slow spell of the shared
        # machine falls on both rather than on one.
        got: dict[int, dict[str, Any]] = {}
        for turn in range(1, args.rounds + 1):
            for n in sizes:
                print(f"measuring {n:,}, round {turn} ({args.repeat} builds) ...", flush=True)
                r = run_child(paths[n], args.repeat)
                if n in got:
                    got[n]["runs"] += r["runs"]
                    for key in ("rss_peak", "heap_peak"):
                        got[n][key] = max(got[n][key], r[key])
                else:
                    got[n] = r
        if args.try_index:
            for n in sizes:
                with sqlite3.connect(paths[n]) as db:
                    db.execute(f"DROP INDEX IF EXISTS {TRY_INDEX}")
        report(sizes, built, got)


if __name__ == "__main__":
    main()
