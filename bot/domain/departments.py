"""Common departments of Yuzhong a member forwards an item to, as buttons (a member may type
another). Stored by the Chinese name; an English reader sees the English one."""

from __future__ import annotations

DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("区住房城乡建委", "District Housing and Construction Commission"),
    ("区城市管理局", "District City Management Bureau"),
    ("区交通局", "District Transport Bureau"),
    ("区交巡警支队", "District Traffic Police"),
    ("区消防救援支队", "District Fire and Rescue"),
    ("区市场监管局", "District Market Regulation"),
    ("区生态环境局", "District Ecology and Environment"),
    ("区民政局", "District Civil Affairs Bureau"),
    ("区卫生健康委", "District Health Commission"),
    ("街道办事处", "Sub-district office"),
)


def department_name(stored: str, lang: str) -> str:
    """A listed department in the reader's language; a typed one as it was typed."""
    for zh, en in DEPARTMENTS:
        if stored == zh:
            return en if lang == "en" else zh
    return stored
