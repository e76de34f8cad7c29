"""A resident's own data and standing: what is held (summary and export), erasure, whether
they blocked the bot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Literal, Self

from bot.domain import reference_number
from bot.domain.clock import Clock
from bot.features.consent.service import CONSENT_VERSION, DRAFT_DAYS
from bot.telegram.work import Work
from storage.records import (
    ActionRecord,
    DraftRecord,
    OpinionRecord,
    ResidentRecord,
    SupportRecord,
)
from storage.repositories import (
    ConsultationRepository,
    DraftRepository,
    FollowupRepository,
    InboxRepository,
    InvitationRepository,
    OpinionRepository,
    OutboxRepository,
    ResidentInvitation,
    ResidentRepository,
)

#: Follow-up cards (what a member's or a resident's button stands for) are kept this long;
#: a used one a day (so a second press still hears "done already"). They name a Telegram id.
CARD_DAYS = 7
CARD_USED_DAYS = 1

#: What a press on an erase prompt comes to (see `erase_decision`).
EraseDecision = Literal["erase", "keep", "gone", "stale"]


def erase_decision(
    answer: Literal["yes", "no"], shown_for: int | None, resident: ResidentRecord | None
) -> EraseDecision:
    """What a press on an erase prompt does, decided by the state at press time.

    `shown_for` is the account the prompt was shown to (None on a keep button of an older
    version, which named none). Nobody held any more: "gone", whichever prompt is pressed,
    so a 取消 after an erasure never claims that nothing was erased. A prompt shown to an
    earlier account (erased, then 同意 again): "stale", so it cannot touch the new one.
    """
    if resident is None:
        return "gone"
    if shown_for is not None and shown_for != resident.id:
        return "stale"
    return "erase" if answer == "yes" else "keep"


@dataclass(frozen=True)
class Holdings:
    """Everything held about one resident, newest opinion first."""

    resident: ResidentRecord
    opinions: list[OpinionRecord]
    draft: DraftRecord | None
    #: Each opinion's follow-up, oldest first (members' words, the resident's reasons).
    history: Mapping[int, Sequence[ActionRecord]] = field(default_factory=dict)
    #: Opinions of others the resident supports ("我也是").
    supported: Sequence[SupportRecord] = ()
    #: Titles of the consultations their opinions (and draft) answer, by id.
    consultations: Mapping[int, str | None] = field(default_factory=dict)
    #: Consultations they were invited to (or told the outcome of).
    invitations: Sequence[ResidentInvitation] = ()

    def oldest_expiry(self, retention_days: int) -> datetime | None:
        """When the content of the oldest opinion is wiped (None without opinions)."""
        if not self.opinions:
            return None
        return min(op.created_at for op in self.opinions) + timedelta(days=retention_days)


def _follow_up_line(action: ActionRecord, at: str | None) -> dict[str, Any]:
    """One step of an opinion's follow-up as its author may read it: what, when, for which
    sub-district and department, the members' words or the resident's own reason and
    rating. Members are "member", never their Telegram id."""
    return {
        "kind": action.kind,
        "at": at,
        "by": "you" if action.actor_id is None else "member",
        "subdistrict_code": action.subdistrict,
        "department": action.department,
        "text": action.text,
        "rating": action.rating,
    }


@dataclass(frozen=True)
class Expired:
    opinions: int
    drafts: int
    cards: int = 0


@dataclass
class AccountService:
    residents: ResidentRepository
    opinions: OpinionRepository
    drafts: DraftRepository
    inbox: InboxRepository
    outbox: OutboxRepository
    followup: FollowupRepository
    consultations: ConsultationRepository
    invitations: InvitationRepository
    _: KW_ONLY
    clock: Clock
    reference_prefix: str
    notice_version: str
    retention_days: int

    @classmethod
    def from_work(cls, work: Work) -> Self:
        return cls(
            work.repo(ResidentRepository),
            work.repo(OpinionRepository),
            work.repo(DraftRepository),
            work.repo(InboxRepository),
            work.repo(OutboxRepository),
            work.repo(FollowupRepository),
            work.repo(ConsultationRepository),
            work.repo(InvitationRepository),
            clock=work.clock,
            reference_prefix=work.district.reference_prefix,
            notice_version=CONSENT_VERSION,
            retention_days=work.settings.retention_days,
        )

    async def set_blocked(self, telegram_id: int, blocked: bool) -> None:
        await self.residents.set_blocked(telegram_id, self.clock.now() if blocked else None)

    async def purge_expired(self, now: datetime) -> Expired:
        """What the privacy notice promises: opinions older than the retention keep only
        their anonymous facts; drafts nobody touched for DRAFT_DAYS go; so do follow-up
        cards used or older than CARD_DAYS."""
        opinions = await self.opinions.erase_older_than(
            now - timedelta(days=self.retention_days), now
        )
        drafts = await self.drafts.delete_older_than(now - timedelta(days=DRAFT_DAYS))
        cards = await self.followup.delete_old_cards(
            done_before=now - timedelta(days=CARD_USED_DAYS),
            made_before=now - timedelta(days=CARD_DAYS),
        )
        return Expired(opinions, drafts, cards)

    async def erase(self, resident: ResidentRecord) -> int:
        """Erase identity and texts; keep only anonymous facts. Returns opinions touched."""
        count = await self.opinions.erase_for_resident(resident.id, self.clock.now())
        await self.inbox.forget_chat(resident.telegram_id)
        await self.outbox.forget_chat(resident.telegram_id)
        # A reopen prompt is a card naming the resident's Telegram id.
        await self.followup.forget_cards_of(resident.telegram_id)
        await self.residents.delete(resident.id)  # the draft goes with it (cascade)
        return count

    async def holdings(self, resident: ResidentRecord) -> Holdings:
        opinions = await self.opinions.for_resident(resident.id)
        draft = await self.drafts.open_for(resident.id)
        answered = [op.consultation_id for op in opinions if op.consultation_id is not None]
        if draft is not None and draft.consultation_id is not None:
            answered.append(draft.consultation_id)
        return Holdings(
            resident,
            opinions,
            draft,
            await self.followup.history([op.id for op in opinions]),
            await self.opinions.supported_by(resident.id),
            consultations=await self.consultations.titles(answered),
            invitations=await self.invitations.of_resident(resident.id),
        )

    def export(self, held: Holdings, tz: tzinfo) -> dict[str, Any]:
        """Everything held about one resident, in plain JSON types; times in `tz` (the
        times people are shown), with their offset."""

        def when(moment: datetime | None) -> str | None:
            return moment.astimezone(tz).isoformat() if moment is not None else None

        resident, draft = held.resident, held.draft
        return {
            "generated_at": when(self.clock.now()),
            "timezone": str(tz),
            "notice_version": self.notice_version,
            "retention_days": self.retention_days,
            "draft_days": DRAFT_DAYS,
            "resident": {
                "telegram_user_id": resident.telegram_id,
                "pseudonym_shown_to_members": resident.pseudonym,
                "language": resident.lang,
                "consented_at": when(resident.consented_at),
                "consent_version": resident.consent_version,
                "blocked_bot_at": when(resident.blocked_at),
                "consultation_invitations": resident.consult_opt_in,
                "consultation_invitations_asked_at": when(resident.consult_asked_at),
                "home_subdistrict": resident.home_subdistrict,
            },
            "draft": None
            if draft is None
            else {
                "stage": draft.stage,
                "text": draft.text,
                "photo_file_ids": list(draft.photo_file_ids),
                "voice_file_ids": list(draft.voice_file_ids),
                "location": [draft.latitude, draft.longitude] if draft.has_location else None,
                "created_at": when(draft.created_at),
                "consultation_id": draft.consultation_id,
                "consultation_title": held.consultations.get(draft.consultation_id)
                if draft.consultation_id is not None
                else None,
            },
            "opinions": [
                {
                    "reference": reference_number(self.reference_prefix, op.id),
                    "text": op.text,
                    "subdistrict_code": op.subdistrict,
                    "category": op.category,
                    "status": op.status,
                    "photo_file_ids": list(op.photo_file_ids),
                    "voice_file_ids": list(op.voice_file_ids),
                    "location": [op.latitude, op.longitude] if op.latitude is not None else None,
                    "created_at": when(op.created_at),
                    "content_wiped_after": when(
                        op.created_at + timedelta(days=self.retention_days)
                    ),
                    "revisions": [
                        {"text": r.text, "created_at": when(r.created_at)} for r in op.revisions
                    ],
                    "progress": op.progress,
                    "first_response_at": when(op.first_response_at),
                    "resolved_at": when(op.resolved_at),
                    "rating": op.rating,
                    "rated_at": when(op.rated_at),
                    "reopen_count": op.reopen_count,
                    "consultation_id": op.consultation_id,
                    "consultation_title": held.consultations.get(op.consultation_id)
                    if op.consultation_id is not None
                    else None,
                    "follow_up": [
                        _follow_up_line(a, when(a.at)) for a in held.history.get(op.id, ())
                    ],
                }
                for op in held.opinions
            ],
            "supported_opinions": [
                {
                    "reference": reference_number(self.reference_prefix, sup.opinion_id),
                    "since": when(sup.since),
                    "subdistrict_code": sup.subdistrict,
                    "category": sup.category,
                    "progress": sup.progress,
                }
                for sup in held.supported
            ],
            "consultation_invitations": [
                {
                    "consultation_id": inv.consultation_id,
                    "title": inv.title,
                    "since": when(inv.since),
                    "outcome_told_at": when(inv.outcome_told_at),
                }
                for inv in held.invitations
            ],
        }
