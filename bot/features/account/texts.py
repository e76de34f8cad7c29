"""What /my, /mydata and /delete_me say."""

from __future__ import annotations

from bot.telegram.texts import COMMON, Texts

_TEXTS: dict[str, tuple[str, str]] = {
    "my_empty": (
        "您还没有提交过意见。直接写下想反映的事情就可以。",
        "You have not sent any opinions yet. Just write what you would like to raise.",
    ),
    "my_header": ("<b>您的意见</b>（共 {total} 条）", "<b>Your opinions</b> ({total} in all)"),
    "my_more": (
        "……仅显示最近 {shown} 条。/mydata 可导出全部。",
        "…showing the latest {shown}. /mydata exports all.",
    ),
    "my_draft": (
        "📝 还有一条没提交的草稿：“{excerpt}”。请在上面的消息里选择街道/类别，或 /cancel 取消。",
        "📝 You also have an unsent draft: “{excerpt}”. Finish it with the buttons above, or "
        "/cancel it.",
    ),
    "my_line": (
        "<b>{ref}</b> · {where} · {category}\n状态：{status} · {when}\n“{excerpt}”",
        "<b>{ref}</b> · {where} · {category}\nStatus: {status} · {when}\n“{excerpt}”",
    ),
    "mydata_caption": (
        "这是我们保存的关于您的全部数据（JSON 文件）。",
        "Here is everything we hold about you (a JSON file).",
    ),
    "mydata_none": (
        "我们没有保存任何关于您的数据（您还没有同意隐私说明）。",
        "We hold no data about you (you have not agreed to the privacy notice).",
    ),
    "delete_confirm": (
        "确定要删除您的全部数据吗？您的意见文字、照片、位置和账号信息都会被删除，"
        "只保留不含个人信息的统计（街道、类别、日期）。此操作不能撤销。",
        "Erase all your data? Your opinion texts, photos, locations and account details "
        "will be deleted; only anonymous counts (sub-district, topic, date) remain. This "
        "cannot be undone.",
    ),
    "btn_delete_yes": ("🗑 确认删除", "🗑 Erase"),
    "btn_delete_no": ("取消", "Cancel"),
    "deleted": (
        "已删除您的数据（{count} 条意见的内容已抹去）。如需再次使用，发送 /start 即可。",
        "Your data is erased (the content of {count} opinions removed). Send /start to use "
        "the bot again.",
    ),
    "delete_cancelled": ("好的，什么都没有删除。", "OK, nothing was erased."),
    "nothing_to_delete": ("我们没有保存任何关于您的数据。", "We hold no data about you."),
    "cmd_my": ("我的意见", "My opinions"),
    "cmd_mydata": ("导出我的数据", "Export my data"),
    "cmd_delete_me": ("删除我的数据", "Erase my data"),
}

t = Texts("account", _TEXTS, parent=COMMON)
