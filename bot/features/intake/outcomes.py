"""What the intake service answers (outcomes), its stages by short names, and the plain rules
it routes by. Telegram-free; the handlers turn outcomes into messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import CategoryGuess, LocationGuess, SubdistrictGuess
from bot.domain.intents import Intent
from bot.domain.split import Part
from bot.features.moderation.service import Review
from storage.records import DraftRecord, OpinionRecord
from storage.statuses import DraftStage

# The draft stages by their short names, as this module speaks of them throughout.
NEED_TEXT = DraftStage.NEED_TEXT
SUBDISTRICT = DraftStage.SUBDISTRICT
CATEGORY = DraftStage.CATEGORY
CONFIRM = DraftStage.CONFIRM
UNCLEAR = DraftStage.UNCLEAR
OUTSIDE = DraftStage.OUTSIDE
SPLIT = DraftStage.SPLIT
OWN = DraftStage.OWN
SUPPORT = DraftStage.SUPPORT
CONSULT = DraftStage.CONSULT
#: The "不确定" choice of the sub-district question.
UNSURE = "u"
#: Stages that wait on a question with buttons.
ASKING = frozenset({SUBDISTRICT, CATEGORY, CONFIRM, UNCLEAR, OUTSIDE, SPLIT, OWN, SUPPORT, CONSULT})
#: A message this long that came right after another is taken for one piece of a text the
#: client split (Telegram's limit is 4096 characters a message).
BURST_PIECE = 3500
BURST_WINDOW = timedelta(seconds=30)
#: What may stand around a bare place name ("观音桥那边吧").
PLACE_FILLER = re.compile(r"[\s\W_]|那边|这边|附近|这里|那里|吧|啊|呢|的")
#: Coordinates outside these ranges are not a place on Earth.
MAX_LAT, MAX_LON = 90.0, 180.0


@dataclass(frozen=True)
class Similar:
    """An open opinion of the same matter, which the resident may join ("我也是")."""

    opinion_id: int
    residents: int  # authors and supporters of every open opinion of the same matter
    text: str  # the opinion's own words (masked when shown)


@dataclass(frozen=True)
class Ask:
    """The draft needs the resident's next answer; `stage` says which."""

    draft: DraftRecord
    stage: str
    text_guess: SubdistrictGuess | None = None
    location_guess: LocationGuess | None = None
    category_guess: CategoryGuess | None = None
    note: str | None = None  # "appended", "photo_added", "location_added", "edited", "place"
    parts: tuple[Part, ...] = ()  # SPLIT: the problems found
    similar: Similar | None = None  # SUPPORT: the open opinion to join
    #: The consultation the draft answers (or, at CONSULT, is offered to join): its title.
    consultation_title: str | None = None


@dataclass(frozen=True)
class Answered:
    """Not a problem: a question, greeting, thanks, command word or stray confirmation.
    `pending` is the question an open draft still waits on, to show again after the answer."""

    intent: Intent
    pending: Ask | None = None


@dataclass(frozen=True)
class Rejected:
    """The text cannot become (part of) an opinion; `reason` is a TextCheck reason, or
    "bad_location"."""

    reason: str
    length: int = 0
    limit: int = 0


@dataclass(frozen=True)
class RateLimited:
    count: int
    until: datetime


@dataclass(frozen=True)
class Submitted:
    opinion: OpinionRecord
    #: Visible to members now, or waiting for an admin (held by a rule, or pre-moderation).
    review: Review | None = None
    #: Other opinions submitted by the same answer (a message split in two).
    also: tuple[tuple[OpinionRecord, Review | None], ...] = ()
    #: Still to confirm after a split: the question for the part left.
    then: Ask | None = None
    #: The consultation it was attached to: its title (the receipt says so).
    consultation_title: str | None = None
    #: That consultation closed before the opinion was sent: it went on its own (the
    #: receipt says so kindly; `consultation_title` names the closed one).
    consultation_closed: bool = False


@dataclass(frozen=True)
class Supported:
    """The resident joined an open opinion instead of sending the same matter again."""

    opinion_id: int
    residents: int  # now, the resident included
    text: str


@dataclass(frozen=True)
class SplitSubmitted:
    """A split where every part went at once."""

    submitted: tuple[Submitted, ...]


@dataclass(frozen=True)
class Dropped:
    """The draft ended without an opinion: "not_problem", "outside", "not_mine", "cancelled"."""

    reason: str


@dataclass(frozen=True)
class Stale:
    """A button for a draft that is gone or someone else's."""


@dataclass(frozen=True)
class Superseded:
    """A press on a question that was already answered or replaced: nothing changes."""


@dataclass(frozen=True)
class EditedOpinion:
    opinion: OpinionRecord


@dataclass(frozen=True)
class EditUnrelated:
    pass


Outcome = (
    Ask
    | Answered
    | Rejected
    | RateLimited
    | Submitted
    | Supported
    | SplitSubmitted
    | Dropped
    | Stale
    | Superseded
    | EditedOpinion
    | EditUnrelated
)


def best_suggestion(
    text_guess: SubdistrictGuess | None, location_guess: LocationGuess | None
) -> tuple[str | None, float]:
    """The sub-district to offer first, and how sure we are of it.

    What the resident wrote wins over an approximate pin, unless the text is weaker.
    """
    code, confidence = None, 0.0
    if location_guess is not None and location_guess.inside:
        code, confidence = location_guess.code, location_guess.confidence
    if (
        text_guess is not None
        and text_guess.code is not None
        and (code is None or text_guess.confidence >= confidence)
    ):
        code, confidence = text_guess.code, text_guess.confidence
    return code, confidence


def clear_topic(guess: CategoryGuess) -> bool:
    """A topic clear enough to show on the card (the resident can still change it)."""
    return guess.key != "other" and guess.level in ("high", "medium")


def is_outside(text_guess: SubdistrictGuess | None, pin: LocationGuess | None) -> bool:
    """The problem seems to be outside the district: an outside place named that outweighs
    every place inside (the tagger then gives no code; "从南坪过来的车在菜园坝乱停" keeps
    菜园坝), or a pin outside with no place inside named."""
    if text_guess is not None and text_guess.outside is not None and text_guess.code is None:
        return True
    named_inside = text_guess is not None and text_guess.code is not None
    return pin is not None and not pin.inside and not named_inside


#: Words typed at a question that mean one of its buttons, by stage. Checked on the whole
#: (short) message, so "提交" is the button and "提交了三次都没人管" stays opinion text.
TYPED_ACTIONS: dict[str, dict[str, str]] = {
    "confirm": {
        "提交": "submit",
        "确认": "submit",
        "确认提交": "submit",
        "发送": "submit",
        "send": "submit",
        "submit": "submit",
        "改街道": "chsd",
        "换街道": "chsd",
        "街道不对": "chsd",
        "改类别": "chcat",
        "换类别": "chcat",
        "类别不对": "chcat",
    },
    "subdistrict": {"改类别": "chcat", "换类别": "chcat", "类别不对": "chcat"},
    "split": {
        "分开": "split",
        "分开提交": "split",
        "分成两条": "split",
        "分两条": "split",
        "split": "split",
        "一条": "one",
        "一条就行": "one",
        "不用分": "one",
        "不分": "one",
        "合在一起": "one",
        "作为一条": "one",
        "keepasone": "one",
    },
    "support": {
        "我也是": "metoo",
        "加上我": "metoo",
        "加上": "metoo",
        "metoo": "metoo",
        "单独提交": "apart",
        "单独": "apart",
        "分开提交": "apart",
        "separately": "apart",
    },
    "consult": {
        "加入": "join",
        "参加": "join",
        "加上": "join",
        "join": "join",
        "单独提交": "apart",
        "单独": "apart",
        "separately": "apart",
    },
    "outside": {"不提交": "drop", "继续提交": "anyway", "在渝中": "anyway", "在渝中区": "anyway"},
}
#: Words that drop the draft at any question ("算了" at the card).
TYPED_DROP = frozenset(
    {"算了", "不要了", "不提交了", "不说了", "不反映了", "nevermind", "forgetit"}
)
