"""Word lists for retrieval: English and Chinese stop words, and a small query-expansion table.

The stop words are the function words and question words of natural questions ("what did I
say about...", "我上次说过什么..."): they match almost every message and carry no topic.

The expansion table maps an everyday category word to common members and close synonyms, so a
question about the category finds a message that only names the member ("what instrument did I
want to learn?" → "...learn the guitar"; "乐器" → "吉他"). Expansions are weighted below the
query's own words by the ranker. Keys and members are lower-case, unstemmed surface forms:
plural and inflected forms are folded by the index's Porter stemmer at match time.
"""

from __future__ import annotations

__all__ = ["EXPANSIONS", "IRREGULAR_FORMS", "STOP_WORDS", "expansions_of"]

_ENGLISH_STOP_WORDS = """
a about above after again against all almost also am an and any are aren as at
be because been before being below between both but by
can cannot could couldn did didn do does doesn doing don done down during
each either else ever every few for from further
get gets getting go goes going gone got gotten
had hadn has hasn have haven having he her here hers herself him himself his how however
i if in into is isn it its itself just
let lets ll me might mine more most much must mustn my myself
no nor not now of off on once only or other ought our ours ourselves out over own
quite rather re really s same say said says shall shan she should shouldn so some such
t than that thats the their theirs them themselves then there these they this those through
to too under until up upon us ve very
was wasn we were weren what whats when whens where wheres whether which while who whom whos
whose why will with won would wouldn yet you your yours yourself yourselves
hey hi hello oh ok okay yeah yes yep thanks thank please wow
tell told remember remind know knew mention mentioned talk talked talking think thought
anything something everything nothing thing things kind type sort
ever one ones
"""

# Chinese function words, pronouns and question words; jieba's search mode emits them as
# separate tokens, so they can be dropped after segmentation.
_CHINESE_STOP_WORDS = """
的 了 着 过 吗 呢 吧 啊 呀 哦 嗯 哈 啦 嘛 么 之 地 得 和 与 及 或 而 但 就 都 也 还 又 再 才 很
挺 太 最 更 非常 比较 一些 一点 有点 一下 一直 一个 一种 这个 那个 这些 那些 这样 那样 这么 那么
我 你 您 他 她 它 我们 你们 他们 她们 它们 咱们 自己 大家 人家
是 有 在 没 没有 不 不是 要 会 能 可以 可能 应该 想 觉得 认为 知道 记得 记住 告诉 提到 说 说过
讲 讲过 聊 聊过 谈 谈过 问 问过
什么 啥 怎么 怎么样 怎样 如何 为什么 为啥 哪 哪里 哪儿 哪个 哪些 谁 几 多少 多久 何时 时候
什么时候 是不是 有没有 吗 呢 上次 之前 以前 曾经 当时 那时 那天 一次 次
把 被 给 让 对 向 从 到 跟 同 比 为 因为 所以 如果 虽然 但是 然后 还是 或者 而且 并且 不过
个 些 种 件 位 只 条 点 下 上 里 中 时 后 前 等 等等 呢 嘛 喔 哇 好 好的 谢谢 请
"""

STOP_WORDS: frozenset[str] = frozenset(_ENGLISH_STOP_WORDS.split()) | frozenset(
    _CHINESE_STOP_WORDS.split()
)

# Irregular English verb forms the Porter stemmer cannot fold ("felt" is not "feel"); both
# documents and queries map them to the base form. Forms with a common unrelated meaning
# ("left", "saw", "found" as in "founded") are left alone.
_IRREGULAR = """
feel:felt meet:met buy:bought bring:brought think:thought teach:taught catch:caught
fight:fought seek:sought eat:ate,eaten drink:drank,drunk drive:drove,driven fly:flew,flown
swim:swam,swum sing:sang,sung begin:began,begun write:wrote,written ride:rode,ridden
speak:spoke,spoken break:broke,broken choose:chose,chosen take:took,taken give:gave,given
forget:forgot,forgotten get:got,gotten make:made keep:kept sleep:slept spend:spent
build:built send:sent lose:lost win:won sell:sold tell:told hold:held pay:paid
run:ran see:seen know:knew,known grow:grew,grown throw:threw,thrown draw:drew,drawn
wear:wore,worn tear:tore,torn steal:stole,stolen wake:woke,woken fall:fell,fallen
hear:heard understand:understood stand:stood become:became come:came
"""
IRREGULAR_FORMS: dict[str, str] = {
    form: base
    for entry in _IRREGULAR.split()
    for base, forms in [entry.split(":")]
    for form in forms.split(",")
    if form != base
}

_CATEGORIES: dict[str, str] = {
    # English categories → members and synonyms.
    "instrument": "guitar piano violin drum drums flute cello ukulele saxophone trumpet clarinet"
    " bass keyboard harp",
    "pet": "dog cat puppy kitten hamster rabbit parrot fish turtle bird",
    "animal": "dog cat puppy kitten horse bird fish rabbit",
    "sport": "football soccer basketball tennis swimming running yoga hiking cycling volleyball"
    " baseball golf badminton skiing surfing climbing boxing gym workout",
    "exercise": "running gym workout yoga swimming cycling hiking",
    "hobby": "painting reading cooking gardening photography drawing hiking knitting pottery"
    " dancing singing writing gaming fishing camping",
    "activity": "painting reading cooking gardening photography drawing hiking pottery dancing"
    " swimming running camping volunteering",
    "interest": "hobby passion",
    "destress": "relax unwind calm stress",
    "relax": "unwind calm destress",
    "art": "painting drawing sculpture pottery",
    "family": "mom mother dad father sister brother wife husband son daughter kids children"
    " grandma grandpa parents",
    "kid": "child children son daughter",
    "child": "kid kids son daughter",
    "parent": "mom mother dad father",
    "job": "work career office boss colleague company profession",
    "work": "job career office boss colleague company",
    "career": "job work profession",
    "book": "novel read reading author",
    "movie": "film cinema watched",
    "film": "movie cinema",
    "music": "song band concert album singer",
    "trip": "travel vacation holiday journey visited flight",
    "travel": "trip vacation holiday journey visited flight",
    "vacation": "trip holiday travel",
    "doctor": "hospital sick illness medicine clinic",
    "sick": "ill illness doctor hospital",
    "drink": "coffee tea beer wine juice",
    "school": "college university class course degree exam",
    "study": "school college university class course degree exam",
    "love": "like enjoy favorite",
    "like": "love enjoy favorite",
    "enjoy": "like love favorite",
    "favorite": "favourite love like",
    "favourite": "favorite love like",
    "home": "house apartment flat",
    "house": "home apartment",
    "car": "drive driving vehicle",
    "friend": "friends buddy",
    "partner": "boyfriend girlfriend wife husband",
    "married": "wedding wife husband",
    "food": "eat dinner lunch breakfast cook recipe",
    "eat": "food dinner lunch breakfast",
    "allergic": "allergy",
    "allergy": "allergic",
    "birthday": "born",
    "color": "colour",
    "colour": "color",
    # Chinese categories → members and synonyms.
    "乐器": "吉他 钢琴 小提琴 鼓 架子鼓 长笛 大提琴 尤克里里 萨克斯 小号 单簧管 古筝 二胡 琵琶",
    "宠物": "狗 猫 小狗 小猫 狗狗 猫咪 仓鼠 兔子 鹦鹉 鱼 乌龟",
    "动物": "狗 猫 马 鸟 鱼 兔子",
    "运动": "足球 篮球 网球 游泳 跑步 瑜伽 徒步 骑行 排球 棒球 高尔夫 羽毛球"
    " 滑雪 冲浪 攀岩 拳击 健身",
    "锻炼": "跑步 健身 瑜伽 游泳 骑行",
    "爱好": "画画 阅读 做饭 园艺 摄影 徒步 编织 陶艺 跳舞 唱歌 写作 游戏 钓鱼 露营",
    "兴趣": "画画 阅读 做饭 园艺 摄影 徒步 编织 陶艺 跳舞 唱歌 写作 游戏 钓鱼 露营",
    "家人": "妈妈 爸爸 母亲 父亲 姐姐 妹妹 哥哥 弟弟 妻子 老婆 丈夫 老公 儿子 女儿 孩子 父母",
    "家里人": "妈妈 爸爸 母亲 父亲 姐姐 妹妹 哥哥 弟弟 妻子 老婆 丈夫 老公 儿子 女儿 孩子 父母",
    "孩子": "儿子 女儿 小孩",
    "工作": "上班 公司 老板 同事 职业",
    "职业": "工作 上班",
    "书": "小说 阅读 作者",
    "电影": "影院 影片",
    "音乐": "歌 乐队 演唱会 专辑 歌手",
    "旅行": "旅游 度假 出差 航班",
    "旅游": "旅行 度假 出差",
    "医生": "医院 生病 药",
    "生病": "医院 医生 发烧 感冒",
    "喝": "咖啡 茶 啤酒 葡萄酒",
    "学习": "学校 大学 课程 考试 上课",
    "喜欢": "爱 最爱",
    "吃": "饭 菜 餐厅",
    "家": "房子 公寓",
    "朋友": "好友 闺蜜 哥们",
    "对象": "男朋友 女朋友 男友 女友",
    "过敏": "过敏原",
}

EXPANSIONS: dict[str, tuple[str, ...]] = {
    key: tuple(members.split()) for key, members in _CATEGORIES.items()
}


def expansions_of(word: str) -> tuple[str, ...]:
    """The expansion of a word, looked up as written and, for English, as a singular."""
    found = EXPANSIONS.get(word)
    if found is None and word.isascii():
        for plural, singular in (("ies", "y"), ("es", ""), ("s", ""), ("ren", "")):
            if word.endswith(plural) and (found := EXPANSIONS.get(word[: -len(plural)] + singular)):
                break
    return found or ()
