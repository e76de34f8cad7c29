"""Repositories and migrations against real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import unit_of_work
from storage.migrate import current_revision, head_revision, upgrade
from storage.models import Base, InboxUpdate, Opinion, utcnow
from storage.records import DraftPart
from storage.repositories import (
    DraftRepository,
    GroupChatRepository,
    InboxRepository,
    OpinionRepository,
    OutboxRepository,
    ResidentRepository,
)
from storage.repositories.inbox import NewUpdate


async def test_migrations_reach_head_and_are_idempotent(engine: AsyncEngine) -> None:
    assert await current_revision(engine) == head_revision()
    await upgrade(engine)  # a second run changes nothing
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"inbox_updates", "residents", "drafts", "opinions", "outbox"} <= tables


async def test_the_migrations_build_exactly_what_the_models_describe(engine: AsyncEngine) -> None:
    """A model changed without a new revision (or the reverse) fails here."""

    def differences(conn: Connection) -> list[object]:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(differences) == []


async def test_inbox_ignores_duplicate_update_ids(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as s:
        assert (
            await InboxRepository(s).add_many(
                [NewUpdate(10, "message", 1, "{}"), NewUpdate(11, "message", 1, "{}")], utcnow()
            )
            == 2
        )
    async with unit_of_work(sessions) as s:
        assert (
            await InboxRepository(s).add_many(
                [NewUpdate(11, "message", 1, "{}"), NewUpdate(12, "message", 1, "{}")], utcnow()
            )
            == 1
        )
    async with unit_of_work(sessions) as s:
        pending = await InboxRepository(s).next_pending(utcnow())
    assert [r.update_id for r in pending] == [10, 11, 12]


async def test_done_inbox_rows_keep_only_id_and_outcome(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as s:
        await InboxRepository(s).add_many(
            [NewUpdate(5, "message", 9, '{"secret": "我的电话"}')], utcnow()
        )
    async with unit_of_work(sessions) as s:
        row = (await InboxRepository(s).next_pending(utcnow()))[0]
        await InboxRepository(s).mark_done(row.id, "opinion_created", utcnow())
    async with unit_of_work(sessions) as s:
        stored = await s.scalar(select(InboxUpdate).where(InboxUpdate.update_id == 5))
        assert stored is not None
        assert stored.payload is None and stored.chat_id is None and stored.status == "done"
        assert stored.outcome == "opinion_created"


async def test_rollback_drops_writes_and_queued_messages(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as s:
            resident = await ResidentRepository(s).consent(42, "zh", "v1", utcnow())
            await OutboxRepository(s).add(42, "sendMessage", {"text": "hi"}, now=utcnow())
            assert resident.id
            raise RuntimeError("handler failed")
    async with unit_of_work(sessions) as s:
        assert await ResidentRepository(s).by_telegram_id(42) is None
        assert await OutboxRepository(s).pending_count() == 0


async def test_draft_to_opinion_and_erasure(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with unit_of_work(sessions) as s:
        resident = await ResidentRepository(s).consent(7, "zh", "v1", utcnow())
        drafts = DraftRepository(s)
        draft = await drafts.create(
            resident.id, stage="subdistrict", parts=[DraftPart(1, "凯旋路停车乱")], now=utcnow()
        )
        from dataclasses import replace

        draft = await drafts.save(
            replace(draft, subdistrict="500103008", stage="category"), utcnow()
        )
        opinion = await OpinionRepository(s).create_from_draft(draft, "parking_traffic", utcnow())
        await drafts.delete(draft.id)
        await OpinionRepository(s).add_revision(opinion.id, 1, "凯旋路停车很乱")
    async with unit_of_work(sessions) as s:
        mine = await OpinionRepository(s).for_resident(resident.id)
        assert [o.text for o in mine] == ["凯旋路停车乱"]
        assert mine[0].revisions[0].text == "凯旋路停车很乱"
        assert mine[0].subdistrict == "500103008"
        found = await OpinionRepository(s).by_source_message(resident.id, 1)
        assert found is not None and found.id == opinion.id
        since = utcnow() - timedelta(hours=1)
        assert await OpinionRepository(s).count_since(resident.id, since) == 1
    async with unit_of_work(sessions) as s:
        assert await OpinionRepository(s).erase_for_resident(resident.id, utcnow()) == 1
        await ResidentRepository(s).delete(resident.id)
    async with unit_of_work(sessions) as s:
        row = await s.get(Opinion, opinion.id)
        assert row is not None
        assert row.text is None and row.resident_id is None and row.erased_at is not None
        assert row.subdistrict == "500103008" and row.category == "parking_traffic"
        revisions = await s.scalar(text("SELECT count(*) FROM opinion_revisions"))
        assert revisions == 0


async def test_group_notice_only_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with unit_of_work(sessions) as s:
        assert await GroupChatRepository(s).first_notice(-100, "group", utcnow()) is True
    async with unit_of_work(sessions) as s:
        assert await GroupChatRepository(s).first_notice(-100, "group", utcnow()) is False


async def test_outbox_retry_and_failure(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with unit_of_work(sessions) as s:
        out = OutboxRepository(s)
        await out.add(1, "sendMessage", {"text": "a"}, now=utcnow())
        await out.add(2, "sendMessage", {"text": "b"}, now=utcnow())
    async with unit_of_work(sessions) as s:
        out = OutboxRepository(s)
        first, second = await out.due(utcnow())  # the head of each chat
        await out.retry_later(first.id, utcnow() + timedelta(seconds=30), "429")
        await out.failed(second.id, "400 bad")
    async with unit_of_work(sessions) as s:
        out = OutboxRepository(s)
        assert await out.due(utcnow()) == []
        assert await out.due(utcnow() + timedelta(minutes=1)) != []


async def test_a_waiting_chat_holds_only_itself_even_behind_a_long_queue(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as s:
        out = OutboxRepository(s)
        for i in range(30):  # chat 1: a long queue
            await out.add(1, "sendMessage", {"text": f"a{i}"}, now=utcnow())
        await out.add(2, "sendMessage", {"text": "b"}, now=utcnow())  # chat 2, after all of them
    async with unit_of_work(sessions) as s:
        out = OutboxRepository(s)
        head = (await out.due(utcnow(), limit=1))[0]
        await out.retry_later(head.id, utcnow() + timedelta(seconds=30), "429")
    async with unit_of_work(sessions) as s:
        ready = await OutboxRepository(s).due(utcnow(), limit=5)
    assert [r.chat_id for r in ready] == [2]  # chat 1 waits whole; chat 2 is not hidden
    async with unit_of_work(sessions) as s:
        later = await OutboxRepository(s).due(utcnow() + timedelta(minutes=1), limit=5)
    # chat 1 resumes at its head, in order (one row per chat at a time), chat 2 still there
    assert [r.payload["text"] for r in later] == ["a0", "b"]


async def test_the_audit_log_is_append_only_in_the_database(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    from sqlalchemy import delete, text, update

    from storage.models import AuditEntry, utcnow
    from storage.repositories import AuditRepository

    async with unit_of_work(sessions) as s:
        await AuditRepository(s).append(utcnow(), 1, "approve", opinion_id=7, subject="K7Q2M9")
    for statement in (
        update(AuditEntry).values(reason="rewritten"),
        delete(AuditEntry),
        text("UPDATE audit_log SET actor_id = 2"),
    ):
        with pytest.raises(Exception, match="append-only"):
            async with unit_of_work(sessions) as s:
                await s.execute(statement)
    async with unit_of_work(sessions) as s:
        rows = await AuditRepository(s).page()
    assert [(r.action, r.actor_id, r.reason) for r in rows] == [("approve", 1, None)]


def test_no_code_path_changes_the_audit_log() -> None:
    """Only INSERT: nothing in the code updates or deletes audit rows (the triggers would
    refuse it anyway)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(r"(update|delete)\(\s*AuditEntry|(UPDATE|DELETE FROM)\s+audit_log")
    offenders = [
        str(path.relative_to(root))
        for package in ("bot", "storage")
        for path in (root / package).rglob("*.py")
        if "migrations" not in path.parts and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


async def test_ids_are_never_reused_after_every_migration(tmp_path: object) -> None:
    """Every table whose model says ids never come back is AUTOINCREMENT on SQLite after all
    migrations (a batch copy of a table would silently drop it)."""
    from pathlib import Path

    from storage import create_engine

    assert isinstance(tmp_path, Path)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'ids.sqlite3'}")
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type='table'")
            )
            created = {name: sql for name, sql in rows}
    finally:
        await engine.dispose()
    wanted = sorted(
        t.name for t in Base.metadata.sorted_tables if t.kwargs.get("sqlite_autoincrement")
    )
    assert wanted, "no table asks for AUTOINCREMENT"
    missing = [name for name in wanted if "AUTOINCREMENT" not in created[name].upper()]
    assert missing == []
