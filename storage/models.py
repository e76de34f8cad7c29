"""Tables. Repositories turn rows into the plain records in `storage.records`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.statuses import InboxStatus, OpinionStatus, OutboxStatus, Priority

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Column default for rows nobody stamped; code that decides by time passes `now`."""
    return datetime.now(UTC)


#: SQLite would otherwise reuse the highest id after a delete; ids are in button data and
#: reference numbers, so they must never come back.
NO_REUSE = {"sqlite_autoincrement": True}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class InboxUpdate(Base):
    """Every update from Telegram, stored before its offset is confirmed.

    Once handled, `payload` and `chat_id` are cleared: the row keeps the update id and the
    outcome only. A failed update keeps its content (nothing is lost) until it is replayed,
    its person asks to be erased, or retention ends.
    """

    __tablename__ = "inbox_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    update_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.PENDING)
    kind: Mapped[str] = mapped_column(String(32))
    #: Whose update, while it is not done (orders retries per chat; /delete_me finds it).
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_inbox_updates_status_id", "status", "id"), NO_REUSE)


class Resident(Base):
    """A person who consented. Nobody gets a row before pressing 同意."""

    __tablename__ = "residents"
    __table_args__ = NO_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    pseudonym: Mapped[str] = mapped_column(String(16), unique=True)
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    consent_version: Mapped[str] = mapped_column(String(16))
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: "soft": new opinions are held for review; "hard": ignored after one notice.
    ban: Mapped[str | None] = mapped_column(String(8))
    ban_reason: Mapped[str | None] = mapped_column(Text)
    banned_by: Mapped[int | None] = mapped_column(BigInteger)
    banned_at: Mapped[datetime | None]
    ban_notified: Mapped[bool] = mapped_column(default=False)
    #: Invitations to consultations in their sub-district: None until asked (once, after
    #: the first receipt), then their answer; revocable in /privacy.
    consult_opt_in: Mapped[bool | None] = mapped_column()
    consult_asked_at: Mapped[datetime | None]
    #: The sub-district their invitations are for: that of their latest opinion.
    home_subdistrict: Mapped[str | None] = mapped_column(String(16), index=True)


class Draft(Base):
    """An opinion being written: survives restarts, one per resident at most."""

    __tablename__ = "drafts"
    __table_args__ = NO_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), unique=True
    )
    stage: Mapped[str] = mapped_column(String(16))
    parts: Mapped[list[Any]] = mapped_column(default=list)
    photo_file_ids: Mapped[list[Any]] = mapped_column(default=list)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    suggested_subdistrict: Mapped[str | None] = mapped_column(String(16))
    suggestion_confidence: Mapped[float | None] = mapped_column(Float)
    subdistrict: Mapped[str | None] = mapped_column(String(16))
    subdistrict_unsure: Mapped[bool] = mapped_column(default=False)
    suggested_category: Mapped[str | None] = mapped_column(String(32))
    #: The topic shown on the confirmation card (suggested, or changed by the resident).
    category: Mapped[str | None] = mapped_column(String(32))
    voice_file_ids: Mapped[list[Any]] = mapped_column(default=list)
    #: The text came forwarded from someone else: asked whose problem it is before anything.
    forwarded: Mapped[bool] = mapped_column(default=False)
    #: Offered to join an open opinion of the same matter already: not offered twice.
    support_offered: Mapped[bool] = mapped_column(default=False)
    #: The consultation this draft answers or was attached to (None: an ordinary opinion).
    consultation_id: Mapped[int | None] = mapped_column(Integer)
    #: Offered to attach to an open consultation already: not offered twice.
    consultation_offered: Mapped[bool] = mapped_column(default=False)
    #: Questions are numbered; every button carries the number, so only the live one acts.
    question_seq: Mapped[int] = mapped_column(default=0)
    #: The outbox row of the live question: removed (or never sent) once superseded.
    question_outbox_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Opinion(Base):
    """A submitted opinion. After /delete_me only the anonymous facts remain."""

    __tablename__ = "opinions"
    __table_args__ = (
        # Digests' "still awaiting follow-up": by sub-district and state, in time order.
        Index("ix_opinions_subdistrict_status_visible_at", "subdistrict", "status", "visible_at"),
        # Moderation's queue: held and pending ones, oldest first.
        Index("ix_opinions_status_id", "status", "id"),
        # Rating reminders: resolved ones, by when they were resolved.
        Index("ix_opinions_progress_resolved_at", "progress", "resolved_at"),
        NO_REUSE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str | None] = mapped_column(Text)
    source_message_ids: Mapped[list[Any]] = mapped_column(default=list)
    photo_file_ids: Mapped[list[Any]] = mapped_column(default=list)
    voice_file_ids: Mapped[list[Any]] = mapped_column(default=list)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    subdistrict: Mapped[str | None] = mapped_column(String(16), index=True)
    suggested_subdistrict: Mapped[str | None] = mapped_column(String(16))
    suggestion_confidence: Mapped[float | None] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(32))
    suggested_category: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=OpinionStatus.RECEIVED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]
    #: When members could first see it (the first visibility event); None while it waits.
    visible_at: Mapped[datetime | None]
    #: Why it was held for review: [{"reason": …, "detail": …}] (details safe to show).
    hold_reasons: Mapped[list[Any]] = mapped_column(default=list)
    #: Normalised text, to find the same text sent again (moderation's "repeated" rule).
    repeat_key: Mapped[str | None] = mapped_column(String(64), index=True)
    moderated_by: Mapped[int | None] = mapped_column(BigInteger)
    moderated_at: Mapped[datetime | None]
    #: Why it was rejected or hidden: a reason code, or the admin's words.
    moderation_reason: Mapped[str | None] = mapped_column(Text)
    merged_into: Mapped[int | None] = mapped_column(Integer)
    #: Follow-up (storage.statuses.Progress); None: nobody has responded yet.
    progress: Mapped[str | None] = mapped_column(String(16))
    #: The first member action of any kind (the response rate and its median time).
    first_response_at: Mapped[datetime | None]
    #: The latest "resolved" (the reopen window counts from it); None once reopened.
    resolved_at: Mapped[datetime | None]
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rated_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Times the author was asked to rate since the latest "resolved" (asked, then at most
    #: once more), and when last.
    rating_asks: Mapped[int] = mapped_column(SmallInteger, default=0)
    rating_asked_at: Mapped[datetime | None]
    #: The consultation it answers or was attached to. No foreign key: SQLite cannot add one
    #: to an existing table without copying it (and losing AUTOINCREMENT); consultations
    #: are never deleted.
    consultation_id: Mapped[int | None] = mapped_column(Integer, index=True)


class OpinionAction(Base):
    """One line of an opinion's follow-up history: a member's action (with the words the
    resident is sent, and the department for "forwarded") or the resident's reopening
    (their reason) or rating. Members appear by Telegram id here and in the audit log, but
    residents are only ever told "委员" and the sub-district."""

    __tablename__ = "opinion_actions"
    __table_args__ = (Index("ix_opinion_actions_kind_at", "kind", "at"), NO_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    opinion_id: Mapped[int] = mapped_column(
        ForeignKey("opinions.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))
    #: The member who acted; None: the resident (reopened, rated).
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    #: The sub-district the member answered for (what the resident is told).
    subdistrict: Mapped[str | None] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(SmallInteger)


class ActionCard(Base):
    """What a member's follow-up button stands for (one item, or a cluster's items), like
    moderation's cards: the button carries only the card id, the card names the member."""

    __tablename__ = "action_cards"
    __table_args__ = NO_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(BigInteger, index=True)
    opinion_ids: Mapped[list[Any]] = mapped_column(default=list)
    #: The action picked and what else it needs (department, the typed text) until done.
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class Consultation(Base):
    """A 渝事好商量 consultation: opened by an admin for some sub-districts until a deadline.
    Invitations go to opted-in residents of those sub-districts through the bulk outbox; it
    closes at the deadline (a tick, from the database) or by command, and its summary is
    queued once (`summary_queued_at`); /outcome records the outcome and tells contributors."""

    __tablename__ = "consultations"
    __table_args__ = (Index("ix_consultations_status_deadline", "status", "deadline"), NO_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    subdistricts: Mapped[list[Any]] = mapped_column(default=list)
    deadline: Mapped[datetime | None]
    #: Which question /consult is asking next while it is a draft.
    step: Mapped[str | None] = mapped_column(String(16))
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]
    #: Every invitation queued (they are queued a batch at a time by ticks).
    invited_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(BigInteger)  # None: its deadline
    summary_queued_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(Text)
    outcome_by: Mapped[int | None] = mapped_column(BigInteger)
    outcome_at: Mapped[datetime | None]
    #: Outcome notes queued to every contributor (a batch at a time).
    outcome_queued_at: Mapped[datetime | None]


class ConsultationInvitation(Base):
    """One resident invited to one consultation: the key keeps it to one invitation, and
    `notified_at` to one outcome note."""

    __tablename__ = "consultation_invitations"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True
    )
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    queued_at: Mapped[datetime]
    outcome_queued_at: Mapped[datetime | None]


class ExportJob(Base):
    """An /export asked for: built by a tick off the update path, its progress shown by
    editing one message (`progress_outbox_id`), the files sent when ready."""

    __tablename__ = "export_jobs"
    __table_args__ = (Index("ix_export_jobs_status_id", "status", "id"), NO_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    requester_id: Mapped[int] = mapped_column(BigInteger)
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    #: {"from": ISO date, "to": ISO date, "subdistricts": [codes] or ["*"]}
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16))
    progress_outbox_id: Mapped[int | None] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class OpinionRevision(Base):
    """A resident edited the message an opinion came from: the edit is kept beside it."""

    __tablename__ = "opinion_revisions"
    __table_args__ = NO_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    opinion_id: Mapped[int] = mapped_column(
        ForeignKey("opinions.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A call to Telegram decided inside a transaction, sent after it commits.

    Every row ends sent (with Telegram's message id), failed (with the reason) or uncertain
    (the request went out and no answer came); final rows lose their payload. A file
    (sendDocument, sendPhoto) travels in `file_content`; its name and caption in `payload`.
    A sender claims a row (status sending, claimed_by) just before the request goes out.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any] | None] = mapped_column()
    file_content: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    priority: Mapped[int] = mapped_column(SmallInteger, default=Priority.REPLY)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    not_before: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_outbox_status_priority_id", "status", "priority", "id"),
        Index("ix_outbox_chat_id_status_id", "chat_id", "status", "id"),
        NO_REUSE,
    )


class GroupChat(Base):
    """Groups and channels the bot was told to use a private chat in (said once)."""

    __tablename__ = "group_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    notified_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScheduledRun(Base):
    """A slot of a scheduled job that ran (or the moment a job was first seen).

    The key (job, slot) is what lets one process win when several tick at once.
    """

    __tablename__ = "scheduled_runs"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot: Mapped[datetime] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime]


class Staff(Base):
    """Admins and committee members, by Telegram user id only (never a username).

    A member's digest schedule lives here: `next_due` is when the scheduler next looks at
    them (an index, recomputed from the settings); `last_slot` the slot of their last digest;
    `schedule_from` the moment the current settings took effect (slots before it never count).
    """

    __tablename__ = "staff"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(8))
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    frequency: Mapped[str] = mapped_column(String(8), default="daily")
    weekday: Mapped[int] = mapped_column(SmallInteger, default=0)
    digest_time: Mapped[str] = mapped_column(String(5))
    empty_note: Mapped[bool] = mapped_column(default=False)
    urgent: Mapped[bool] = mapped_column(default=True)
    #: A typed answer the settings wait for ("time"), so it is not taken as an opinion.
    awaiting: Mapped[str | None] = mapped_column(String(64))
    schedule_from: Mapped[datetime]
    next_due: Mapped[datetime | None] = mapped_column(index=True)
    last_slot: Mapped[datetime | None]
    unreachable_at: Mapped[datetime | None]
    #: Which command menu was last set for this chat (set again only when it changes).
    menu_version: Mapped[str | None] = mapped_column(String(16))
    granted_by: Mapped[int | None] = mapped_column(BigInteger)
    granted_at: Mapped[datetime]


class StaffSubdistrict(Base):
    """A sub-district a member follows ("*": all of them, and items not yet placed)."""

    __tablename__ = "staff_subdistricts"

    telegram_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("staff.telegram_id", ondelete="CASCADE"), primary_key=True
    )
    subdistrict: Mapped[str] = mapped_column(String(16), primary_key=True)
    since: Mapped[datetime]


class Invite(Base):
    """A one-time, expiring deep link that makes whoever opens it a member."""

    __tablename__ = "invites"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    subdistricts: Mapped[list[Any]] = mapped_column(default=list)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None]


class VisibilityEvent(Base):
    """The moment an opinion became visible to members of a sub-district: on submission
    today, on approval once moderation holds items, and again (kind "moved") when it is
    retagged. Members' digests are fed from these events, never from `created_at`."""

    __tablename__ = "visibility_events"
    __table_args__ = NO_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    opinion_id: Mapped[int] = mapped_column(
        ForeignKey("opinions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    subdistrict: Mapped[str | None] = mapped_column(String(16))
    from_subdistrict: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[datetime]


class Digest(Base):
    """One digest of one member: the unique (member, slot) lets one process win."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("staff.telegram_id", ondelete="CASCADE")
    )
    slot: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    item_count: Mapped[int] = mapped_column(Integer)
    #: Items per sub-district code, for "change against the previous period".
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    #: When its messages and files were queued: a digest is taken in one short transaction,
    #: drawn outside any, and queued in another; one taken but never queued (a crash in
    #: between) is drawn again from its items.
    queued_at: Mapped[datetime | None]
    #: The opinion ids of each cluster of several residents, in the digest's order (its
    #: "act on the cluster" buttons point here).
    clusters: Mapped[list[Any]] = mapped_column(default=list)

    __table_args__ = (UniqueConstraint("member_id", "slot"), NO_REUSE)


class DigestItem(Base):
    """An opinion owed to one member: queued in the transaction that made it visible to
    them, and taken by exactly one digest (`digest_id`). The unique (member, opinion) keeps
    an item from reaching one member twice, even when it moves between sub-districts."""

    __tablename__ = "digest_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("staff.telegram_id", ondelete="CASCADE")
    )
    opinion_id: Mapped[int] = mapped_column(ForeignKey("opinions.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(
        ForeignKey("visibility_events.id", ondelete="CASCADE"), index=True
    )
    digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("digests.id", ondelete="CASCADE"), index=True
    )
    moved_from: Mapped[str | None] = mapped_column(String(16))
    queued_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("member_id", "opinion_id"),
        Index("ix_digest_items_member_id_digest_id", "member_id", "digest_id"),
        NO_REUSE,
    )


class OpinionSupporter(Base):
    """A resident who supports an opinion they did not write (merged duplicates today)."""

    __tablename__ = "opinion_supporters"

    opinion_id: Mapped[int] = mapped_column(
        ForeignKey("opinions.id", ondelete="CASCADE"), primary_key=True
    )
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    since: Mapped[datetime]


class ModerationCard(Base):
    """What a moderation button stands for: an opaque id in the button, looked up here.

    The card names the admin it was shown to and the opinion, so forged or forwarded
    buttons carry nothing to trust."""

    __tablename__ = "moderation_cards"
    __table_args__ = NO_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    admin_id: Mapped[int] = mapped_column(BigInteger)
    opinion_id: Mapped[int | None] = mapped_column(ForeignKey("opinions.id", ondelete="CASCADE"))
    #: The ids of the page this card belongs to (bulk approval), oldest first.
    page: Mapped[list[Any]] = mapped_column(default=list)
    #: What else a button of the card stands for (a ban waiting for confirmation).
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class AuditEntry(Base):
    """Every admin action, append-only: triggers refuse UPDATE and DELETE (SQLite and
    PostgreSQL), and no code path issues either. Residents appear by pseudonym only."""

    __tablename__ = "audit_log"
    __table_args__ = NO_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(BigInteger, index=True)  # None: the bot itself
    action: Mapped[str] = mapped_column(String(32))
    opinion_id: Mapped[int | None] = mapped_column(Integer, index=True)
    subject: Mapped[str | None] = mapped_column(String(32), index=True)  # pseudonym or user id
    before: Mapped[dict[str, Any]] = mapped_column(default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str | None] = mapped_column(Text)


class AdminAlert(Base):
    """An error the admins were told about, so each is told once (per signature and day)."""

    __tablename__ = "admin_alerts"

    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=1)
