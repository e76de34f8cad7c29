"""Roles: who is an admin or a member, granted by admins or through a one-time invite.

Roles are keyed by Telegram user id only, read from the database on every use. The ids in
ADMIN_IDS are admins from the start and cannot be revoked by command (the configuration
would make them admins again at the next start).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Self

from bot.config import RESERVED_USER_IDS, Settings
from bot.deps import Menus
from bot.domain import District
from bot.domain.clock import Clock
from bot.features.staff.schedule import Schedule
from bot.telegram.audit import Audit
from bot.telegram.outbox import Outbox
from bot.telegram.work import Work
from storage.records import InviteRecord, StaffRecord
from storage.repositories import DigestRepository, StaffRepository
from storage.statuses import ALL_SUBDISTRICTS, Frequency, Priority, Role

#: Telegram user ids are positive and (today) below 2^52.
MAX_USER_ID = 2**52


class Outcome(StrEnum):
    GRANTED = "granted"  # a new admin or member
    CHANGED = "changed"  # the role or the sub-districts changed
    UNCHANGED = "unchanged"
    RESERVED = "reserved"  # a special Telegram id (anonymous admin, channel)
    INVALID = "invalid"  # not a user id
    CONFIG_ADMIN = "config_admin"  # in ADMIN_IDS: change the configuration instead
    SELF = "self"  # an admin cannot revoke themselves (nobody could undo it)
    NOT_STAFF = "not_staff"
    REVOKED = "revoked"


class Redeemed(StrEnum):
    MEMBER = "member"
    ALREADY_ADMIN = "already_admin"
    USED = "used"  # spent by someone (or by this person before)
    EXPIRED = "expired"
    UNKNOWN = "unknown"
    RESERVED = "reserved"


@dataclass(frozen=True)
class Granted:
    outcome: Outcome
    member: StaffRecord | None = None


def valid_user_id(user_id: int) -> bool:
    return 0 < user_id < MAX_USER_ID and user_id not in RESERVED_USER_IDS


@dataclass
class StaffService:
    staff: StaffRepository
    digests: DigestRepository
    out: Outbox
    audit: Audit
    _: KW_ONLY
    clock: Clock
    settings: Settings
    district: District
    menus: Menus

    @classmethod
    def from_work(cls, work: Work) -> Self:
        return cls(
            work.repo(StaffRepository),
            work.repo(DigestRepository),
            work.out,
            work.service(Audit),
            clock=work.clock,
            settings=work.settings,
            district=work.district,
            menus=work.deps.menus,
        )

    async def role_of(self, user_id: int | None) -> StaffRecord | None:
        """The person's role now, from the database (never cached)."""
        if user_id is None or not valid_user_id(user_id):
            return None
        return await self.staff.get(user_id)

    async def seed_admins(self, admin_ids: Iterable[int]) -> int:
        """ADMIN_IDS become admins (once; later changes to them stay)."""
        added = 0
        for user_id in sorted(admin_ids):
            current = await self.staff.get(user_id)
            if current is None:
                await self._add(user_id, Role.ADMIN, None)
                added += 1
            elif current.role != Role.ADMIN:
                await self.staff.set_role(user_id, Role.ADMIN, None, self.clock.now())
        return added

    async def grant(
        self,
        by: int,
        user_id: int,
        role: Role,
        codes: Sequence[str] = (),
        *,
        reachable: bool = True,
    ) -> Granted:
        """Make `user_id` an admin or a member (following `codes`, added to what they
        follow). Telegram refuses to write to someone who never opened the bot: that is
        recorded (unreachable) and shown in /roles until they do."""
        if not valid_user_id(user_id):
            return Granted(Outcome.RESERVED if user_id in RESERVED_USER_IDS else Outcome.INVALID)
        now = self.clock.now()
        current = await self.staff.get(user_id)
        if current is not None and role == Role.MEMBER and user_id in self.settings.admin_ids:
            return Granted(Outcome.CONFIG_ADMIN, current)
        if current is not None and user_id == by and current.role == Role.ADMIN:
            role = Role.ADMIN  # an admin following sub-districts stays an admin
        if current is None:
            await self._add(user_id, role, by)
            outcome = Outcome.GRANTED
        elif current.role != role:
            await self.staff.set_role(user_id, role, by, now)
            outcome = Outcome.CHANGED
        else:
            outcome = Outcome.UNCHANGED
        if codes and not set(codes) <= set(current.subdistricts if current else ()):
            await self.staff.follow(user_id, codes, now)
            if outcome is Outcome.UNCHANGED:
                outcome = Outcome.CHANGED
        await self.staff.set_unreachable(user_id, None if reachable else now)
        member = await self.staff.get(user_id)
        assert member is not None
        if outcome is not Outcome.UNCHANGED:
            await self.audit.record(
                by,
                "grant",
                subject=str(user_id),
                before={"role": current.role, "follows": list(current.subdistricts)}
                if current
                else {},
                after={"role": member.role, "follows": list(member.subdistricts)},
            )
        if reachable and outcome is not Outcome.UNCHANGED:
            await self.send_menu(member)
        return Granted(outcome, member)

    async def revoke(self, by: int, user_id: int) -> Granted:
        current = await self.staff.get(user_id) if valid_user_id(user_id) else None
        if current is None:
            return Granted(Outcome.NOT_STAFF)
        if user_id in self.settings.admin_ids:
            return Granted(Outcome.CONFIG_ADMIN, current)
        if user_id == by:
            return Granted(Outcome.SELF, current)
        await self.staff.remove(user_id)
        await self.audit.record(
            by,
            "revoke",
            subject=str(user_id),
            before={"role": current.role, "follows": list(current.subdistricts)},
        )
        if current.unreachable_at is None:
            for lang in ("zh", "en"):
                await self.out.commands(user_id, [], None if lang == "zh" else lang)
        return Granted(Outcome.REVOKED, current)

    async def all(self) -> list[StaffRecord]:
        return await self.staff.all()

    async def invite(self, by: int, codes: Sequence[str]) -> InviteRecord:
        """A one-time code for t.me/<bot>?start=inv_<code>, valid INVITE_HOURS."""
        now = self.clock.now()
        code = secrets.token_urlsafe(12)  # 16 characters of [A-Za-z0-9_-]: fits a start link
        expires = now + timedelta(hours=self.settings.invite_hours)
        return await self.staff.add_invite(code, codes, by, now, expires)

    async def redeem(
        self, user_id: int, code: str, lang: str
    ) -> tuple[Redeemed, InviteRecord | None]:
        """Whoever opens a valid invite first becomes a member of its sub-districts."""
        if not valid_user_id(user_id):
            return Redeemed.RESERVED, None
        invite = await self.staff.invite(code)
        if invite is None:
            return Redeemed.UNKNOWN, None
        now = self.clock.now()
        if not await self.staff.use_invite(code, user_id, now):
            return (Redeemed.USED if invite.used_by is not None else Redeemed.EXPIRED), invite
        current = await self.staff.get(user_id)
        if current is not None and current.role == Role.ADMIN:
            await self.staff.follow(user_id, invite.subdistricts, now)
            return Redeemed.ALREADY_ADMIN, invite
        if current is None:
            await self._add(user_id, Role.MEMBER, invite.created_by, lang=lang)
        await self.staff.follow(user_id, invite.subdistricts, now)
        await self.audit.record(
            invite.created_by,
            "invite_used",
            subject=str(user_id),
            after={"role": Role.MEMBER, "follows": list(invite.subdistricts)},
        )
        await self.staff.set_unreachable(user_id, None)
        member = await self.staff.get(user_id)
        assert member is not None
        await self.send_menu(member)
        return Redeemed.MEMBER, invite

    async def set_reachable(self, user_id: int, reachable: bool) -> None:
        """Blocked the bot (403) or came back. Coming back also sets their menu again."""
        current = await self.staff.get(user_id)
        if current is None or (current.unreachable_at is None) == reachable:
            return
        await self.staff.set_unreachable(user_id, None if reachable else self.clock.now())
        if reachable:
            await self.staff.update(user_id, menu_version=None)
            await self.send_menu(current)

    async def refresh_menus(self) -> int:
        """Queue the menu of every reachable admin and member whose menu changed since it
        was last set (a new command, a new role, another language). Run at start."""
        queued = 0
        for member in await self.staff.all():
            # Never set (an ADMIN_IDS admin who may not have opened the bot yet): set when
            # they first write (`came_back`). Set before: set again when it changed.
            stale = member.menu_version not in (None, self._menu_version(member))
            if member.unreachable_at is None and stale:
                await self.send_menu(member, priority=Priority.BULK)
                queued += 1
        return queued

    async def send_menu(self, member: StaffRecord, *, priority: Priority = Priority.REPLY) -> None:
        """The role's command menu in this private chat, in both languages."""
        menus = self.menus.get(member.role)
        if not menus:
            return
        for lang in ("zh", "en"):
            commands = list(menus.get(lang, ()))
            await self.out.commands(
                member.telegram_id, commands, None if lang == "zh" else lang, priority=priority
            )
        await self.staff.update(member.telegram_id, menu_version=self._menu_version(member))

    def _menu_version(self, member: StaffRecord) -> str:
        menus = self.menus.get(member.role, {})
        raw = json.dumps([member.role, {k: list(v) for k, v in menus.items()}], ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    async def _add(self, user_id: int, role: Role, by: int | None, *, lang: str = "zh") -> None:
        """A new admin (digests off until they choose sub-districts) or member (daily digests
        at DIGEST_TIME, from now on)."""
        now = self.clock.now()
        await self.staff.add(
            user_id, role, digest_time=self.settings.digest_time, granted_by=by, now=now, lang=lang
        )
        if role == Role.ADMIN:
            await self.staff.update(user_id, frequency=Frequency.OFF)
            return
        member = await self.staff.get(user_id)
        assert member is not None
        next_due = Schedule.of(member, self.settings.tz).next_after(now)
        await self.staff.update(user_id, next_due=next_due)


def parse_subdistricts(district: District, words: Sequence[str]) -> tuple[list[str], list[str]]:
    """Sub-district codes named by `words` (names, short names, pinyin, codes; "全部"/"all"
    for every one), and the words that name none."""
    codes: list[str] = []
    unknown: list[str] = []
    for word in words:
        for part in word.replace("，", ",").replace("、", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if part.casefold() in ("全部", "all", "*"):
                codes.append(ALL_SUBDISTRICTS)
                continue
            sub = district.find(part) or district.find(part.removesuffix("街道"))
            if sub is None:
                unknown.append(part)
            elif sub.code not in codes:
                codes.append(sub.code)
    return codes, unknown


@dataclass
class MemberSettings:
    """A member's own digest settings; every change takes effect from now, and is in the
    audit log."""

    staff: StaffRepository
    digests: DigestRepository
    audit: Audit
    _: KW_ONLY
    clock: Clock
    settings: Settings
    district: District

    @classmethod
    def from_work(cls, work: Work) -> Self:
        return cls(
            work.repo(StaffRepository),
            work.repo(DigestRepository),
            work.service(Audit),
            clock=work.clock,
            settings=work.settings,
            district=work.district,
        )

    async def _audited(self, before: StaffRecord, after: StaffRecord) -> StaffRecord:
        fields = ("frequency", "weekday", "digest_time", "empty_note", "urgent", "lang")
        changed = [f for f in fields if getattr(before, f) != getattr(after, f)]
        if before.subdistricts != after.subdistricts:
            changed.append("subdistricts")
        if changed:
            await self.audit.record(
                before.telegram_id,
                "settings",
                subject=str(before.telegram_id),
                before={f: _plain(getattr(before, f)) for f in changed},
                after={f: _plain(getattr(after, f)) for f in changed},
            )
        return after

    async def _reschedule(self, user_id: int, **values: object) -> StaffRecord:
        """Apply `values`; the schedule counts from now (a new time already past today
        waits for tomorrow, no digest is sent at once for it)."""
        now = self.clock.now()
        await self.staff.update(user_id, **values)
        member = await self.staff.get(user_id)
        assert member is not None
        next_due = Schedule.of(member, self.settings.tz).next_after(now)
        await self.staff.update(user_id, schedule_from=now, next_due=next_due)
        changed = await self.staff.get(user_id)
        assert changed is not None
        return changed

    async def _changed(self, before: StaffRecord) -> StaffRecord:
        after = await self.staff.get(before.telegram_id)
        assert after is not None
        return await self._audited(before, after)

    async def set_frequency(self, member: StaffRecord, frequency: Frequency) -> StaffRecord:
        await self._reschedule(member.telegram_id, frequency=frequency)
        return await self._changed(member)

    async def set_weekday(self, member: StaffRecord, weekday: int) -> StaffRecord:
        await self._reschedule(member.telegram_id, frequency=Frequency.WEEKLY, weekday=weekday % 7)
        return await self._changed(member)

    async def set_time(self, member: StaffRecord, hhmm: str) -> StaffRecord:
        await self._reschedule(member.telegram_id, digest_time=hhmm, awaiting=None)
        return await self._changed(member)

    async def toggle_subdistrict(self, member: StaffRecord, code: str) -> StaffRecord:
        """Follow or stop following. A newly followed sub-district reaches the member from
        this moment; queued items of one no longer followed are dropped, unsent."""
        if code in member.subdistricts:
            await self.staff.unfollow(member.telegram_id, [code])
            await self.digests.drop_unfollowed(member.telegram_id)
        else:
            await self.staff.follow(member.telegram_id, [code], self.clock.now())
        return await self._changed(member)

    async def toggle(self, member: StaffRecord, name: str) -> StaffRecord:
        if name not in ("empty_note", "urgent"):
            raise ValueError(name)
        await self.staff.update(member.telegram_id, **{name: not getattr(member, name)})
        return await self._changed(member)

    async def set_lang(self, member: StaffRecord, lang: str) -> StaffRecord:
        await self.staff.update(member.telegram_id, lang=lang, menu_version=None)
        return await self._changed(member)

    async def wait_for(self, member: StaffRecord, what: str | None) -> None:
        await self.staff.update(member.telegram_id, awaiting=what)


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value
