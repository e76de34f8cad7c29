"""The states rows move through, as enums stored as the plain strings they equal.

StrEnum members compare equal to their strings, so rows written before these existed read
back unchanged and no data migration was needed.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class InboxStatus(StrEnum):
    PENDING = "pending"  # stored, not yet handled (or waiting for a retry)
    DONE = "done"  # handled: only the id and the outcome are kept
    FAILED = "failed"  # set aside after the last attempt; content kept for a replay


class OutboxStatus(StrEnum):
    PENDING = "pending"  # to be sent (now, or at not_before)
    SENDING = "sending"  # claimed by a sender: the request is going out
    SENT = "sent"  # Telegram accepted it; its message id is kept, the payload dropped
    FAILED = "failed"  # given up: the reason is kept, the payload dropped
    UNCERTAIN = "uncertain"  # went out and no answer came: never resent blindly


class Priority(IntEnum):
    """Replies to people go ahead of bulk sending (digests, invitations)."""

    REPLY = 0
    BULK = 1


class OpinionStatus(StrEnum):
    RECEIVED = "received"  # visible to members (approved, or post-moderation)
    PENDING = "pending"  # pre-moderation: waits for an admin
    HELD = "held"  # an auto-hold rule matched: waits for an admin
    REJECTED = "rejected"
    HIDDEN = "hidden"  # was visible; hidden by an admin
    MERGED = "merged"  # a duplicate, merged into another item (merged_into)


class Progress(StrEnum):
    """How the follow-up of a visible opinion stands; None (no value): nobody responded yet.

    Forwarded, adopted and answered are responses; resolved closes it (the resident may rate
    it and, within REOPEN_DAYS, reopen it); reopened puts it back among the awaiting."""

    FORWARDED = "forwarded"  # passed to a department (named in the action)
    ADOPTED = "adopted"  # taken up as a proposal by the member
    ANSWERED = "answered"  # the member answered the resident
    RESOLVED = "resolved"
    REOPENED = "reopened"  # the resident reopened it after "resolved", with a reason


class ActionKind(StrEnum):
    """A line of an opinion's follow-up history (table opinion_actions)."""

    FORWARDED = "forwarded"
    ADOPTED = "adopted"
    ANSWERED = "answered"
    RESOLVED = "resolved"
    REOPENED = "reopened"  # by the resident, with their reason
    RATED = "rated"  # by the resident, 1-5


class ConsultationStatus(StrEnum):
    DRAFT = "draft"  # an admin is still filling it in through /consult
    OPEN = "open"  # invitations go out; answers attach to it
    CLOSED = "closed"  # at its deadline or by command; the summary is sent once


class ExportStatus(StrEnum):
    PENDING = "pending"  # asked for; a tick builds it off the update path
    RUNNING = "running"  # claimed by a process (claimed_at tells a stale claim)
    DONE = "done"
    FAILED = "failed"


class DraftStage(StrEnum):
    NEED_TEXT = "need_text"  # a photo or a pin came first: the words are still missing
    SUBDISTRICT = "subdistrict"  # waiting for the sub-district to be confirmed
    CATEGORY = "category"  # waiting for the topic; the next answer submits it
    CONFIRM = "confirm"  # the card: text, sub-district and topic shown; one tap submits
    UNCLEAR = "unclear"  # "is this something to raise?": the text is kept until answered
    OUTSIDE = "outside"  # the problem seems outside the district: submit anyway?
    SPLIT = "split"  # two problems in one message: two opinions?
    OWN = "own"  # a forwarded text: the resident's own problem?
    SUPPORT = "support"  # the same matter is open already: join it ("我也是") or send apart?
    CONSULT = "consult"  # a consultation is open here: attach the opinion to it?


class Role(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"


class VisibilityKind(StrEnum):
    VISIBLE = "visible"  # members of its sub-district may see it from now on
    MOVED = "moved"  # retagged: members of the new sub-district see it, marked as moved


class DigestKind(StrEnum):
    SCHEDULED = "scheduled"
    CATCH_UP = "catch_up"  # one digest for several missed slots (the bot was down)


#: A member following this follows every sub-district, and items not yet placed.
ALL_SUBDISTRICTS = "*"
