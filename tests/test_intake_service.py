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
    CONFIRM,
    NEED_TEXT,
    OUTSIDE,
    SUBDISTRICT,
    Answered,
    Ask,
    Dropped,
    EditedOpinion,
    EditUnrelated,
    IntakeService,
    RateLimited,
    Rejected,
    Stale,
    Submitted,
    Superseded,
    Supported,
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
    """Write `text` and answer: 南纪门 if asked, the card's 提交, parking if asked."""
    async with h.service() as svc:
        ask = await svc.add_text(r, message_id, text)
    for _ in range(4):
        assert isinstance(ask, Ask), ask
        d = ask.draft
        async with h.service() as svc:
            if ask.stage == SUBDISTRICT:
                nanjimen = str(DISTRICT.index_of(NANJIMEN.code))
                out = await svc.choose_subdistrict(r, d.id, d.question_seq, nanjimen)
            elif ask.stage == CATEGORY:
                out = await svc.choose_category(r, d.id, d.question_seq, "parking_traffic")
            else:
                out = await svc.act(r, d.id, d.question_seq, "submit")
        if isinstance(out, Submitted):
            return out
        ask = out  # type: ignore[assignment]
    raise AssertionError("no submission")


async def test_text_is_tagged_confirmed_and_submitted(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_text(r, 10, "凯旋路晚上停车太乱了，消防通道都堵了")
    # A road that crosses borders: the place is asked (suggested), the topic is known.
    assert isinstance(ask, Ask) and ask.stage == SUBDISTRICT
    assert ask.draft.suggested_subdistrict == NANJIMEN.code
    d = ask.draft
    async with h.service() as svc:
        topic = await svc.choose_subdistrict(
            r, d.id, d.question_seq, str(DISTRICT.index_of(NANJIMEN.code))
        )
    # Parking or the fire lane: not clear enough, so the topic is asked, the blocked fire
    # lane's topic offered first.
    assert isinstance(topic, Ask) and topic.stage == CATEGORY
    assert topic.category_guess is not None and topic.category_guess.key == "fire_safety"
    async with h.service() as svc:
        done = await svc.choose_category(r, d.id, topic.draft.question_seq, "fire_safety")
    assert isinstance(done, Submitted)
    assert done.opinion.subdistrict == NANJIMEN.code
    assert done.opinion.text == "凯旋路晚上停车太乱了，消防通道都堵了"
    async with h.service() as svc:
        assert await svc.drafts.open_for(r.id) is None
        # pressing the old button again is stale, not a second opinion
        assert isinstance(await svc.choose_category(r, d.id, d.question_seq, "other"), Stale)


async def test_a_clear_place_and_topic_is_one_card(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_text(r, 1, "七星岗通远门旁边的路灯晚上不亮")
    assert isinstance(ask, Ask) and ask.stage == CONFIRM
    assert ask.draft.subdistrict == "500103001" and ask.draft.category == "municipal_facilities"
    async with h.service() as svc:
        done = await svc.add_text(r, 2, "对的")  # typed, not added to the text
    assert isinstance(done, Submitted) and done.opinion.text == "七星岗通远门旁边的路灯晚上不亮"


async def test_an_old_question_number_changes_nothing(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_text(r, 1, "七星岗通远门旁边的路灯晚上不亮")
    assert isinstance(ask, Ask)
    async with h.service() as svc:
        again = await svc.add_text(r, 2, "多久能处理？")
    assert isinstance(again, Answered) and again.pending is not None
    assert again.pending.draft.question_seq == ask.draft.question_seq + 1
    async with h.service() as svc:
        old = await svc.act(r, ask.draft.id, ask.draft.question_seq, "submit")
    assert isinstance(old, Superseded)
    async with h.service() as svc:
        assert await svc.opinions.for_resident(r.id) == []


@pytest.mark.parametrize(
    "said", ["你们是谁？", "在吗", "谢谢你们了", "怎么投诉", "我不会打字", "好的"]
)
async def test_what_is_not_a_problem_opens_no_draft(h: Harness, said: str) -> None:
    r = await h.resident()
    async with h.service() as svc:
        out = await svc.add_text(r, 1, said)
        assert isinstance(out, Answered) and out.pending is None
        assert await svc.drafts.open_for(r.id) is None


async def test_former_name_offers_successors(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_text(r, 1, "望龙门那边老房子电线乱拉，很危险")
    assert isinstance(ask, Ask) and ask.text_guess is not None
    assert ask.draft.suggested_subdistrict is None
    names = {DISTRICT.by_code(c).short for c in ask.text_guess.candidates}  # type: ignore[union-attr]
    assert names == {"朝天门", "解放碑", "南纪门"}


async def test_outside_is_asked_and_unsure_is_kept_as_unknown(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_text(r, 1, "观音桥步行街晚上太吵了")
    assert isinstance(ask, Ask) and ask.stage == OUTSIDE
    assert ask.text_guess is not None and ask.text_guess.outside is not None
    async with h.service() as svc:
        ask = await svc.act(r, ask.draft.id, ask.draft.question_seq, "anyway")
    assert isinstance(ask, Ask) and ask.stage == SUBDISTRICT
    assert ask.draft.suggested_subdistrict is None
    async with h.service() as svc:
        out = await svc.choose_subdistrict(r, ask.draft.id, ask.draft.question_seq, "u")
    if isinstance(out, Ask):
        assert out.stage == CATEGORY
        async with h.service() as svc:
            out = await svc.choose_category(r, out.draft.id, out.draft.question_seq, "public_order")
    assert isinstance(out, Submitted) and out.opinion.subdistrict is None


async def test_outside_and_not_submitted(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_text(r, 1, "观音桥步行街晚上太吵了")
    assert isinstance(ask, Ask)
    async with h.service() as svc:
        out = await svc.add_text(r, 2, "好的")  # "yes, it is outside": nothing is sent
        assert not isinstance(out, Submitted)
        assert await svc.drafts.open_for(r.id) is None
        assert await svc.opinions.for_resident(r.id) == []


async def test_photo_then_text(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_photo(r, 1, "PHOTO1", None)
    assert isinstance(ask, Ask) and ask.stage == NEED_TEXT
    async with h.service() as svc:
        ask = await svc.add_text(r, 2, "十八梯这里的路灯坏了")
    assert isinstance(ask, Ask) and ask.stage in (SUBDISTRICT, CONFIRM)
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
        await svc.add_text(r, 1, "路边垃圾很多，好几天没人扫")
    async with h.service() as svc:
        ask = await svc.add_location(r, 39.9042, 116.4074)  # Beijing
    assert isinstance(ask, Ask) and ask.stage == OUTSIDE
    assert ask.location_guess is not None and not ask.location_guess.inside


@pytest.mark.parametrize(("lat", "lon"), [(91.0, 181.0), (-90.5, 0.0), (0.0, -180.01)])
async def test_impossible_coordinates_are_refused(h: Harness, lat: float, lon: float) -> None:
    r = await h.resident()
    async with h.service() as svc:
        out = await svc.add_location(r, lat, lon)
        assert out == Rejected("bad_location")
        assert await svc.drafts.open_for(r.id) is None


async def test_more_text_is_appended_not_a_new_opinion(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        first = await svc.add_text(r, 1, "凯旋路停车太乱")
        second = await svc.add_text(r, 2, "尤其是晚上八点以后，车停得到处都是")
        again = await svc.add_text(r, 2, "尤其是晚上八点以后，车停得到处都是")  # replayed
    assert isinstance(first, Ask) and isinstance(second, Ask) and isinstance(again, Ask)
    assert second.note == "appended" and second.draft.id == first.draft.id
    assert again.draft.text == "凯旋路停车太乱\n尤其是晚上八点以后，车停得到处都是"


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
        out = await svc.add_text(r, 1, "楼下垃圾" * 51)
    assert isinstance(out, Rejected) and out.reason == "too_long" and out.length == 204
    async with h.service() as svc:
        await svc.add_text(r, 2, "楼下垃圾没人收" * 20)
        out = await svc.add_text(r, 3, "还有污水" * 15)
    assert isinstance(out, Rejected) and out.reason == "append_too_long"
    async with h.service() as svc:
        draft = await svc.drafts.open_for(r.id)
    assert draft is not None and draft.text == "楼下垃圾没人收" * 20


async def test_rate_limit(sessions: async_sessionmaker[AsyncSession]) -> None:
    h = Harness(sessions, per_hour=2)
    r = await h.resident()
    await submit(h, r, "凯旋路停车乱", 1)
    await submit(h, r, "凯旋路还是停车乱", 2)
    async with h.service() as svc:
        out = await svc.add_text(r, 3, "凯旋路第三次说停车乱")
    assert isinstance(out, RateLimited) and out.count == 2
    async with h.service() as svc:
        assert await svc.drafts.open_for(r.id) is None


async def test_buttons_of_others_and_forged_values_are_refused(h: Harness) -> None:
    alice, mallory = await h.resident(1), await h.resident(2)
    async with h.service() as svc:
        ask = await svc.add_text(alice, 1, "凯旋路停车乱")
    assert isinstance(ask, Ask) and ask.stage == SUBDISTRICT
    d = ask.draft
    async with h.service() as svc:
        assert isinstance(await svc.choose_subdistrict(mallory, d.id, d.question_seq, "0"), Stale)
        assert isinstance(await svc.choose_subdistrict(alice, d.id, d.question_seq, "99"), Stale)
        assert isinstance(await svc.choose_subdistrict(alice, 999999, 1, "0"), Stale)
        assert isinstance(await svc.act(mallory, d.id, d.question_seq, "submit"), Stale)
        # a button of another step (or another question) changes nothing
        out = await svc.choose_category(alice, d.id, d.question_seq, "other")
        assert isinstance(out, Superseded)
        assert isinstance(await svc.act(alice, d.id, d.question_seq, "submit"), Superseded)
        assert isinstance(await svc.choose_subdistrict(alice, d.id, 99, "0"), Superseded)
    async with h.service() as svc:
        assert (await svc.drafts.open_for(alice.id)) is not None
        assert await svc.opinions.for_resident(alice.id) == []


async def test_edits_update_draft_or_become_revisions(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        await svc.add_text(r, 5, "凯旋路停车乱")
        edited = await svc.edit(r, 5, "凯旋路停车很乱，晚上更严重")
    assert isinstance(edited, Ask) and edited.note == "edited"
    assert edited.draft.text == "凯旋路停车很乱，晚上更严重"
    d = edited.draft
    async with h.service() as svc:
        done = await svc.choose_subdistrict(r, d.id, d.question_seq, "0")
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


async def test_typed_place_answers_the_question(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_text(r, 1, "路灯坏了好几天了，晚上很黑")
        assert isinstance(ask, Ask) and ask.stage == SUBDISTRICT
        done = await svc.add_text(r, 2, "南纪门街道")
    assert isinstance(done, Submitted) and done.opinion.subdistrict == NANJIMEN.code
    assert done.opinion.text == "路灯坏了好几天了，晚上很黑"  # the answer is not opinion text


async def test_typed_topic_and_more_detail(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_text(r, 1, "七星岗这边有个事情一直没人管，很危险")
        assert isinstance(ask, Ask) and ask.stage == CATEGORY
        more = await svc.add_text(r, 3, "尤其是十八梯下面那一段的电线")  # detail, not a topic
        assert isinstance(more, Ask) and more.note == "appended"
        done = await svc.add_text(r, 4, "用电安全")
    assert isinstance(done, Submitted) and done.opinion.category == "electrical_safety"


async def test_typed_unsure(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        await svc.add_text(r, 1, "垃圾好几天没人收")
        answered = await svc.add_text(r, 2, "不知道")
    assert isinstance(answered, Submitted) and answered.opinion.subdistrict is None


async def test_a_bare_place_waits_for_the_problem(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_text(r, 1, "解放碑")
        assert isinstance(ask, Ask) and ask.stage == NEED_TEXT and ask.note == "place"
        card = await svc.add_text(r, 2, "八一路的路灯坏了好几盏")
    assert isinstance(card, Ask) and card.draft.suggested_subdistrict == "500103003"


async def test_a_forwarded_text_is_masked_once_owned(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_text(r, 1, "楼道堆满杂物，联系王师傅13812345678", forwarded=True)
    assert isinstance(ask, Ask) and ask.stage == "own"
    async with h.service() as svc:
        out = await svc.act(r, ask.draft.id, ask.draft.question_seq, "mine")
    assert isinstance(out, Ask) and "13812345678" not in out.draft.text


async def test_a_voice_message_is_kept_and_asks_the_place(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_voice(r, 1, "VOICE1", None)
    assert isinstance(ask, Ask) and ask.stage == SUBDISTRICT
    assert ask.draft.voice_file_ids == ("VOICE1",)


async def test_pieces_of_a_long_text_stay_one_draft(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    h = Harness(sessions)
    r = await h.resident()
    now = utcnow()
    async with unit_of_work(sessions) as s:
        settings = Settings(_env_file=None)
        svc = services_for(s, Deps(settings, DISTRICT, clock=SystemClock())).service(IntakeService)
        first = await svc.add_text(r, 1, "凯旋路停车乱。" * 585, sent_at=now)
        second = await svc.add_text(r, 2, "好的", sent_at=now)  # the tail of the same text
    assert isinstance(first, Ask) and isinstance(second, Ask)
    assert second.draft.text.endswith("\n好的")


async def test_a_place_or_topic_typed_at_the_card_changes_the_card(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        card = await svc.add_text(r, 1, "七星岗通远门旁边的路灯晚上不亮")
        assert isinstance(card, Ask) and card.stage == CONFIRM
        moved = await svc.add_text(r, 2, "两路口")
        assert isinstance(moved, Ask) and moved.stage == CONFIRM
        assert moved.draft.subdistrict == "500103004"
        retopic = await svc.add_text(r, 3, "环境卫生")
        assert isinstance(retopic, Ask) and retopic.stage == CONFIRM
        assert retopic.draft.category == "environment_sanitation"
        done = await svc.add_text(r, 4, "没错")
    assert isinstance(done, Submitted)
    assert done.opinion.subdistrict == "500103004"
    assert done.opinion.category == "environment_sanitation"
    assert done.opinion.text == "七星岗通远门旁边的路灯晚上不亮"


async def test_typed_button_words_act_and_are_not_opinion_text(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        card = await svc.add_text(r, 1, "七星岗通远门旁边的路灯晚上不亮")
        assert isinstance(card, Ask) and card.stage == CONFIRM
        place = await svc.add_text(r, 2, "改街道")
        assert isinstance(place, Ask) and place.stage == SUBDISTRICT
        assert place.draft.text == "七星岗通远门旁边的路灯晚上不亮"
        dropped = await svc.add_text(r, 3, "算了")
        assert dropped == Dropped("cancelled")
        assert await svc.drafts.open_for(r.id) is None
    async with h.service() as svc:
        await svc.add_text(r, 4, "七星岗通远门旁边的路灯晚上不亮")
        done = await svc.add_text(r, 5, "提交")
    assert isinstance(done, Submitted) and done.opinion.text == "七星岗通远门旁边的路灯晚上不亮"


async def test_a_topic_word_answers_the_topic_question(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_text(r, 1, "上清寺那边晚上有人飙车，很吵")
        assert isinstance(ask, Ask) and ask.stage == CATEGORY
        done = await svc.add_text(r, 2, "噪音")
    assert isinstance(done, Submitted) and done.opinion.text == "上清寺那边晚上有人飙车，很吵"


async def test_an_edit_tags_the_text_afresh(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        card = await svc.add_text(r, 1, "七星岗的路灯坏了")
        assert isinstance(card, Ask) and card.draft.subdistrict == "500103001"
        edited = await svc.edit(r, 1, "大坪医院门口的路灯坏了")
    assert isinstance(edited, Ask) and edited.note == "edited"
    assert edited.draft.subdistrict in (None, "500103012")
    assert edited.draft.subdistrict != "500103001"


async def test_a_second_problem_sent_apart_is_offered_a_split(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        await svc.add_text(r, 1, "化龙桥红岩村那边下水道冒水")
        more = await svc.add_text(r, 2, "还有大坪时代天街门口共享单车乱停")
    assert isinstance(more, Ask) and more.stage == "split"


async def test_no_at_the_outside_notice_is_asked_again(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        await svc.add_text(r, 1, "观音桥步行街晚上太吵了")
        again = await svc.add_text(r, 2, "no")
    assert isinstance(again, Ask) and again.stage == OUTSIDE and again.note == "use_buttons"


async def test_a_typed_place_answers_a_voice_messages_question(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        await svc.add_voice(r, 1, "VOICE1", None)
        ask = await svc.add_text(r, 2, "在七星岗")
    assert isinstance(ask, Ask) and ask.draft.subdistrict == "500103001"
    assert ask.draft.text == ""


async def test_a_photo_with_an_emoji_caption_is_kept(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        ask = await svc.add_photo(r, 1, "PHOTO1", "😡")
    assert isinstance(ask, Ask) and ask.draft.photo_file_ids == ("PHOTO1",)


async def test_a_reference_number_typed_is_a_status_question(h: Harness) -> None:
    r = await h.resident()
    async with h.service() as svc:
        out = await svc.add_text(r, 1, "YZ-000001")
        assert isinstance(out, Answered) and out.intent.topic == "status"
        assert await svc.drafts.open_for(r.id) is None


async def test_the_same_matter_open_already_is_offered_to_join(h: Harness) -> None:
    first, second = await h.resident(1), await h.resident(2)
    await submit(h, first, "南纪门凯旋路晚上乱停车，消防通道都被堵了", 1)
    async with h.service() as svc:
        ask = await svc.add_text(second, 1, "凯旋路停车太乱了，车都停到消防通道上，南纪门这边")
    # (the place is asked or shown; its answer, or the card, leads to the offer)
    for _ in range(3):
        assert isinstance(ask, Ask), ask
        if ask.stage == "support":
            break
        d = ask.draft
        async with h.service() as svc:
            if ask.stage == SUBDISTRICT:
                nanjimen = str(DISTRICT.index_of(NANJIMEN.code))
                ask = await svc.choose_subdistrict(second, d.id, d.question_seq, nanjimen)  # type: ignore[assignment]
            else:
                ask = await svc.choose_category(second, d.id, d.question_seq, "parking_traffic")  # type: ignore[assignment]
    assert isinstance(ask, Ask) and ask.stage == "support" and ask.similar is not None
    assert ask.similar.residents == 1
    async with h.service() as svc:
        joined = await svc.act(second, ask.draft.id, ask.draft.question_seq, "metoo")
    assert isinstance(joined, Supported) and joined.residents == 2
    async with h.service() as svc:
        assert await svc.opinions.supporters(joined.opinion_id) == [second.id]
        assert await svc.opinions.for_resident(second.id) == []
        assert await svc.drafts.open_for(second.id) is None


async def test_one_may_still_send_the_same_matter_apart(h: Harness) -> None:
    first, second = await h.resident(1), await h.resident(2)
    await submit(h, first, "七星岗通远门旁边的路灯晚上不亮，走路看不清", 1)
    async with h.service() as svc:
        ask = await svc.add_text(second, 1, "七星岗通远门那里路灯坏了，晚上不亮")
    assert isinstance(ask, Ask) and ask.stage == "support"
    async with h.service() as svc:
        apart = await svc.add_text(second, 2, "单独提交")
    assert isinstance(apart, Submitted) and apart.opinion.resident_id == second.id
    # one's own opinions are never offered
    async with h.service() as svc:
        again = await svc.add_text(second, 3, "七星岗通远门的路灯还是不亮")
    assert isinstance(again, Ask)
    if again.similar is not None:
        assert again.similar.opinion_id != apart.opinion.id
