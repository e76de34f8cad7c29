"""How roles and schedules are written for admins and members."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import District
from bot.features.staff.texts import t
from bot.telegram.labels import subdistrict_name
from bot.telegram.texts import Lang
from storage.records import StaffRecord
from storage.statuses import ALL_SUBDISTRICTS, Frequency, Role


def followed(district: District, codes: Sequence[str], lang: Lang) -> str:
    if not codes:
        return t(lang, "none_followed")
    if ALL_SUBDISTRICTS in codes:
        return t(lang, "all_subdistricts")
    ordered = sorted(codes, key=lambda c: _position(district, c))
    return ("、" if lang == "zh" else ", ").join(
        subdistrict_name(district, c, lang) for c in ordered
    )


def _position(district: District, code: str) -> int:
    try:
        return district.index_of(code)
    except ValueError:
        return len(district.subdistricts)


def weekday_name(lang: Lang, day: int) -> str:
    return t(lang, "weekdays").split(",")[day % 7]


def schedule(member: StaffRecord, lang: Lang) -> str:
    if member.frequency == Frequency.OFF:
        return t(lang, "schedule_off")
    if member.frequency == Frequency.WEEKLY:
        return t(
            lang, "schedule_weekly", day=weekday_name(lang, member.weekday), time=member.digest_time
        )
    return t(lang, "schedule_daily", time=member.digest_time)


def role_name(role: str, lang: Lang) -> str:
    return t(lang, "role_admin" if role == Role.ADMIN else "role_member")


def local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def roles_list(
    members: Sequence[StaffRecord],
    district: District,
    lang: Lang,
    tz: ZoneInfo,
    config_admins: frozenset[int],
) -> str:
    if not members:
        return t(lang, "roles_none")
    lines = [t(lang, "roles_header", count=len(members))]
    ordered = sorted(members, key=lambda m: (m.role != Role.ADMIN, m.telegram_id))
    for m in ordered:
        reach = (
            t(lang, "reachable")
            if m.unreachable_at is None
            else t(lang, "unreachable", since=local(m.unreachable_at, tz))
        )
        role = role_name(m.role, lang)
        if m.telegram_id in config_admins:
            role += t(lang, "from_config")
        lines.append(
            t(
                lang,
                "roles_line",
                icon="🛡" if m.role == Role.ADMIN else "👤",
                user_id=m.telegram_id,
                role=role,
                subdistricts=followed(district, m.subdistricts, lang),
                schedule=schedule(m, lang),
                reach=reach,
            )
        )
    return "\n".join(lines)
