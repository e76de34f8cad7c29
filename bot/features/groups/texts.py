"""What the bot says in groups and channels (once, pointing to a private chat)."""

from __future__ import annotations

from bot.telegram.texts import COMMON, Texts

_TEXTS: dict[str, tuple[str, str]] = {
    "group_notice": (
        "您好！为了保护大家的隐私，意见请在和我的<b>私聊</b>中提交，群里的消息不会作为意见保存。",
        "Hello! To protect everyone's privacy, please send opinions in a <b>private chat</b> "
        "with me; messages in groups are not stored as opinions.",
    ),
    "btn_private_chat": ("💬 私聊提交意见", "💬 Send privately"),
}

t = Texts("groups", _TEXTS, parent=COMMON)
