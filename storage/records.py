"""Plain records handed out by repositories, so nothing lazy-loads after a session ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ResidentRecord:
    id: int
    telegram_id: int
    pseudonym: str
    lang: str
    consent_version: str
    consented_at: datetime
    blocked_at: datetime | None
    ban: str | None = None
    ban_notified: bool = False
    consult_opt_in: bool | None = None  # None: not asked yet
    home_subdistrict: str | None = None
    consult_asked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DraftPart:
    message_id: int
    text: str


@dataclass(frozen=True, slots=True)
class DraftRecord:
    id: int
    resident_id: int
    stage: str
    parts: tuple[DraftPart, ...]
    photo_file_ids: tuple[str, ...]
    latitude: float | None
    longitude: float | None
    suggested_subdistrict: str | None
    suggestion_confidence: float | None
    subdistrict: str | None
    subdistrict_unsure: bool
    suggested_category: str | None
    created_at: datetime
    category: str | None = None  # the topic on the confirmation card
    voice_file_ids: tuple[str, ...] = ()
    forwarded: bool = False
    support_offered: bool = False
    question_seq: int = 0
    question_outbox_id: int | None = None
    updated_at: datetime | None = None
    consultation_id: int | None = None
    consultation_offered: bool = False

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.parts if p.text)

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True, slots=True)
class OpinionRecord:
    id: int
    resident_id: int | None
    text: str | None
    subdistrict: str | None
    category: str
    status: str
    created_at: datetime
    source_message_ids: tuple[int, ...] = ()
    photo_file_ids: tuple[str, ...] = ()
    voice_file_ids: tuple[str, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    suggested_subdistrict: str | None = None
    suggestion_confidence: float | None = None
    suggested_category: str | None = None
    revisions: tuple[RevisionRecord, ...] = field(default=())
    visible_at: datetime | None = None
    hold_reasons: tuple[dict[str, Any], ...] = ()
    moderated_by: int | None = None
    moderated_at: datetime | None = None
    moderation_reason: str | None = None
    merged_into: int | None = None
    progress: str | None = None  # storage.statuses.Progress; None: no response yet
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    rating: int | None = None
    rated_at: datetime | None = None
    reopen_count: int = 0
    rating_asks: int = 0
    rating_asked_at: datetime | None = None
    consultation_id: int | None = None


@dataclass(frozen=True, slots=True)
class RevisionRecord:
    message_id: int
    text: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class InboxRecord:
    id: int
    update_id: int
    status: str
    payload: str | None
    attempts: int
    chat_id: int | None = None
    not_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    id: int
    chat_id: int
    method: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    not_before: datetime | None = None
    file_content: bytes | None = None
    priority: int = 0


@dataclass(frozen=True, slots=True)
class StaffRecord:
    telegram_id: int
    role: str
    lang: str
    frequency: str
    weekday: int
    digest_time: str
    empty_note: bool
    urgent: bool
    awaiting: str | None
    schedule_from: datetime
    next_due: datetime | None
    last_slot: datetime | None
    unreachable_at: datetime | None
    menu_version: str | None
    granted_by: int | None
    granted_at: datetime
    subdistricts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InviteRecord:
    code: str
    subdistricts: tuple[str, ...]
    created_by: int
    created_at: datetime
    expires_at: datetime
    used_by: int | None
    used_at: datetime | None


@dataclass(frozen=True, slots=True)
class DigestRecord:
    id: int
    member_id: int
    slot: datetime
    kind: str
    period_start: datetime
    period_end: datetime
    item_count: int
    counts: dict[str, int]
    created_at: datetime
    queued_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """One opinion in a member's digest, as the digest shows it."""

    opinion_id: int
    subdistrict: str | None
    category: str
    status: str
    text: str | None
    created_at: datetime
    visible_at: datetime
    moved_from: str | None
    photo_count: int
    has_location: bool
    supporters: int = 0  # residents who joined it (a merged duplicate's author, …)
    progress: str | None = None  # storage.statuses.Progress ("reopened" is marked)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: datetime
    actor_id: int | None
    action: str
    opinion_id: int | None
    subject: str | None
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str | None


@dataclass(frozen=True, slots=True)
class CardRecord:
    id: int
    admin_id: int
    opinion_id: int | None
    page: tuple[int, ...]
    payload: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StatsRow:
    """What the 三率 need of one visible opinion (storage.repositories.stats)."""

    opinion_id: int
    subdistrict: str | None
    visible_at: datetime
    first_response_at: datetime | None
    progress: str | None
    rating: int | None


@dataclass(frozen=True, slots=True)
class ActionLine:
    """One line of an opinion's follow-up history (opinion_actions), for exports."""

    at: datetime
    kind: str
    department: str | None
    text: str | None
    rating: int | None


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One opinion as an export lists it (texts not yet masked: the exports feature masks)."""

    opinion_id: int
    created_at: datetime
    visible_at: datetime
    subdistrict: str | None
    category: str
    status: str
    progress: str | None
    first_response_at: datetime | None
    rating: int | None
    reopen_count: int
    supporters: int
    consultation_id: int | None
    consultation_title: str | None
    pseudonym: str | None  # None: erased (or never known)
    text: str | None  # None: erased; "": a voice message
    erased: bool
    actions: tuple[ActionLine, ...] = ()


@dataclass(frozen=True, slots=True)
class ExportJobRecord:
    id: int
    requester_id: int
    lang: str
    params: dict[str, Any]
    status: str
    progress_outbox_id: int | None
    rows_done: int
    rows_total: int | None
    created_at: datetime
    claimed_by: str | None = None
    claimed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ActionCardRecord:
    """What a follow-up button stands for (table action_cards)."""

    id: int
    member_id: int  # who it was shown to (a member; a resident for a reopen prompt)
    opinion_ids: tuple[int, ...]
    payload: dict[str, Any]
    created_at: datetime
    done_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One line of an opinion's follow-up history (table opinion_actions)."""

    id: int
    opinion_id: int
    at: datetime
    kind: str
    actor_id: int | None
    subdistrict: str | None
    department: str | None
    text: str | None
    rating: int | None


@dataclass(frozen=True, slots=True)
class OpinionBrief:
    """What a member's picker needs of an opinion: who may see it, and a label."""

    id: int
    subdistrict: str | None
    status: str
    text: str | None


@dataclass(frozen=True, slots=True)
class ReminderDue:
    """A resolved opinion just marked as asked the second time, and whom to ask."""

    opinion_id: int
    resident_id: int
    text: str | None
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class SupportRecord:
    """An opinion a resident supports ("我也是"), without its author's words."""

    opinion_id: int
    since: datetime
    subdistrict: str | None
    category: str
    progress: str | None


@dataclass(frozen=True, slots=True)
class ConsultationRecord:
    """A 渝事好商量 consultation (a draft while an admin fills it in through /consult)."""

    id: int
    status: str
    title: str | None
    description: str | None
    subdistricts: tuple[str, ...]
    deadline: datetime | None
    step: str | None
    created_by: int
    created_at: datetime
    opened_at: datetime | None = None
    invited_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: int | None = None
    summary_queued_at: datetime | None = None
    outcome: str | None = None
    outcome_by: int | None = None
    outcome_at: datetime | None = None
    outcome_queued_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Contribution:
    """An opinion attached to a consultation, as its summary counts it."""

    opinion_id: int
    resident_id: int | None  # None: erased (still counted, anonymously)
    subdistrict: str | None
    category: str
    text: str | None


@dataclass(frozen=True, slots=True)
class Addressee:
    """Someone a bulk message goes to: their chat and language."""

    chat_id: int
    lang: str
