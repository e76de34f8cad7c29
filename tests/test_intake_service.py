"""The intake service over real repositories: drafts, tagging, confirmation, limits, edits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.deps import Deps
from bot.domain import load_district
from bot.domain.clock import SystemClock, utcnow
from bot.features.intake.service import (
    CATEGORY,
    NEED_TEXT,
    SUBDISTRICT,
    Ask,
    EditedOpinion,
    EditUnrelated,
    IntakeService,
    RateLimited,
    Rejected,
    Stale,
    Submitted,
)
from bot.telegram.work import services_for
from storage import unit_of_work
from storage.records import ResidentRecord
from storage.repositories import ResidentRepository

DISTRICT = load_district()
NANJIMEN = DISTRICT.find("南纪门")
assert NANJIMEN is not None


class Harness:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], per_hour: int = 10) -> None:
        self.sessions = sessions
        self.per_hour = per_hour

    @asynccontextmanager
    async def service(self) -> AsyncIterator[IntakeService]:
        async with unit_of_work(self.sessions) as s:
            settings = Settings(
                _env_file=None, opinion_max_chars=200, opinions_per_hour=self.per_hour
            )
            work = services_for(s, Deps(settings, DISTRICT, clock=SystemClock()))
            yield work.service(IntakeService)

    async def resident(self, telegram_id: int = 1) -> ResidentRecord:
        async with unit_of_work(self.sessions) as s:
            return await ResidentRepository(s).consent(telegram_id, "zh", "v1", utcnow())


@pytest.fixture
def h(sessions: async_sessionmaker[AsyncSession]) -> Harness:
    return Harness(sessions)


async def submit(h: Harness, r: ResidentRecord, text: str, message_id: int) -> Submitted:
    async with h.service() as svc:
        ask = await svc.add_text(r, message_id, text)
    assert isinstance(ask, Ask)
    async with h.service() as svc:
        cat = await svc.choose_subdistrict(r, ask.draft.id, str(DISTRICT.index_of(NANJIMEN.code)))
    assert isinstance(cat, Ask) and cat.stage == CATEGORY
    async with h.service() as svc:
        done = await svc.choose_category(r, ask.draft.id, "parking_traffic")
    assert isinstance(done, Submitted)
    return done


async def test_text_is_tagged_confirmed_and_submitted(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_text(r, 10, "凯旋路晚上停车太乱了，消防通道都堵了")
    assert isinstance(ask, Ask) and ask.stage == SUBDISTRICT
    assert ask.draft.suggested_subdistrict == NANJIMEN.code
    async with h.service() as svc:
        cat = await svc.choose_subdistrict(r, ask.draft.id, str(DISTRICT.index_of(NANJIMEN.code)))
    assert isinstance(cat, Ask) and cat.category_guess is not None
    assert cat.category_guess.key in {"parking_traffic", "fire_safety"}
    async with h.service() as svc:
        done = await svc.choose_category(r, ask.draft.id, cat.category_guess.key)
    assert isinstance(done, Submitted)
    assert done.opinion.subdistrict == NANJIMEN.code
    assert done.opinion.text == "凯旋路晚上停车太乱了，消防通道都堵了"
    async with h.service() as svc:
        assert await svc.drafts.open_for(r.id) is None
        # pressing the old button again is stale, not a second opinion
        assert isinstance(await svc.choose_category(r, ask.draft.id, "other"), Stale)


async def test_former_name_offers_successors(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_text(r, 1, "望龙门那边老房子电线乱拉，很危险")
    assert isinstance(ask, Ask) and ask.text_guess is not None
    assert ask.draft.suggested_subdistrict is None
    names = {DISTRICT.by_code(c).short for c in ask.text_guess.candidates}  # type: ignore[union-attr]
    assert names == {"朝天门", "解放碑", "南纪门"}


async def test_unsure_subdistrict_is_kept_as_unknown(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_text(r, 1, "观音桥步行街晚上太吵了")
    assert isinstance(ask, Ask) and ask.draft.suggested_subdistrict is None
    assert ask.text_guess is not None and ask.text_guess.outside is not None
    async with h.service() as svc:
        await svc.choose_subdistrict(r, ask.draft.id, "u")
    async with h.service() as svc:
        done = await svc.choose_category(r, ask.draft.id, "public_order")
    assert isinstance(done, Submitted) and done.opinion.subdistrict is None


async def test_photo_then_text(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_photo(r, 1, "PHOTO1", None)
    assert isinstance(ask, Ask) and ask.stage == NEED_TEXT
    async with h.service() as svc:
        ask = await svc.add_text(r, 2, "十八梯这里的路灯坏了")
    assert isinstance(ask, Ask) and ask.stage == SUBDISTRICT
    assert ask.draft.photo_file_ids == ("PHOTO1",)
    assert ask.draft.suggested_subdistrict == NANJIMEN.code


async def test_location_alone_then_text_uses_the_pin(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_location(r, NANJIMEN.lat, NANJIMEN.lon)
    assert isinstance(ask, Ask) and ask.stage == NEED_TEXT
    assert ask.location_guess is not None and ask.location_guess.inside
    async with h.service() as svc:
        ask = await svc.add_text(r, 2, "这里垃圾堆了好几天没人清理")
    assert isinstance(ask, Ask) and ask.draft.suggested_subdistrict == NANJIMEN.code


async def test_location_outside_the_district(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        await svc.add_text(r, 1, "路边垃圾很多")
    async with h.service() as svc:
        ask = await svc.add_location(r, 39.9042, 116.4074)  # Beijing
    assert isinstance(ask, Ask) and ask.location_guess is not None
    assert not ask.location_guess.inside
    assert ask.draft.suggested_subdistrict is None


async def test_more_text_is_appended_not_a_new_opinion(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        first = await svc.add_text(r, 1, "凯旋路停车太乱")
        second = await svc.add_text(r, 2, "尤其是晚上八点以后")
        again = await svc.add_text(r, 2, "尤其是晚上八点以后")  # the same message replayed
    assert isinstance(first, Ask) and isinstance(second, Ask) and isinstance(again, Ask)
    assert second.note == "appended" and second.draft.id == first.draft.id
    assert again.draft.text == "凯旋路停车太乱\n尤其是晚上八点以后"


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "empty"), ("   \n\t ", "empty"), ("👍👍🙏", "no_words"), ("\u200b\u202e", "empty")],
)
async def test_bad_text_is_rejected_and_nothing_stored(h: Harness, text: str, reason: str) -> None:
    r = await h.resident()
    async with h.service() as svc:
        out = await svc.add_text(r, 1, text)
    assert out == Rejected(reason, out.length if isinstance(out, Rejected) else 0, 200)
    async with h.service() as svc:
        assert await svc.drafts.open_for(r.id) is None


async def test_too_long_and_append_too_long(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        out = await svc.add_text(r, 1, "很" * 201)
    assert isinstance(out, Rejected) and out.reason == "too_long" and out.length == 201
    async with h.service() as svc:
        await svc.add_text(r, 2, "好" * 150)
        out = await svc.add_text(r, 3, "好" * 60)
    assert isinstance(out, Rejected) and out.reason == "append_too_long"
    async with h.service() as svc:
        draft = await svc.drafts.open_for(r.id)
    assert draft is not None and draft.text == "好" * 150


async def test_rate_limit(sessions: async_sessionmaker[AsyncSession]) -> None:
    h = Harness(sessions, per_hour=2)
    r = await h.resident()
    await submit(h, r, "凯旋路停车乱", 1)
    await submit(h, r, "凯旋路还是停车乱", 2)
    async with h.service() as svc:
        out = await svc.add_text(r, 3, "第三条意见")
    assert isinstance(out, RateLimited) and out.count == 2
    async with h.service() as svc:
        assert await svc.drafts.open_for(r.id) is None


async def test_buttons_of_others_and_forged_values_are_stale(h: Harness) -> None:
    alice, mallory = await h.resident(1), await h.resident(2)
    async with h.service() as svc:
        ask = await svc.add_text(alice, 1, "凯旋路停车乱")
    assert isinstance(ask, Ask)
    async with h.service() as svc:
        assert isinstance(await svc.choose_subdistrict(mallory, ask.draft.id, "0"), Stale)
        assert isinstance(await svc.choose_subdistrict(alice, ask.draft.id, "99"), Stale)
        assert isinstance(await svc.choose_subdistrict(alice, 999999, "0"), Stale)
        # category before sub-district is out of order
        assert isinstance(await svc.choose_category(alice, ask.draft.id, "other"), Stale)
    async with h.service() as svc:
        await svc.choose_subdistrict(alice, ask.draft.id, "0")
    async with h.service() as svc:
        assert isinstance(await svc.choose_category(alice, ask.draft.id, "nonsense"), Stale)


async def test_edits_update_draft_or_become_revisions(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        await svc.add_text(r, 5, "凯旋路停车乱")
        edited = await svc.edit(r, 5, "凯旋路停车很乱，晚上更严重")
    assert isinstance(edited, Ask) and edited.note == "edited"
    assert edited.draft.text == "凯旋路停车很乱，晚上更严重"
    async with h.service() as svc:
        await svc.choose_subdistrict(r, edited.draft.id, "0")
    async with h.service() as svc:
        done = await svc.choose_category(r, edited.draft.id, "parking_traffic")
    assert isinstance(done, Submitted)
    async with h.service() as svc:
        revised = await svc.edit(r, 5, "凯旋路停车问题已经好一些了")
    assert isinstance(revised, EditedOpinion) and revised.opinion.id == done.opinion.id
    async with h.service() as svc:
        mine = await svc.opinions.for_resident(r.id)
    assert len(mine) == 1
    assert [rev.text for rev in mine[0].revisions] == ["凯旋路停车问题已经好一些了"]

    # An edit of a message we never kept (a refused text, an answer): acknowledged only,
    # never a new opinion.
    async with h.service() as svc:
        unrelated = await svc.edit(r, 77, "十八梯路灯坏了")
        assert isinstance(unrelated, EditUnrelated)
        assert await svc.drafts.open_for(r.id) is None


async def test_typed_answers_count_as_answers(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_text(r, 1, "路灯坏了好几天了，晚上很黑")
        assert isinstance(ask, Ask) and ask.stage == SUBDISTRICT
        answered = await svc.add_text(r, 2, "南纪门街道")
    assert isinstance(answered, Ask) and answered.stage == CATEGORY
    assert answered.draft.subdistrict == NANJIMEN.code
    assert answered.draft.text == "路灯坏了好几天了，晚上很黑"  # the answer is not opinion text
    async with h.service() as svc:
        more = await svc.add_text(r, 3, "尤其是十八梯下面那一段")  # detail, not a topic
        assert isinstance(more, Ask) and more.note == "appended"
        done = await svc.add_text(r, 4, "用电安全")
    assert isinstance(done, Submitted) and done.opinion.category == "electrical_safety"


async def test_typed_unsure(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        await svc.add_text(r, 1, "垃圾没人收")
        answered = await svc.add_text(r, 2, "不知道")
    assert isinstance(answered, Ask) and answered.stage == CATEGORY
    assert answered.draft.subdistrict_unsure and answered.draft.subdistrict is None
