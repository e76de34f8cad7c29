"""Everything the bot says, in Chinese (default) and English.

Messages are Telegram HTML. `t()` escapes every value it fills in, so user text can never
break a message; pass `Html(...)` for a fragment that is already safe HTML.
"""

from __future__ import annotations

import html
from typing import Literal

Lang = Literal["zh", "en"]


class Html(str):
    """A fragment that is already valid Telegram HTML: `t()` inserts it as it is."""


def lang_of(code: str | None) -> Lang:
    """Language for someone we know nothing about yet, from Telegram's language_code."""
    return "en" if code and code.lower().startswith("en") else "zh"


def as_lang(value: str) -> Lang:
    return "en" if value == "en" else "zh"


CONSENT_VERSION = "2026-11"

_T: dict[str, tuple[str, str]] = {
    "welcome": (
        "您好！这里是<b>渝事好商量</b>，渝中区的基层协商平台。\n"
        "您可以随时告诉我身边需要解决的事：停车、消防通道、老旧小区、环境卫生……"
        "每条意见都会按街道整理，送到政协委员手中，并给您答复。",
        "Hello! This is <b>渝事好商量</b>, Yuzhong district's grassroots consultation "
        "platform.\nTell me any time what needs fixing around you: parking, fire lanes, "
        "old housing, sanitation… Every opinion is sorted by sub-district, reaches the "
        "committee members, and you hear back.",
    ),
    "privacy_notice": (
        "<b>隐私说明</b>\n"
        "• 收集者：渝中区政协“渝事好商量”平台\n"
        "• 目的：整理居民意见，转交委员跟进并答复您\n"
        "• 保存内容：您的意见文字、照片、您选择发送的位置、所选街道和类别、"
        "语言偏好，以及用于回复您的 Telegram 账号编号。委员只看到化名，看不到您的名字或账号\n"
        "• 保存期限：{days} 天，之后自动删除\n"
        "• 您的权利：/mydata 导出全部数据，/delete_me 删除，/privacy 随时查看本说明\n"
        "• 联系：{contact}\n\n"
        "点“同意”之前，我们不会保存您发来的任何内容。",
        "<b>Privacy notice</b>\n"
        "• Who collects: the Yuzhong CPPCC “渝事好商量” platform\n"
        "• Purpose: to sort residents' opinions, pass them to committee members and answer you\n"
        "• What is stored: your opinion text, photos, any location you choose to send, the "
        "sub-district and topic, your language, and your Telegram account number so we can "
        "reply. Members see a pseudonym, never your name or account\n"
        "• How long: {days} days, then deleted automatically\n"
        "• Your rights: /mydata exports everything, /delete_me erases it, /privacy shows this "
        "notice\n"
        "• Contact: {contact}\n\n"
        "Nothing you send is stored before you press “Agree”.",
    ),
    "btn_agree": ("✅ 同意", "✅ Agree"),
    "btn_other_lang": ("English", "中文"),
    "consent_needed": (
        "请先阅读下面的隐私说明并点“同意”，然后再发送您的意见。刚才的消息没有被保存。",
        "Please read the privacy notice below and press “Agree” first, then send your "
        "opinion. The message you just sent was not stored.",
    ),
    "consent_thanks": (
        "谢谢！现在请直接写下您想反映的事情，可以附一张照片（带文字说明），也可以发送位置 📍。",
        "Thank you! Now just write what you would like to raise. You can add a photo with a "
        "caption, or send a location pin 📍.",
    ),
    "consent_already": ("您已经同意过隐私说明。", "You have already agreed to the notice."),
    "welcome_back": (
        "欢迎回来！直接写下您的意见即可。/my 查看您提交过的意见，/help 查看帮助。",
        "Welcome back! Just write your opinion. /my lists your opinions, /help shows help.",
    ),
    "help": (
        "<b>怎么用</b>\n"
        "1. 直接发文字说明问题（也可以发带文字的照片，或位置 📍）\n"
        "2. 确认问题所在的街道和类别\n"
        "3. 收到编号（如 YZ-000123），处理进展会在这里通知您\n\n"
        "/my 我的意见　/privacy 隐私说明　/mydata 导出我的数据\n"
        "/delete_me 删除我的数据　/lang 切换语言　/cancel 取消当前草稿",
        "<b>How it works</b>\n"
        "1. Write what the problem is (or send a photo with a caption, or a location 📍)\n"
        "2. Confirm the sub-district and the topic\n"
        "3. You get a reference number (e.g. YZ-000123); news on it arrives here\n\n"
        "/my my opinions · /privacy privacy notice · /mydata export my data\n"
        "/delete_me erase my data · /lang language · /cancel drop the current draft",
    ),
    "ask_subdistrict_guess": (
        "收到。看起来这件事在<b>{name}</b>（依据：{evidence}）。请确认街道，或选择正确的街道：",
        "Got it. This looks like <b>{name}</b> (because of: {evidence}). Please confirm, "
        "or pick the right sub-district:",
    ),
    "ask_subdistrict_location": (
        "收到位置 📍，离<b>{name}</b>最近（约 {km} 公里）。请确认街道：",
        "Location received 📍: nearest to <b>{name}</b> (about {km} km). Please confirm the "
        "sub-district:",
    ),
    "ask_subdistrict_former": (
        "“{former}”街道已于 2015 年撤销，现在分属{options}。请选择问题所在的街道：",
        "The former “{former}” sub-district was split in 2015 into {options}. Please pick "
        "the sub-district:",
    ),
    "ask_subdistrict_outside": (
        "“{place}”好像在{district}，不在渝中区。本平台只收集渝中区的意见；"
        "如果问题确实在渝中区，请选择街道，否则选“不确定”：",
        "“{place}” seems to be in {district}, outside Yuzhong. This platform takes opinions "
        "about Yuzhong; if the problem is in Yuzhong, pick the sub-district, otherwise "
        "“Not sure”:",
    ),
    "ask_subdistrict_none": (
        "收到。这件事发生在哪个街道？请选择（不清楚就选“不确定”）：",
        "Got it. Which sub-district is this in? Please pick one (or “Not sure”):",
    ),
    "location_outside": (
        "这个位置似乎不在渝中区（距最近的街道约 {km} 公里）。本平台收集渝中区的意见；"
        "如果问题在渝中区，请选择街道：",
        "This location seems to be outside Yuzhong (about {km} km from the nearest "
        "sub-district). This platform takes opinions about Yuzhong; if the problem is in "
        "Yuzhong, pick the sub-district:",
    ),
    "btn_unsure": ("🤷 不确定", "🤷 Not sure"),
    "suggested_mark": ("👉 {name}", "👉 {name}"),
    "ask_category_guess": (
        "好的，街道：<b>{subdistrict}</b>。这件事属于<b>{category}</b>吗？请确认或选择类别：",
        "OK, sub-district: <b>{subdistrict}</b>. Is this about <b>{category}</b>? Please "
        "confirm or pick the topic:",
    ),
    "ask_category": (
        "好的，街道：<b>{subdistrict}</b>。这件事属于哪一类？",
        "OK, sub-district: <b>{subdistrict}</b>. Which topic is it?",
    ),
    "chosen_subdistrict": ("街道：{subdistrict}", "Sub-district: {subdistrict}"),
    "unsure": ("不确定", "not sure"),
    "need_text_photo": (
        "收到照片。请再用文字简单说明一下问题（发生了什么、在哪里）。",
        "Photo received. Please describe the problem in words too (what and where).",
    ),
    "need_text_location": (
        "收到位置 📍。请再用文字说明一下问题。",
        "Location received 📍. Please describe the problem in words too.",
    ),
    "location_added": (
        "已把位置 📍 加到这条意见里。",
        "The location 📍 was added to this opinion.",
    ),
    "photo_added": ("已把照片加到这条意见里。", "The photo was added to this opinion."),
    "appended": (
        "已补充到当前这条意见里（还没有提交）。如果这是另一件事，请先用下面的按钮提交这一条，"
        "再单独发送。",
        "Added to the opinion you are writing (not submitted yet). If this is a different "
        "matter, finish this one with the buttons below first, then send it on its own.",
    ),
    "receipt": (
        "✅ 已收到您的意见，编号 <b>{ref}</b>\n"
        "街道：{subdistrict}\n类别：{category}\n\n"
        "接下来：意见会进入{subdistrict_short}的委员汇总，委员跟进或答复时会在这里通知您。"
        "随时用 /my 查看进展。",
        "✅ Your opinion is in. Reference <b>{ref}</b>\n"
        "Sub-district: {subdistrict}\nTopic: {category}\n\n"
        "What happens next: it goes into the committee members' digest for "
        "{subdistrict_short}; when a member follows up or answers, you hear it here. "
        "/my shows the progress any time.",
    ),
    "receipt_unsure_area": ("待确认街道的意见", "opinions awaiting a sub-district"),
    "text_empty": (
        "这条消息是空的。请用文字写下您想反映的事情。",
        "That message is empty. Please write what you would like to raise.",
    ),
    "text_no_words": (
        "只收到了表情或符号 🙂 请用几句话说明问题，例如：“凯旋路晚上乱停车，消防通道被堵”。",
        "I only got emoji or symbols 🙂 Please describe the problem in a few words, e.g. "
        "“cars block the fire lane on 凯旋路 at night”.",
    ),
    "text_too_long": (
        "这条意见有 {length} 个字，超过了 {limit} 字的上限。请分成几条较短的意见发送，"
        "或精简后再发。",
        "This opinion is {length} characters long; the limit is {limit}. Please send it as "
        "several shorter opinions, or shorten it.",
    ),
    "text_too_short": (
        "内容有点短，请多写几个字说明问题。",
        "That is a bit short; please say a few more words about the problem.",
    ),
    "append_too_long": (
        "补充后这条意见会超过 {limit} 字，所以这段没有加进去。请先完成当前这条（选择街道和类别），"
        "再把剩下的作为新意见发送。",
        "With this part the opinion would exceed {limit} characters, so it was not added. "
        "Please finish the current one (sub-district and topic) and send the rest as a new "
        "opinion.",
    ),
    "rate_limited": (
        "您在一小时内已提交了 {count} 条意见，先歇一歇 🙏 请在 {when} 之后再发送新的意见。"
        "刚才这条没有保存，请到时重新发送。",
        "You have sent {count} opinions within an hour; please take a short break 🙏 You "
        "can send new ones after {when}. The message you just sent was not stored; please "
        "send it again then.",
    ),
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
    "group_notice": (
        "您好！为了保护大家的隐私，意见请在和我的<b>私聊</b>中提交，群里的消息不会作为意见保存。",
        "Hello! To protect everyone's privacy, please send opinions in a <b>private chat</b> "
        "with me; messages in groups are not stored as opinions.",
    ),
    "btn_private_chat": ("💬 私聊提交意见", "💬 Send privately"),
    "edited_draft": (
        "已按您修改后的内容更新草稿。",
        "The draft now has your edited text.",
    ),
    "edited_opinion": (
        "已记录您对 <b>{ref}</b> 的修改，委员会看到修改后的内容。",
        "Your edit to <b>{ref}</b> is recorded; members will see the edited text.",
    ),
    "edited_unknown": (
        "修改旧消息不会生成新的意见。如需反映新情况，请直接发送一条新消息。",
        "Editing an old message does not create a new opinion. To raise something new, "
        "just send a new message.",
    ),
    "stale_button": (
        "这个按钮已经失效了，请按最新消息里的按钮操作。",
        "That button has expired; please use the buttons on the latest message.",
    ),
    "not_consented_button": (
        "请先发送 /start 并同意隐私说明。",
        "Please send /start and agree to the privacy notice first.",
    ),
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
    "status_received": ("已收到", "received"),
    "my_line": (
        "<b>{ref}</b> · {where} · {category}\n状态：{status} · {when}\n“{excerpt}”",
        "<b>{ref}</b> · {where} · {category}\nStatus: {status} · {when}\n“{excerpt}”",
    ),
    "cancelled": ("已取消当前草稿，什么都没有提交。", "The draft was dropped; nothing was sent."),
    "nothing_to_cancel": ("当前没有进行中的草稿。", "There is no draft in progress."),
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
    "lang_pick": ("请选择语言 / Choose a language:", "Choose a language / 请选择语言:"),
    "lang_set": ("已切换为中文。", "Language set to English."),
    "unknown_command": (
        "没有这个命令。直接写下您的意见即可，或发送 /help 查看帮助。",
        "I do not know that command. Just write your opinion, or send /help.",
    ),
    "admin_set_aside": (
        "⚠️ 更新 {update_id} 处理失败三次，已暂存（内容保留）。\n错误：<code>{error}</code>\n"
        "修复后运行 <code>yushi inbox --retry-failed</code> 重新处理。",
        "⚠️ Update {update_id} failed three times and was set aside (content kept).\n"
        "Error: <code>{error}</code>\nAfter a fix, run <code>yushi inbox --retry-failed</code>.",
    ),
    "internal_error": (
        "抱歉，处理您的消息时出了问题，我们已经记录下来。请稍后再试一次。",
        "Sorry, something went wrong with your message; it has been logged. Please try "
        "again in a little while.",
    ),
    "cmd_start": ("开始 / 隐私说明", "Start / privacy notice"),
    "cmd_my": ("我的意见", "My opinions"),
    "cmd_help": ("帮助", "Help"),
    "cmd_privacy": ("隐私说明", "Privacy notice"),
    "cmd_mydata": ("导出我的数据", "Export my data"),
    "cmd_delete_me": ("删除我的数据", "Erase my data"),
    "cmd_lang": ("切换语言 / Language", "Language / 切换语言"),
    "cmd_cancel": ("取消当前草稿", "Drop the current draft"),
}


def t(lang: str, key: str, **values: object) -> str:
    """The text `key` in `lang`, with every value HTML-escaped unless it is `Html`."""
    zh, en = _T[key]
    template = en if lang == "en" else zh
    if not values:
        return template
    safe = {
        k: v if isinstance(v, Html) else html.escape(str(v), quote=False) for k, v in values.items()
    }
    return template.format(**safe)


def keys() -> list[str]:
    return list(_T)


COMMANDS = ("start", "my", "help", "privacy", "mydata", "delete_me", "lang", "cancel")
