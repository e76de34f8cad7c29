"""What a message typed in the private chat is, before any draft opens.

A resident may describe a problem, ask about the service, type a command as a word, greet,
thank, or answer a question with yes, no or "not sure". `classify` sorts one message,
context-free; the caller knows whether a question is pending.

How. The text is put in one form (NFKC, folded case, punctuation and emoji to spaces, no
spaces around Chinese characters), then:

1. Phrases about the service (`_SERVICE`, one row of regex fragments per topic) are cut out,
   the longest first.
2. The pieces left lose the social words they start with (`_SOCIAL`: greetings, thanks, yes,
   no, "not sure", particles, fillers like 请问). What remains is the residue.
3. The residue decides. A complaint cue (`_STRONG`), or a topic keyword from categories.py
   with more words or a wish, or simply a long text, makes a PROBLEM: a question about the
   service that also carries a problem is a problem. An empty residue gives the service
   phrase's kind, or else the social words' kind. Anything else is UNCLEAR and the bot asks.

A bare topic word ("停车", "用电") is UNCLEAR: one word is no opinion to draft, and when the bot
asked for a topic the caller checks typed topic words itself.

The table lives here, not in a TOML file under data/: the package ships only data/*.json,
and regex fragments next to the scoring read (and type-check) better in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.answers import UNSURE_WORDS
from bot.domain.categories import suggest_category
from bot.domain.text import is_cjk, matching_form


class Kind(StrEnum):
    PROBLEM = "problem"
    GREETING = "greeting"
    THANKS = "thanks"
    QUESTION = "question"
    COMMAND = "command"
    CONFIRM = "confirm"
    DENY = "deny"
    UNSURE = "unsure"
    UNCLEAR = "unclear"


class Topic(StrEnum):
    WHO = "who"
    GOVERNMENT = "government"
    WHAT_NEXT = "what_next"
    HOW_LONG = "how_long"
    HOW_TO = "how_to"
    PRIVACY = "privacy"
    CANNOT_TYPE = "cannot_type"
    SCOPE = "scope"
    HELP = "help"
    CANCEL = "cancel"
    HUMAN = "human"
    STATUS = "status"
    REPORT = "report"


@dataclass(frozen=True, slots=True)
class Intent:
    kind: Kind
    topic: Topic | None = None  # set for QUESTION and COMMAND only
    score: float = 1.0  # 0..1; for UNCLEAR, how sure the rejected best guess was


_COMMANDS = frozenset({Topic.HELP, Topic.CANCEL, Topic.HUMAN, Topic.STATUS, Topic.REPORT})
#: Commands that count only as the whole message: 帮助 inside "希望帮助老人" is no command.
_WHOLE_ONLY = frozenset({Topic.HELP, Topic.CANCEL})
_SURE = 0.5  # below this, UNCLEAR

# --- the table ----------------------------------------------------------------------------
# Fragments are written in the normal form: lower case, no apostrophes (dont, cant), no
# spaces in Chinese, one space between English words. An ASCII fragment matches whole words.
# 哪/那 and 们/门 are both accepted: voice and pinyin input confuse them.

_N = "(?:你们|您们|你|您)"  # who is addressed
_Q = "(?:吗|嘛|么|不|没|没有|没得|呢)"  # question particles, Chongqing ones included
_SERVICE: dict[Topic, tuple[str, ...]] = {
    Topic.WHO: (
        rf"(?:{_N}|这|这个)?是谁|{_N}是?[哪那](?:个|里)(?:单位|部门|机构|平台)?的?",
        r"是[哪那]个(?:单位|部门|机构|平台)",
        r"(?:这|这个|这里|这是|你们?|您)是?(?:什么|啥子?)(?:单位|部门|机构|平台|东西|程序|软件|网站)?",
        r"(?:干|做|搞)(?:什么|啥子?|嘛)的",
        r"(?:谁|[哪那]个)(?:在|会)?(?:看|回复|搞|做|弄|开发|负责)的?",
        r"机器人|是?真人(?:在)?(?:回复|回答|回|看)?|是人吗|是不是人|人工智能",
        r"who (?:are you|is this|runs this|made this|reads)",
        r"what (?:is|s) this|are you (?:a )?(?:bot|robot|human|real)|is this (?:a )?(?:bot|robot)",
    ),
    Topic.GOVERNMENT: (
        r"是不是(?:区)?(?:政府|官方|正规|街道|社区|居委会)",
        r"(?:是)?(?:区)?(?:政府|官方|正规|街道办?|社区|居委会)(?:的|办的|搞的|开的)?" + _Q,
        r"官方的?还是|还是(?:私人|个人)(?:搞|办|弄|开)?的?",
        r"(?:跟|和|与)(?:政府|街道|社区|居委会|区里)(?:是|有)?(?:什么|啥子?)?关系",
        r"(?:是不是|是)?(?:骗子|诈骗|骗人)(?:吧|吗|哦|的吧|不)|是不是(?:骗子|诈骗|骗人)",
        r"真的假的|靠谱|可信|可靠吗",
        r"government|official|scam|legit|legitimate|is this real",
    ),
    Topic.WHAT_NEXT: (
        r"有用" + _Q + r"|有没有用|有(?:啥子?|什么)用|管用" + _Q + r"|管不管用|有效果?" + _Q,
        r"(?:之后|以后|然后|后面)(?:会|呢|怎么样|怎样|咋样)|接下来|后续",
        # Not when something follows: 谁来管管楼下的狗 asks for help with a problem.
        r"(?:谁|[哪那]个(?:部门|单位)?)来?(?:处理|管|负责|解决)(?=$|[\s吗呢啊哦嘛呀的了哈])",
        r"(?:转|交|送|报|递|告诉|反馈)给?(?:谁|[哪那]个(?:部门|单位)|相关部门|有关部门|政府|领导)",
        r"(?:会|真的会)?有人(?:管|看|处理|理)" + _Q + r"|(?:能|会)解决" + _Q + r"|能不能解决",
        r"(?:会)?怎么处理(?:我的)?(?:意见|问题)?",
        r"what (?:happens|will happen)|who (?:will )?(?:handle|deal with|look at)",
        r"will (?:anyone|someone|somebody|you) (?:actually )?(?:read|see|handle|do)",
        r"does (?:it|this) (?:help|make a difference)|is (?:it|this) useful",
    ),
    Topic.HOW_LONG: (
        r"(?:多久|多长时间|几时|好久(?:能|会|才|可以))(?:能|会|才|可以)?(?:有|给)?"
        r"(?:回复|答复|回音|消息|结果|处理|解决|回)?",
        r"(?:几|多少)(?:天|个工作日|个?小时|周|个?星期)(?:能|会|才|可以)?(?:有|给)?"
        r"(?:回复|答复|回音|消息|结果|处理|解决)",
        r"(?:要|需要|得)?等?(?:几|多少)(?:天|个工作日|个?小时|周|个?星期)(?=$|[吗呢啊哦嘛呀])",
        r"(?:要|需要|得)等?(?:多久|好久|多长时间)|等(?:多久|好久|多长时间)",
        r"(?:什么|啥子?)时候(?:能|会|才|可以)?(?:有|给)?(?:回复|答复|回音|消息|结果|处理|解决|回我)",
        r"好久(?:能|会|才|可以)?(?:有|给)?(?:回复|答复|回音|消息|结果|处理|解决)",
        r"how (?:long|soon|quickly|many days)|when will (?:i|you|we|it|someone)",
    ),
    Topic.HOW_TO: (
        r"(?:怎么|怎样|咋个?|如何|哪样)(?:才能|来)?(?:使用|用|操作|投诉|反映|举报|提交|提|发|弄|搞"
        r"|报|留言|填|上传|参与|开始)",
        r"(?:在|去|到)?(?:哪里|哪儿|哪)(?:可以)?(?:投诉|反映|提意见|举报|提交|留言)",
        r"用法|使用方法|说明书|教(?:一下)?我",
        r"how (?:do|can|should) i (?:use|report|complain|send|submit|start)",
        r"how (?:does|do) (?:this|it) work|how to (?:use|report|complain)",
    ),
    Topic.PRIVACY: (
        r"泄露|泄漏|隐私|匿名|保密|实名|个人信息|打击报复|报复|(?:信息|资料)(?:安全|保密)",
        r"(?:名字|姓名|信息|电话|手机号?|号码)(?:告诉|给|透露给)(?:别人|物业|对方|他们|邻居)",
        r"(?:我的)?(?:信息|资料|名字|姓名|电话|手机号?|号码|身份)(?:会|能)?(?:被)?"
        r"(?:别人|人家|他们|对方|邻居)?(?:看到|看见|知道|公开|曝光|传出去)",
        r"(?:要|需要|得|必须)(?:留|填|写|提供|登记)(?:电话|手机号?|号码|名字|姓名|身份证|地址|信息)",
        r"(?:知道|晓得)是我|被(?:人|别人|对方|邻居)?(?:知道|晓得|发现)",
        r"(?:是不是|会不会|会)?公开的?(?:吗|不)?",
        r"(?:别人|邻居|物业|对方|其他人)(?:能|会|可以)?(?:看到|看见|知道)",
        r"anonymous(?:ly)?|privacy|private|confidential|personal (?:data|info|information)",
        r"my (?:name|phone number|number|phone|identity|details)|who can see",
        r"will (?:they|anyone|people) know",
    ),
    Topic.CANNOT_TYPE: (
        r"不会打字|打不来字|打字不太?(?:会|行|来)|打字(?:好|太|很)?(?:慢|难|麻烦|不方便|费劲)|不会(?:写字|认字|拼音|打)",
        r"不识字|不认识字|认不到字|认不得字|不太?会用(?:手机|智能手机)",
        r"(?:能|可以|可不可以|能不能|怎么)?(?:发|用|说)语音|语音(?:输入|留言|消息)?(?:可以|行|能)",
        r"(?:可以|能|可不可以|能不能)(?:直接)?(?:说话|打电话说)|打电话(?:说|讲|反映)",
        r"(?:字|屏幕)太小|看不(?:清|到|见)(?:楚)?|眼睛(?:不好|看不清|花|不行)|老花",
        r"(?:cant|cannot|can not|unable to) (?:type|read|write|see)|(?:type|read) chinese",
        r"voice (?:message|note)|send (?:a )?voice|too small",
    ),
    Topic.SCOPE: (
        r"只(?:管|能|限|针对)(?:反映)?(?:渝中)?|渝中区?(?:以外|外面|之外)",
        r"(?:江北|南岸|沙坪坝|沙区|九龙坡|渝北|大渡口|巴南|北碚|外区|别的区|其他区|外地)",
        r"(?:也)?(?:能|可以)(?:反映|说|管|提)" + _Q + r"|能不能(?:反映|说|管|提)$",
        rf"管不管|归(?:你们)?管|{_N}?管(?:这个|这些|这种)?(?:吗|不)",
        r"什么(?:问题|事情|事|都)(?:都)?(?:可以|能)|哪些(?:问题|事|方面)|范围",
        r"私人纠纷|家庭纠纷",
        r"(?:only|just|outside) yuzhong|(?:other|another) district|does (?:this|it) cover",
        r"what (?:kinds? of |sort of )?(?:problems|issues|things) can",
        r"can i report (?:any|problems)",
    ),
    Topic.HELP: (r"帮助|菜单|功能|功能菜单|帮助菜单|主菜单|说明|指南|开始|help|menu|start",),
    Topic.CANCEL: (
        r"(?:取消|撤回|撤销|删除|删掉|作废|退出)(?:刚才|这条|上一条|那条|我的意见)?(?:那条)?",
        r"不(?:想)?(?:说|反映|投诉|提)了",
        r"cancel|stop|delete|quit|exit|never ?mind|forget it|undo",
    ),
    Topic.HUMAN: (
        r"转?人工(?:客服|服务)?|客服|工作人员(?:在吗|呢)",
        r"(?:找|要|转)(?:个)?(?:你们)?(?:的)?(?:真人|人|工作人员|领导|负责人)",
        r"你们的?(?:联系)?(?:电话|号码|联系方式)|(?:联系|咨询)?电话(?:是|号码是?)?多少|(?:联系|咨询)(?:电话|方式)|号码(?:是)?多少",
        r"(?:怎么|咋个?|如何)(?:样)?联系|联系你们|打电话给你们",
        r"(?:talk|speak) to (?:a )?(?:real )?(?:person|human|someone|staff|agent)",
        r"real person|human agent|contact (?:you|number|details)|phone number|call you",
    ),
    Topic.STATUS: (
        r"查询|查一下|查下|查查|进度|进展|(?:怎么样|咋样|啥样)了|处理(?:得)?(?:怎么样|咋样|如何)",
        r"(?:有|给)?(?:回复|答复|回音|消息|结果|反馈|下文)了?" + _Q,
        r"(?:处理|解决|回复|办)了?" + _Q,
        r"我的(?:意见|反映|投诉|建议)",
        r"我?(?:上次|之前|前几天|前两天|前天|昨天|上周|上个月|那天)(?:反映|提|投诉)的",
        r"我(?:反映|提|投诉)的",
        r"status|progress|any (?:update|news|reply|response)|heard back",
        r"my (?:report|complaint|opinion|request)",
    ),
    Topic.REPORT: (
        r"我?(?:要|想|想要|准备|来)(?:投诉|反映|举报|提意见|提建议)|投诉|举报",
        r"(?:提|反映|说)(?:一)?(?:个|点|下)?(?:意见|建议|问题|事|情况)",
        r"我有(?:个|一个|点|些)?(?:问题|事情|事|意见|建议|情况)(?:要|想)?(?:反映|说|讲|投诉)?",
        r"i (?:want|would like|wish|d like) to (?:report|complain|make a complaint|give feedback)",
        r"report a (?:problem|issue)|make a complaint|i have a (?:complaint|problem|suggestion)",
    ),
}

#: Social words, consumed from the start of each piece; the None row is neutral (particles,
#: fillers, forms of address). One word a space; "_" is a space inside an English phrase.
_SOCIAL: dict[Kind | None, str] = {
    Kind.GREETING: "你好 您好 你们好 您们好 大家好 老师好 领导好 同志好 师傅好 阿姨好 在 在吗 "
    "在不在 在没 在不 有人吗 有人在吗 有没有人 哈喽 哈罗 嗨 喂 打扰 打扰了 打扰一下 早 早上好 "
    "早安 上午好 中午好 下午好 晚上好 hello hi hey hallo morning good_morning good_afternoon "
    "good_evening",
    Kind.THANKS: "谢谢 多谢 感谢 谢了 谢啦 谢谢你 谢谢你们 谢谢您 感谢你们 辛苦 辛苦了 辛苦你们 "
    "辛苦你们了 麻烦你们了 麻烦了 麻烦您了 拜拜 再见 再会 晚安 感恩 点赞 点个赞 给你们点赞 "
    "感谢你们的工作 谢谢你们的工作 感谢你们的付出 你们真好 不用谢 不客气 客气了 thanks "
    "thank_you thankyou thx ty cheers bye goodbye bye_bye see_you thanks_a_lot many_thanks "
    "appreciate_it",
    Kind.CONFIRM: "对 对的 对头 对滴 对着的 是 是的 是滴 是啊 是呀 是噻 就是 就是的 就是这样 好 "
    "好的 好嘞 好滴 好呀 好啊 好哒 好吧 好好 嗯 恩 嗯呢 可以 可以的 行 行的 行吧 中 要得 "
    "要的 没错 没毛病 确定 确认 同意 收到 明白 明白了 知道了 晓得了 晓得 没问题 没有问题 "
    "莫得问题 没得问题 巴适 ok okay okk yes yep yeah yup sure correct right exactly "
    "of_course thats_right sounds_good go_ahead alright all_right",
    Kind.DENY: "不 不是 不是的 不对 不用 不用了 不要 不要了 不需要 不必 没有 没有了 没得 没得了 "
    "莫得 莫得了 莫有 没了 还没 还没有 算了 算了吧 不行 不好 否 错了 错 no nope nah wrong "
    "incorrect not_really no_thanks no_thank_you thats_wrong not_right",
    Kind.UNSURE: " ".join(w.replace("'", "").replace(" ", "_") for w in UNSURE_WORDS)
    + " 不太确定 不太晓得 不大清楚 搞不清 搞不清楚 说不清楚 记不清 记不得 不记得 忘了 不懂 "
    "idk dunno not_really_sure no_clue i_dont_know not_certain",
    None: "啊 呀 吧 嘛 哦 噢 喔 呢 哈 啦 了 的 噻 哟 呗 咯 嘞 哇 嗷 滴 撒 哒 哎 诶 唉 额 呃 嘿 "
    "请问 我想问一下 想问一下 问一下 问下 想问下 请 我 我也 也 我们 你们 你 您 这个 那个 "
    "就 那 那就 这样 就这样 那么 老师 同志 领导 师傅 一下 非常 十分 太 真是 真的 特别 暂时 "
    "补充 别的 其他 就是那里 就是这里 就是那个 就是这个 这个意思 "
    "please pls plz so much very um uh well oh ah i im you guys there",
}
_EMOJI = {"👍": " ok ", "👌": " ok ", "✅": " ok ", "✔": " ok ", "👋": " hi "}
_EMOJI |= dict.fromkeys("🙏❤🌹💐", " 谢谢 ")

# Problem cues. A strong one makes a problem alone; a weak one needs a topic word or a longer
# text; a wish (希望, 能不能, why) needs content beside it.
_STRONG = "|".join(
    (
        r"乱|坏|不亮|不灵|不通|不能用|用不了|没法用|不管用|吵|噪音|噪声|漏|渗水|堵|臭|脏|扰民|油烟",
        r"没人|无人|莫得人|没得人|没有人|不作为|不修|没修|修不好|没(?:有|得)?解决|拖了|拖着",
        r"危险|隐患|不安全|吓人|摔|占道|占用|违停|违章|违建|违规|拒载|排队|好长|好久了|很久了",
        r"停水|停电|断水|断电|没水|没电|裂|塌|垮|积水|淹|污水|烟熏|爆|坑|洞|倒了|滴水|烂了|翘起",
        r"堆(?:满|成|了|起|在)|全是|到处都?是|满地|黑黢黢|黑漆漆|狗叫|犬吠|鸡叫|吠|一晚上|整晚|通宵",
        r"味道|怪味|气味",
        r"贩毒|吸毒|卖淫|赌|抢劫|偷|被人|被(?:砸|撞|刮|划|占|挡|拆|骗|打|抢)",
        r"(?<!不)太(?!好|棒|感谢|谢谢|客气|阳|极|平|太)|差(?!不多)|难(?!道)|贵",
        r"没有(?!别的|其他|其它|什么|啥|问题)[\u4e00-\u9fff]{2}",  # 没有路灯; not 没有别的了
        r"broken|break|breaks|breaking|broke|not working|doesnt work|dont work|never works",
        r"noisy|noise|loud|dirty|filthy|smells?|stinks?|dangerous|unsafe|leak(?:s|ing)?",
        r"flood(?:ed)?|blocked|blocking|overflow(?:s|ing)?|too (?:many|much|loud|fast|high|dark)",
        r"no ?one|nobody|cut off|outage|pothole|crack(?:s|ed)?|collapsed|illegal|unbearable",
        r"cant sleep|mess|messy|poop|barks?|burning|dump(?:s|ing|ed)?|please fix|fix the|repair",
        r"complain about|there (?:is|are) no|theres no|no place",
    )
)
_WEAK = "|".join(
    (
        r"多|少|不够|(?<!能)不能|不让|不准|慢|挤|远|吓|绊|砸|掉|断|锈|松|骗|扔|冒|滴|拆|挖|堆|熏|倒",
        r"烧|响|叫|天天|每天|经常|老是|总是|一直|又|半夜|凌晨|没|莫得|缺",
        r"always|every (?:day|night)|all night|keep|keeps|too|no|lack",
    )
)
_WISH = "|".join(
    (
        r"希望|建议|能不能|能否|可不可以|可否|可以.+吗|应该|要求|呼吁|盼望|最好|想要|需要|麻烦",
        r"增加|加装|安装|设置|开放|恢复|管一下|管管|清理|整治|修一下|修理|派人",
        r"为什么|为啥|凭什么|咋个?又|怎么(?:又|老是|还|一直)",
        r"什么时候(?:能|会|才)?(?:修|弄|搞|解决|收|来|搬|填|换|装|好|轮到)",
        r"please|could you|can you|should|need|want|hope|suggest|would like|why",
    )
)
#: A text shaped as a question needs more words before its length alone makes it a problem.
_ASKING = re.compile(
    r"吗|几|什么|啥|怎么|咋|哪|谁|(?<![a-z])(?:who|what|how|when|where|why|is|are|can|do)(?![a-z])"
)
_RESOLVED = re.compile(r"(?:修好|解决|弄好|处理好|搞好|搞定)了|fixed now|been fixed|solved")
#: Words that carry nothing about a problem: they do not count towards a text's length.
_NEUTRAL = "|".join(
    (
        r"的|了|吗|呢|吧|啊|呀|嘛|哦|噢|喔|哈|啦|噻|哟|呗|咯|嘞|哇|么|撒|哒|诶|唉|额|呃",
        r"我们|我|你们|你|您|他们|这个|那个|一下|一点|请问|想问|问下|问一下|就是|就|也|都|还是|还",
        r"是|有|会|能|要|可以|想|一个|个|些|在|把|给|和|跟|下|其实|真的|请|麻烦|到底|一般|大概",
        r"反映|投诉|意见|问题|事情|事|情况|东西|提交|以后|之后|然后|方面|这种|这类|之类",
        r"老师|同志|领导|师傅",
        r"(?<![a-z0-9])(?:a|an|the|is|are|was|were|be|am|i|you|we|they|it|this|that|to|of|in"
        r"|on|at|for|my|me|our|your|with|and|or|so|do|does|can|will|would|just|there|here|guys"
        r"|please|problem|problems|issue|issues|something|thing|things|complaint|opinion"
        r"|feedback)(?![a-z0-9])",
    )
)


# --- compiled forms -----------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


def _alternatives(fragment: str) -> list[str]:
    """The top-level alternatives of a regex fragment (a | inside a group stays)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(fragment):
        if ch == "(" and fragment[i - 1 : i] != "\\":
            depth += 1
        elif ch == ")" and fragment[i - 1 : i] != "\\":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(fragment[start:i])
            start = i + 1
    return [*parts, fragment[start:]]


def _words(fragment: str) -> str:
    """An ASCII alternative matches whole words only (hi must not match inside this)."""
    return "|".join(
        rf"(?<![a-z0-9])(?:{p})(?![a-z0-9])" if p.isascii() else p for p in _alternatives(fragment)
    )


_SERVICE_RE = {t: re.compile("|".join(_words(f) for f in fs)) for t, fs in _SERVICE.items()}
_STRONG_RE = re.compile(_words(_STRONG))
_WEAK_RE = re.compile(_words(_WEAK))
_WISH_RE = re.compile(_words(_WISH))
_NEUTRAL_RE = re.compile(_NEUTRAL)
_LEXICON: dict[str, Kind | None] = {
    w.replace("_", " "): kind for kind, words in _SOCIAL.items() for w in words.split()
}
_SOCIAL_RE = re.compile(
    r"\s*(?:"
    + "|".join(
        re.escape(w) + ("(?![a-z0-9])" if w.isascii() else "")
        for w in sorted(_LEXICON, key=len, reverse=True)
    )
    + ")"
)
_NOT_WORD = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(rf"\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+")
_LETTER_RUN = re.compile(r"([a-z])\1{2,}")
_CONTENT = re.compile(rf"[{_CJK}]|[a-z0-9]+")
_ASKED = re.compile(r"[?？][^\w]*$")  # ends with a question mark, emoji after it allowed
_TYPOS = (("你门", "你们"), ("我门", "我们"), ("他门", "他们"))
_REFLECT = re.compile(r"反应(?=一下|个|下|问题|情况|的|了|吗|不)")  # 反应 typed for 反映


def normal_form(text: str) -> str:
    """Lower case, NFKC, emoji and punctuation as spaces, no spaces around Chinese, letter
    runs cut (hiii -> hi), and the commonest voice-input slips mended (你门 -> 你们)."""
    for emoji, word in _EMOJI.items():
        text = text.replace(emoji, word)
    text = matching_form(text).casefold().replace("'", "").replace("’", "")
    text = " ".join(_NOT_WORD.sub(" ", text).split())
    text = _LETTER_RUN.sub(r"\1", _SPACES.sub("", text))
    for typo, word in _TYPOS:
        text = text.replace(typo, word)
    return _REFLECT.sub("反映", text)


# --- the steps ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cut:
    start: int
    end: int
    topic: Topic


def _service_cuts(text: str, skip: frozenset[Topic] = frozenset()) -> list[_Cut]:
    """Service phrases in `text`, longest first where they overlap, in reading order."""
    found = [
        _Cut(m.start(), m.end(), topic)
        for topic, pattern in _SERVICE_RE.items()
        if topic not in skip
        for m in pattern.finditer(text)
        if m.end() > m.start()
    ]
    found.sort(key=lambda c: (c.start - c.end, c.start))
    taken: list[_Cut] = []
    for cut in found:
        if all(cut.end <= t.start or cut.start >= t.end for t in taken):
            taken.append(cut)
    return sorted(taken, key=lambda c: c.start)


def _consume(piece: str, labels: set[Kind]) -> str:
    """Drop the social words `piece` starts with (adding their kinds to `labels`)."""
    pos = 0
    while (m := _SOCIAL_RE.match(piece, pos)) is not None and m.end() > pos:
        kind = _LEXICON[m.group().strip()]
        if kind is not None:
            labels.add(kind)
        pos = m.end()
    return piece[pos:].strip()


def _split(text: str, cuts: list[_Cut]) -> list[str]:
    pieces, pos = [], 0
    for cut in cuts:
        pieces.append(text[pos : cut.start])
        pos = cut.end
    pieces.append(text[pos:])
    return pieces


def _content(text: str) -> int:
    """Chinese characters, and English words counted twice (a word says about as much as two
    characters); fillers and particles do not count."""
    return sum(1 if is_cjk(t) else 2 for t in _CONTENT.findall(_NEUTRAL_RE.sub(" ", text)))


def _social(labels: set[Kind], asked: bool) -> Intent:
    """The kind of a message made only of social words."""
    if {Kind.CONFIRM, Kind.DENY} <= labels:
        return Intent(Kind.UNCLEAR, score=0.3)  # 是不是, 对不对
    for kind in (Kind.UNSURE, Kind.DENY, Kind.THANKS, Kind.GREETING, Kind.CONFIRM):
        if kind in labels:
            if asked and kind in (Kind.CONFIRM, Kind.DENY):
                return Intent(Kind.UNCLEAR, score=0.4)  # 嗯？ 不是吧？ doubt, not an answer
            return Intent(kind, score=0.95 if len(labels) == 1 else 0.9)
    return Intent(Kind.UNCLEAR, score=0.0)  # particles or fillers only


def _problem_score(text: str, residue: str, has_service: bool) -> float:
    """How sure that `residue` (the text without service phrases) describes a problem.
    Strong cues are looked for in `text` minus service phrases, before social words are
    consumed (不亮 must not lose its 不)."""
    if _STRONG_RE.search(text):
        return 0.95
    size = _content(residue)
    guess = suggest_category(residue) if size else None
    wish = _WISH_RE.search(residue) is not None
    if guess is not None and guess.evidence:
        rest = residue
        for word in guess.evidence:
            rest = rest.replace(word, " ")
        if wish or _WEAK_RE.search(residue) or _content(rest) >= (3 if has_service else 2):
            return 0.85
        return 0.4  # a bare topic word, or one beside a question about the service
    if wish and size >= 4 and not has_service:  # 能不能大一点 beside 看不清 is about the bot
        return 0.75
    if _WEAK_RE.search(residue) and size >= 5:
        return 0.6
    if size >= (12 if has_service or _ASKING.search(residue) else 8):
        return 0.65
    return 0.2 if size else 0.0


def classify(text: str) -> Intent:
    """What `text` is: a problem, a question about the service (with its topic), a command
    typed as a word, a greeting, thanks, a yes / no / not-sure answer, or UNCLEAR."""
    form = normal_form(text)
    if not form:
        return Intent(Kind.UNCLEAR, score=0.0)
    asked = _ASKED.search(text) is not None
    cuts = _service_cuts(form)
    labels: set[Kind] = set()
    residue = " ".join(_consume(p, labels) for p in _split(form, cuts)).strip()
    if any(c.topic in _WHOLE_ONLY for c in cuts) and _content(residue):
        # 帮助 or 取消 inside a longer message is part of it, not a command.
        cuts = _service_cuts(form, skip=_WHOLE_ONLY)
        labels = set()
        residue = " ".join(_consume(p, labels) for p in _split(form, cuts)).strip()
    if not cuts and labels and not _content(residue):
        asked = asked or "吗" in residue or "么" in residue  # 是吗 doubts, 在吗 was a word
        return _social(labels, asked)  # 不太清楚 is an answer, whatever 太 says elsewhere
    body = " ".join(_split(form, cuts))
    score = _problem_score(body, residue, bool(cuts))
    if _RESOLVED.search(body) and score < 0.95:
        score = 0.0  # 路灯已经修好了: news that a problem is gone
    # The longest phrase is the question (我反映的 is only the subject of 是不是公开的).
    topic = min(cuts, key=lambda c: (c.start - c.end, c.start)).topic if cuts else None
    if topic is Topic.REPORT and _content(residue) >= 2:
        score = max(score, 0.7)  # 我要投诉物业: who or what is named, that starts an opinion
    if score >= _SURE:
        return Intent(Kind.PROBLEM, score=score)
    if topic is not None:
        kind = Kind.COMMAND if topic in _COMMANDS else Kind.QUESTION
        return Intent(kind, topic, score=0.9 if not _content(residue) else 0.75)
    if labels and _RESOLVED.search(body):
        return _social(labels, asked)  # 谢谢，路灯修好了
    return Intent(Kind.UNCLEAR, score=score)
