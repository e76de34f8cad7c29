"""Delivers the outbox after commit: the only code that sends messages.

- **Pace.** At most `per_second` messages in any sliding second over all chats, and one a
  second to one private chat (20 a minute to a group), edits and files included; answers to
  button presses are not messages and are not held back (bot.delivery.pacing).
- **Replies first.** Rows carry a priority: a resident's reply goes ahead of thousands of
  queued digest or invitation messages.
- **Claims.** A row is claimed (status sending, with this sender's id) shortly before its
  request goes out, and its outcome is recorded before anything more is claimed: at no moment
  are more rows claimed than requests may be in flight (one per chat, `chats_at_once`), so a
  crash repeats at most those. One transaction records what came back, looks at what is due
  and claims the next rows, a fraction of a second's worth: on SQLite each transaction takes
  the write lock that residents' replies and a digest round need too. Claims of a sender
  that is gone are settled at start. On PostgreSQL each sender holds an advisory lock while
  it lives, so another process can tell a live claim from a dead one; SQLite is one
  process, and any claim found at start is dead.
- **Maybe delivered.** A request that went out without an answer (a read timeout, a dropped
  connection, a crash) may have arrived. Calls safe to repeat (edits, answers) go again. A
  new message that answers a person goes again once: someone waiting for an answer is worse
  off without it than with it twice. A bulk message (a digest, an invitation) is never sent
  again blindly: it ends uncertain, and `yushi outbox` lists such rows for a person to decide.
- **Final states.** Every row ends sent (with Telegram's message id), failed (with the
  reason: 400 refused, 403 blocked, given up after a day of network trouble) or uncertain.
- **Order.** Within a chat, rows go one at a time in order; a row waiting for a retry holds
  the chat's later rows, and only that chat's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.delivery.methods import IDEMPOTENT, METHODS
from bot.delivery.pacing import NOT_MESSAGES, ChatPacer, SlidingWindow, retry_seconds
from bot.delivery.waiting import sleep_or_stop
from bot.domain.clock import Clock
from storage import unit_of_work
from storage.records import OutboxRecord
from storage.repositories import OutboxRepository
from storage.statuses import Priority

log = logging.getLogger(__name__)

#: Bad requests that mean "already as you want it": nothing to retry, nothing lost.
_HARMLESS = ("message is not modified", "query is too old", "query id is invalid")
GIVE_UP_AFTER = timedelta(days=1)

OnBlocked = Callable[[AsyncSession, int], Awaitable[None]]
#: How many rows are looked at in one pass (at most `chats_at_once` of them go out). Enough
#: to get past the chats that must wait (in flight, or a message in the last second: about
#: 16 + 30 at full pace) twice over; more would make every pass read rows it cannot use.
LOOK_AHEAD = 96
#: Rows are claimed up to this far ahead of the moment the pace lets them leave: enough to
#: keep the pace with a few transactions a second rather than one per message, short enough
#: that few are claimed and not yet sent when a crash comes, and that a reply queued behind
#: them waits little.
CLAIM_AHEAD = 0.25
#: After an answer, more is claimed only once less than this is booked ahead (or when a
#: commit wakes the sender): a transaction per answer would take the lock 30 times a second.
REFILL_BELOW = 0.1
#: An answer is recorded at the latest this long after it came, if nothing is claimed first.
RECORD_WITHIN = 0.25
#: How often claims of senders that are gone are looked for (and the liveness lock checked).
RECOVER_EVERY = 30.0
#: Network failures that happened before the request left: safe to send again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class _Outcome:
    row: OutboxRecord
    kind: str  # sent | retry | failed | uncertain | blocked
    detail: str = ""
    message_id: int | None = None
    wait: float = 0.0


class Sender:
    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        per_second: int = 30,
        chats_at_once: int = 16,
        on_blocked: OnBlocked | None = None,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.clock = clock
        self.window = SlidingWindow(per_second) if per_second else None
        self.pacer = ChatPacer()
        self.chats_at_once = chats_at_once
        #: This sender's claims carry it; on PostgreSQL it is also the advisory lock key.
        self.lock_key = secrets.randbelow(2**62) + 1
        self.owner = f"s{self.lock_key}"
        self._in_flight: dict[int, asyncio.Task[None]] = {}  # chat id -> its row's request
        self._outcomes: list[_Outcome] = []
        self._first_outcome = 0.0  # loop time the oldest unrecorded outcome came back
        self._done = asyncio.Event()
        self._paused_until = 0.0  # loop time: a 429 pauses everything this long
        self._liveness: AsyncConnection | None = None
        self._next_recovery = float("-inf")  # claims left by senders that are gone
        self.next_retry: datetime | None = None
        #: Told, in the transaction that records it, that a chat blocked the bot (403).
        self.on_blocked = on_blocked

    # --- the loop ------------------------------------------------------------------------

    async def run(self, wake: asyncio.Event, stopping: asyncio.Event) -> None:
        """Deliver, then sleep until woken by a commit, an outcome, a pace or retry time.

        A database outage pauses it, never ends it. Stopping lets requests in flight end
        and records them.
        """
        backoff = 1.0
        eager = True
        while not stopping.is_set():
            try:
                wait = await self.pump(eager=eager)
                backoff = 1.0
            except (SQLAlchemyError, OSError) as exc:  # asyncpg: ConnectionRefusedError
                log.warning("database unavailable (%s); retrying in %.0fs", exc, backoff)
                await sleep_or_stop(backoff, stopping)
                backoff = min(backoff * 2, 30.0)
                continue
            except Exception:  # nothing may end the only sending path
                log.exception("sender: unexpected error; retrying in %.0fs", backoff)
                await sleep_or_stop(backoff, stopping)
                backoff = min(backoff * 2, 30.0)
                continue
            if self._done.is_set():
                self._done.clear()
                eager = False
                continue
            # Woken by an answer: claim only if the pace is about to need more. Woken by a
            # commit (a reply may be waiting) or by the time it asked for: look now.
            eager = await _wait_either(wake, self._done, wait) != "b"
        await self.drain()

    async def flush(self, timeout: float = 10.0) -> None:
        """Send what is queued and due within `timeout`, retries included, and record it
        (shutdown, tests). It stops claiming a little before the deadline, so what it sent
        is recorded in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        eager = True
        while loop.time() < deadline - 1.0:
            wait = await self.pump(eager=eager)
            if not self._in_flight and not self._outcomes:
                horizon = self.clock.now() + timedelta(seconds=deadline - loop.time())
                async with unit_of_work(self.sessions) as session:
                    if not await OutboxRepository(session).due_count(horizon):
                        break
            woken = await _wait_either(
                asyncio.Event(), self._done, min(wait, deadline - loop.time())
            )
            eager = woken != "b"
            self._done.clear()
        await self.drain()

    async def drain(self) -> None:
        """Let requests in flight finish and record what they came to."""
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        await self._record()

    async def close(self) -> None:
        """After the last send: let other processes know this sender's claims are over."""
        await self._release_liveness()

    async def pump(self, *, eager: bool = True) -> float:
        """Record outcomes, claim and start what may go now, in one transaction; returns
        seconds until it is worth looking again (a pace or a retry time), at most one.

        Not `eager` (an answer just came back): the database is left alone unless the pace
        is about to need more rows or an outcome has waited RECORD_WITHIN."""
        loop = asyncio.get_running_loop()
        if loop.time() >= self._next_recovery:
            # At start, then now and then: a sender elsewhere may have died meanwhile.
            await self.recover()
            self._next_recovery = loop.time() + RECOVER_EVERY
        free = self.chats_at_once - len(self._in_flight)
        paused = loop.time() < self._paused_until
        booked = self.window.wait() if self.window is not None else 0.0
        if paused or free <= 0 or (not eager and booked > REFILL_BELOW):
            record_in = self._first_outcome + RECORD_WITHIN - loop.time()
            if self._outcomes and (record_in <= 0 or not self._in_flight or paused):
                await self._record()
            if paused:
                return min(self._paused_until - loop.time(), 1.0)
            until = booked - REFILL_BELOW if free > 0 else 1.0  # or an answer wakes it
            if self._outcomes:
                until = min(until, record_in)
            return max(min(until, 1.0), 0.005)
        now = self.clock.now()
        outcomes, self._outcomes = self._outcomes, []
        chosen: list[tuple[OutboxRecord, float]] = []
        got: set[int] = set()
        parts: dict[int, tuple[dict[str, Any], bytes | None]] = {}
        wait = 1.0
        try:
            async with unit_of_work(self.sessions) as session:
                outbox = OutboxRepository(session)
                await self._write(session, outbox, outcomes, now)
                rows = await outbox.due(now, limit=LOOK_AHEAD, payloads=False)
                chosen, wait = self._choose(rows, free)
                if chosen:
                    got = set(await outbox.claim([r.id for r, _ in chosen], self.owner, now))
                    parts = await outbox.parts([r.id for r, _ in chosen if r.id in got])
        except BaseException:
            got = set()
            self._outcomes[:0] = outcomes  # not recorded: kept for the next try
            raise
        finally:
            for row, _ in chosen:  # places booked for rows we did not get go back
                if row.id not in got and row.method not in NOT_MESSAGES and self.window:
                    self.window.release()
        self._recorded(outcomes, now)
        for row, delay in chosen:
            if row.id not in got:  # another sender has it
                continue
            payload, content = parts[row.id]
            row = replace(row, payload=payload, file_content=content)
            self._in_flight[row.chat_id] = asyncio.create_task(self._deliver(row, delay))
        if self.next_retry is not None:
            if self.next_retry > now:
                wait = min(wait, (self.next_retry - now).total_seconds())
            else:
                self.next_retry = None
        return max(min(wait, 1.0), 0.005)

    def _choose(
        self, rows: list[OutboxRecord], free: int
    ) -> tuple[list[tuple[OutboxRecord, float]], float]:
        """Rows to send, in order, with the delay the pace puts before each: one per chat,
        replies first (the rows come ordered so). Also how long until it is worth looking
        again for a row held back."""
        chosen: list[tuple[OutboxRecord, float]] = []
        seen: set[int] = set()
        wait = 1.0
        window_full = False
        for row in rows:
            if len(chosen) >= free:
                break
            chat = row.chat_id
            if chat in seen or chat in self._in_flight:
                seen.add(chat)
                continue
            seen.add(chat)  # the chat's later rows wait for this one in any case
            delay = 0.0
            if row.method not in NOT_MESSAGES:
                chat_wait = self.pacer.wait(chat, bulk=row.priority == Priority.BULK)
                if chat_wait > 0:
                    wait = min(wait, chat_wait)
                    continue
                if window_full or self.window is None:
                    if self.window is not None:
                        continue
                else:
                    booked = self.window.reserve(within=CLAIM_AHEAD)
                    if booked is None:
                        window_full = True
                        wait = min(wait, max(self.window.wait(), 0.005))
                        continue
                    delay = booked
            chosen.append((row, delay))
        if self.window is not None and not window_full:
            wait = min(wait, max(self.window.wait(), 0.005))
        return chosen, wait

    # --- one request ---------------------------------------------------------------------

    async def _deliver(self, row: OutboxRecord, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)  # its place in the pace
            try:
                outcome = await self._call(row)
            except Exception as exc:  # a malformed row must not stay claimed forever
                log.exception("outbox row %s could not be sent", row.id)
                outcome = _Outcome(row, "failed", f"error: {exc!r}"[:300])
        finally:
            self._in_flight.pop(row.chat_id, None)
            if row.method not in NOT_MESSAGES:
                if self.window is not None:
                    self.window.answered()
                self.pacer.answered(row.chat_id)
        if not self._outcomes:
            self._first_outcome = asyncio.get_running_loop().time()
        self._outcomes.append(outcome)
        self._done.set()

    async def _call(self, row: OutboxRecord) -> _Outcome:
        call = METHODS.get(row.method)
        if call is None:
            return _Outcome(row, "failed", f"unknown outbox method {row.method}")
        try:
            result = await call(self.bot, row)
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            # Telegram's flood control: everything pauses, this row waits its turn again.
            self._paused_until = asyncio.get_running_loop().time() + wait
            return _Outcome(row, "retry", f"429 retry after {wait}", wait=wait)
        except Forbidden as exc:
            return _Outcome(row, "blocked", f"403 {exc.message}")
        except BadRequest as exc:
            if any(h in exc.message.lower() for h in _HARMLESS):
                return _Outcome(row, "sent", f"400 {exc.message}")
            log.error("Telegram refused %s to chat %s: %s", row.method, row.chat_id, exc.message)
            return _Outcome(row, "failed", f"400 {exc.message}")
        except (NetworkError, TelegramError) as exc:
            return self._network_trouble(row, exc)
        message_id = result.message_id if isinstance(result, Message) else None
        return _Outcome(row, "sent", message_id=message_id)

    def _network_trouble(self, row: OutboxRecord, exc: TelegramError) -> _Outcome:
        cause = exc.__cause__
        went_out = (
            isinstance(exc, TimedOut | NetworkError)
            and isinstance(cause, httpx.HTTPError)
            and not isinstance(cause, _NOT_SENT)
        )
        if went_out and not _may_repeat(row):
            # It may have been delivered: sending it again could say it twice.
            return _Outcome(row, "uncertain", f"no answer: {exc.message}")
        if self.clock.now() - row.created_at > GIVE_UP_AFTER:
            return _Outcome(row, "failed", f"gave up: {exc.message}")
        # A 5xx answer, or a request that never left: safe to try again, backing off.
        wait = min(2.0 ** min(row.attempts, 6), 60.0)
        return _Outcome(row, "retry", f"network: {exc.message}", wait=wait)

    # --- recording -----------------------------------------------------------------------

    async def _record(self) -> None:
        """Commit the outcomes that came back since the last look, in one transaction."""
        if not self._outcomes:
            return
        outcomes, self._outcomes = self._outcomes, []
        now = self.clock.now()
        try:
            async with unit_of_work(self.sessions) as session:
                await self._write(session, OutboxRepository(session), outcomes, now)
        except BaseException:
            self._outcomes[:0] = outcomes  # not recorded: keep them for the next try
            raise
        self._recorded(outcomes, now)

    async def _write(
        self,
        session: AsyncSession,
        outbox: OutboxRepository,
        outcomes: list[_Outcome],
        now: datetime,
    ) -> None:
        """The outcomes, in the caller's transaction: those sent in one statement (the
        common case), the rest one by one."""
        me = self.owner
        sent = [(o.row.id, o.message_id) for o in outcomes if o.kind == "sent"]
        if sent:
            await outbox.sent_many(sent, now, owner=me)
        for o in outcomes:
            if o.kind == "retry":
                at = now + timedelta(seconds=o.wait)
                await outbox.retry_later(o.row.id, at, o.detail, owner=me)
            elif o.kind == "uncertain":
                await outbox.uncertain(o.row.id, o.detail, owner=me)
            elif o.kind == "blocked":
                await outbox.failed(o.row.id, o.detail, owner=me)
                await outbox.drop_pending_for_chat(o.row.chat_id, "403 blocked by the user")
                if self.on_blocked is not None:
                    await self.on_blocked(session, o.row.chat_id)
            elif o.kind != "sent":
                await outbox.failed(o.row.id, o.detail, owner=me)

    def _recorded(self, outcomes: list[_Outcome], now: datetime) -> None:
        """After the outcomes' commit: when the soonest retry is due."""
        retries = [now + timedelta(seconds=o.wait) for o in outcomes if o.kind == "retry"]
        if retries:
            soonest = min(retries)
            self.next_retry = min(self.next_retry or soonest, soonest)
        elif self.next_retry is not None and self.next_retry <= now:
            self.next_retry = None

    # --- claims of senders that are gone -------------------------------------------------

    async def recover(self) -> None:
        """Settle claims left by senders that are gone (a crash, a kill)."""
        await self._hold_liveness()
        async with unit_of_work(self.sessions) as session:
            outbox = OutboxRepository(session)
            for row_id, method, priority, attempts, claimant in await outbox.claimed_by_others(
                self.owner
            ):
                if await self._alive(session, claimant):
                    continue
                if method in IDEMPOTENT or (priority == Priority.REPLY and attempts == 0):
                    await outbox.release(row_id, claimant)
                else:
                    note = "in flight when its sender stopped"
                    await outbox.uncertain(row_id, note, owner=claimant)
                log.warning("outbox row %s was in flight when its sender stopped", row_id)

    async def _hold_liveness(self) -> None:
        engine: AsyncEngine = self.sessions.kw["bind"]
        if engine.dialect.name != "postgresql":
            return
        if self._liveness is not None:
            try:
                await self._liveness.execute(text("SELECT 1"))
                await self._liveness.commit()
                return
            except (SQLAlchemyError, OSError):
                # The connection (and with it the lock) is gone: take it again before any
                # more claims, or others would count ours as dead.
                log.warning("sender: its liveness lock was lost; taking it again")
                with contextlib.suppress(SQLAlchemyError, OSError):
                    await self._liveness.invalidate()
                self._liveness = None
        conn = await engine.connect()
        await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": self.lock_key})
        await conn.commit()
        self._liveness = conn

    async def _release_liveness(self) -> None:
        if self._liveness is not None:
            conn, self._liveness = self._liveness, None
            with contextlib.suppress(SQLAlchemyError, OSError):
                # A pooled connection outlives close(): let go of the lock explicitly.
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.lock_key})
                await conn.commit()
                await conn.close()

    async def _alive(self, session: AsyncSession, claimant: str | None) -> bool:
        if session.get_bind().dialect.name != "postgresql":
            return False  # SQLite: one process; whatever it claimed before is gone
        if claimant is None or not claimant.startswith("s") or not claimant[1:].isdigit():
            return False
        key = int(claimant[1:])
        got = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key})
        return not got  # its owner still holds it: alive


def _may_repeat(row: OutboxRecord) -> bool:
    """Whether a request that may have arrived goes again (see the module's docstring)."""
    return row.method in IDEMPOTENT or (row.priority == Priority.REPLY and row.attempts == 0)


async def _wait_either(a: asyncio.Event, b: asyncio.Event, seconds: float) -> str:
    """Until either event is set, or `seconds` pass: "a", "b" or "" (the time passed)."""
    if a.is_set() or b.is_set():
        which = "a" if a.is_set() else "b"
        a.clear()
        return which
    waiters = [asyncio.ensure_future(a.wait()), asyncio.ensure_future(b.wait())]
    try:
        await asyncio.wait(waiters, timeout=max(seconds, 0.0), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
    which = "a" if a.is_set() else "b" if b.is_set() else ""
    a.clear()
    return which
