"""Repositories: one per aggregate, sharing the session they are given; none commits."""

from storage.repositories.audit import AuditRepository
from storage.repositories.consultations import ConsultationRepository
from storage.repositories.digests import DigestRepository
from storage.repositories.drafts import DraftRepository
from storage.repositories.exports import ExportRepository
from storage.repositories.followup import FollowupRepository
from storage.repositories.groups import GroupChatRepository
from storage.repositories.inbox import InboxRepository
from storage.repositories.invitations import (
    InvitationRepository,
    InviteBatch,
    ResidentInvitation,
)
from storage.repositories.moderation import ModerationRepository
from storage.repositories.opinions import OpinionRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.residents import ResidentRepository
from storage.repositories.scheduled import ScheduledRunRepository
from storage.repositories.staff import StaffRepository
from storage.repositories.stats import StatsRepository

__all__ = [
    "AuditRepository",
    "ConsultationRepository",
    "DigestRepository",
    "DraftRepository",
    "ExportRepository",
    "FollowupRepository",
    "GroupChatRepository",
    "InboxRepository",
    "InvitationRepository",
    "InviteBatch",
    "ModerationRepository",
    "OpinionRepository",
    "OutboxRepository",
    "ResidentInvitation",
    "ResidentRepository",
    "ScheduledRunRepository",
    "StaffRepository",
    "StatsRepository",
]
