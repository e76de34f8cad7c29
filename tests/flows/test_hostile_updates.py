"""Input that once stopped the bot: no single update may stop intake or go unanswered."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from storage.models import InboxUpdate, Opinion
from tests.flows.conftest import BotUnderTest, admin_who_started, consented_resident

StartBot = Callable[..., Awaitable[BotUnderTest]]


def old_server_poll_message(user_id: int) -> dict[str, Any]:
    """A private message with a poll as a Bot API server one version behind sends it:
    without the fields python-telegram-bot 22.8 requires (persistent_id, members_only)."""
    person = {"id": user_id, "is_bot": False, "first_name": "居民", "language_code": "zh-hans"}
    return {
        "message_id": 999_001,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "居民"},
        "from": person,
        "poll": {
            "id": "5001",
            "question": "凯旋路要不要设临时停车位？",
            "options": [{"text": "要", "voter_count": 0}, {"text": "不要", "voter_count": 0}],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        },
    }


async def test_an_update_the_library_cannot_parse_is_set_aside_and_intake_goes_on(
    start_bot: StartBot,
) -> None:
    admin_id, resident_id = 7_991_001, 7_991_002
    b = await start_bot(admin_ids=str(admin_id))
    await admin_who_started(b, admin_id)
    r = await consented_resident(b, resident_id)

    before = await b.client.cursor()
    update_id = await b.client.raw_update(
        "message", old_server_poll_message(resident_id), chat_id=resident_id
    )
    told = await b.client.wait_for_bot_message(resident_id, after=before, timeout=10)
    assert "出了问题" in (told.text or "")
    note = await b.client.wait_for_bot_message(admin_id, after=before, timeout=10)
    assert str(update_id) in (note.text or "") and "凯旋路" not in (note.text or "")

    # Set aside at once (reading it again would not help), its content kept for a replay…
    [row] = list(
        await b.query(
            lambda s: s.scalars(select(InboxUpdate).where(InboxUpdate.update_id == update_id))
        )
    )
    assert row.status == "failed" and row.attempts == 1
    assert row.payload is not None and "凯旋路" in row.payload
    # …and the bot goes on: the poller confirmed it, later updates are answered.
    receipt = await r.submit("洪崖洞周边垃圾没人收")
    assert "YZ-000001" in (receipt[-1].text or "")
    assert all(not task.done() for task in b.runtime.tasks)


async def test_an_update_is_stored_as_telegram_sent_it(start_bot: StartBot) -> None:
    b = await start_bot()
    await b.client.create_user(7_991_003, first_name="居民")
    raw = old_server_poll_message(7_991_003)
    raw["field_from_a_newer_api"] = {"nested": ["kept", 1]}
    update_id = await b.client.raw_update("message", raw, chat_id=7_991_003)
    await b.client.wait_until_confirmed(timeout=10)
    [row] = list(
        await b.query(
            lambda s: s.scalars(select(InboxUpdate).where(InboxUpdate.update_id == update_id))
        )
    )
    assert row.kind == "message" and row.payload is not None
    assert '"field_from_a_newer_api": {"nested": ["kept", 1]}' in row.payload


async def test_button_ids_beyond_the_database_range_get_the_polite_alert(
    start_bot: StartBot, database_url: str
) -> None:
    """On PostgreSQL an id of 2^31 or more once raised DataError (int4), was retried for 17 s
    and never answered. Now it is refused before any query, on every database."""
    admin_id = 7_991_010
    b = await start_bot(database_url=database_url, admin_ids=str(admin_id))
    await admin_who_started(b, admin_id)
    r = await consented_resident(b, 7_991_011)
    asked = await r.say("凯旋路停车乱")
    before = await b.client.cursor()
    for data in [
        "sd:2147483648:1",
        "cat:999999999999:parking",
        "sd:99999999999999999999:1",
        "del:yes:2147483648",
        "sd:0:1",
    ]:
        pressed = await r.c.press_raw(r.id, data, message_id=asked[-1].message_id)
        answer = await r.c.wait_for_callback_answer(pressed.callback_query_id, timeout=10)
        assert answer.text and "失效" in answer.text and answer.show_alert, (data, answer)
    await b.settle()
    assert await b.count(InboxUpdate, InboxUpdate.status == "failed") == 0
    assert [m for m in await b.client.bot_messages(admin_id) if m.cursor > before] == []
    # the real buttons still work
    await r.submit_current()
    assert await b.count(Opinion) == 1
