"""What the bot says while an opinion is written: questions, receipts, refusals."""

from __future__ import annotations

from bot.telegram.texts import COMMON, Texts

_TEXTS: dict[str, tuple[str, str]] = {
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
    "cancelled": ("已取消当前草稿，什么都没有提交。", "The draft was dropped; nothing was sent."),
    "nothing_to_cancel": ("当前没有进行中的草稿。", "There is no draft in progress."),
    "cmd_cancel": ("取消当前草稿", "Drop the current draft"),
}

t = Texts("intake", _TEXTS, parent=COMMON)
