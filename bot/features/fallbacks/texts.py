"""What the bot says to commands it does not have and media it does not take."""

from __future__ import annotations

from bot.telegram.texts import COMMON, Texts

_TEXTS: dict[str, tuple[str, str]] = {
    "unsupported": (
        "暂时还不能处理{kind}。请用文字描述，也可以发送带文字说明的照片或位置 📍。",
        "I cannot take {kind} yet. Please write it as text; a photo with a caption or a "
        "location 📍 also works.",
    ),
    "kind_sticker": ("贴纸", "stickers"),
    "kind_voice": ("语音消息", "voice messages"),
    "kind_video": ("视频", "videos"),
    "kind_audio": ("音频", "audio"),
    "kind_contact": ("联系人名片", "contacts"),
    "kind_document": ("文件", "files"),
    "kind_other": ("这种消息", "this kind of message"),
    "unknown_command": (
        "没有这个命令。直接写下您的意见即可，或发送 /help 查看帮助。",
        "I do not know that command. Just write your opinion, or send /help.",
    ),
}

t = Texts("fallbacks", _TEXTS, parent=COMMON)
