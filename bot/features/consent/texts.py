"""What the welcome, the privacy notice, consent, help and language say."""

from __future__ import annotations

from bot.telegram.texts import COMMON, Texts

_TEXTS: dict[str, tuple[str, str]] = {
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
    "lang_pick": ("请选择语言 / Choose a language:", "Choose a language / 请选择语言:"),
    "lang_set": ("已切换为中文。", "Language set to English."),
    "cmd_start": ("开始 / 隐私说明", "Start / privacy notice"),
    "cmd_help": ("帮助", "Help"),
    "cmd_privacy": ("隐私说明", "Privacy notice"),
    "cmd_lang": ("切换语言 / Language", "Language / 切换语言"),
}

t = Texts("consent", _TEXTS, parent=COMMON)
