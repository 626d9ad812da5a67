"""Memory at scale: ingest rate, search latency and database size for a million messages.

Generates messages for 1,000 users (one of them with a tenth of all messages) from a mixed
English/Chinese vocabulary with a Zipf distribution (pseudo-English words; Chinese: a built-in
list of common chat words, then compounds of common characters; real stop words between them),
ingests them through ``add_messages`` in batches, then times searches for the big user and for
random users, ``recall`` for the big user, and forgetting a topic (preview and deletion, which
scrubs the index pages). The database lives in a temporary folder that is
deleted afterwards. Only the project's own dependencies are needed.

    python benchmarks/memory_scale.py                 # 1,000,000 messages (~5 min on 2 cores)
    python benchmarks/memory_scale.py --messages 100000
    python benchmarks/memory_scale.py --one-user 100000  # one user's 100k LoCoMo-like messages

``--one-user N`` measures the issue's "search p95 at 100k messages for one user": one user
with N messages made of LoCoMo dialogue turns (``benchmarks/data/locomo_dev.json``) recycled
with variation (other names, turns spliced with a sentence of another turn), one message in six
Chinese (the generator below), in sessions of 10-40 turns spread over three years; then
``MemoryStore.search`` (default settings, k=10, no embeddings) and the recall made before every
answer (``MemoryStore.recall``, 1,200 tokens, the last 40 messages excluded) are timed over the
LoCoMo questions and Chinese questions, wall time and the process's CPU time per call.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.memory import MemoryStore, NewMessage, RankingConfig, StoreOptions

LOCOMO = Path(__file__).resolve().parent / "data" / "locomo_dev.json"

T = TypeVar("T")
BATCH = 1_000
# Function words between the content words, as in real text (the tokenizer drops them).
EN_STOP = [
    "i",
    "you",
    "we",
    "the",
    "a",
    "to",
    "and",
    "of",
    "in",
    "it",
    "is",
    "was",
    "that",
    "my",
    "for",
    "on",
    "with",
    "at",
    "this",
    "so",
    "but",
    "what",
]
ZH_STOP = [
    "我",
    "你",
    "的",
    "了",
    "是",
    "在",
    "也",
    "就",
    "都",
    "很",
    "吗",
    "吧",
    "呢",
    "这个",
    "那个",
    "我们",
    "他们",
]
EN_QUESTIONS = ["what did I say about {}?", "when did we talk about {}", "do you remember {}"]
ZH_QUESTIONS = ["我上次说的{}是什么？", "我们什么时候聊过{}", "还记得{}吗"]
# Everyday chat words, roughly most frequent first: the head of the Chinese vocabulary.
ZH_COMMON_WORDS = """
我们 你们 他们 什么 时候 今天 明天 昨天 现在 已经 知道 觉得 喜欢 工作 朋友 时间
事情 问题 东西 一起 因为 所以 但是 还是 如果 可以 应该 需要 开始 希望 准备 回家
公司 学校 老师 学生 孩子 妈妈 爸爸 老公 老婆 女朋友 男朋友 周末 晚上 早上 中午 下午
上午 吃饭 睡觉 电影 音乐 手机 电脑 咖啡 奶茶 天气 下雨 出去 旅行 旅游 飞机 火车
地铁 公交 开车 医院 医生 身体 感冒 发烧 运动 跑步 健身 游泳 爬山 篮球 足球 羽毛球
吉他 钢琴 唱歌 跳舞 画画 看书 小说 游戏 电视 节目 新闻 微信 视频 照片 生日 礼物
蛋糕 聚会 约会 结婚 工资 加班 开会 项目 老板 同事 面试 考试 作业 复习 毕业 大学
专业 英语 中文 日本 北京 上海 广州 深圳 杭州 成都 家里 房子 租房 搬家 装修 厨房
做饭 火锅 烧烤 米饭 面条 饺子 水果 苹果 西瓜 牛奶 早餐 午饭 晚饭 外卖 超市 购物
衣服 鞋子 价格 便宜 特别 非常 真的 其实 可能 一定 一直 马上 刚才 后来 最近 以前
以后 每天 经常 有时候 一下 一点 很多 不少 所有 这样 那样 怎么 为什么 哪里 这里 那里
一样 不错 开心 高兴 难过 生气 担心 害怕 紧张 辛苦 累了 无聊 有趣 好玩 好吃 好看
漂亮 可爱 厉害 方便 麻烦 简单 容易 重要 决定 计划 安排 提醒 记得 忘记 告诉 发现
认识 见面 聊天 电话 消息 回复 等待 帮忙 谢谢 对不起 没关系 办法 机会 经验 能力 习惯
性格 心情 压力 健康 减肥 睡眠 失眠 梦想 未来 过去 小时 分钟 星期 月份 春天 夏天
秋天 冬天 温度 空调 暖气 宠物 小狗 小猫 花园 公园 海边 沙滩 山上 城市 农村 国家
世界 社会 文化 历史 经济 政治 科技 手表 相机 耳机 充电 网络 软件 程序 代码 数据
设计 产品 市场 客户 合同 银行 信用卡 存钱 投资 股票 基金 保险 房贷 车子 停车 堵车
高铁 机票 酒店 签证 护照 行李 景点 门票 排队 预约 餐厅 菜单 味道 辣椒 甜点 啤酒
红酒 茶叶 绿茶 乌龙茶 咖啡馆 图书馆 博物馆 电影院 健身房 游泳池 体育馆 演唱会 展览 比赛 冠军 球队
球迷 明星 歌手 演员 导演 作家 作品 故事 角色 结局 剧情 连续剧 综艺 动画 漫画 小时候
回忆 经历 感觉 想法 意见 建议 看法 态度 关系 家人 亲戚 邻居 室友 同学 兄弟 姐姐
妹妹 哥哥 弟弟 爷爷 奶奶 外婆 孙子 儿子 女儿 宝宝 幼儿园 小学 中学 高中 研究生 博士
论文 实习 简历 工作室 创业 辞职 跳槽 升职 加薪 年终奖 周一 周五 假期 放假 春节 中秋
国庆 过年 红包 年货 元旦 情人节 圣诞节 快递 包裹 下单 退货 打折
"""
# Common characters whose pairs make the rare tail of the vocabulary.
ZH_COMMON_CHARS = (
    "人大中国年生学工作会家心手天时日月水火山电车路书话语食饭茶酒花草树风雨雪"
    "海河城市门房店钱买卖开关新老高长短多少早晚快慢冷热红白黑绿好美爱想看听说"
    "走跑坐站吃喝睡玩读写画唱笑哭朋友同事父母儿女兄弟姐妹医病药身体头脸眼口"
    "球歌舞影戏音乐字明星光东西南北前后左右上下里外春夏秋冬早午夜周末节假猫狗鱼鸟"
)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Words of one language with cumulative Zipf weights for fast sampling."""

    words: list[str]
    cumulative: list[float]

    @classmethod
    def zipf(cls, words: list[str]) -> Vocabulary:
        return cls(
            words, list(itertools.accumulate(1.0 / rank for rank in range(1, len(words) + 1)))
        )

    def sample(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=count)


def english_vocabulary(size: int, rng: random.Random) -> Vocabulary:
    """Pronounceable pseudo-words ("bakotu"), so stemming and tokenizing do real work."""
    onsets = [
        "b",
        "c",
        "d",
        "f",
        "g",
        "h",
        "j",
        "k",
        "l",
        "m",
        "n",
        "p",
        "r",
        "s",
        "t",
        "v",
        "w",
        "z",
        "br",
        "st",
        "tr",
        "pl",
        "gr",
    ]
    vowels = ["a", "e", "i", "o", "u", "ai", "ou", "ea"]
    words: set[str] = set()
    while len(words) < size:
        syllables = rng.randint(1, 3)
        words.add("".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(syllables)))
    return Vocabulary.zipf(sorted(words, key=lambda w: (len(w), w)))


def chinese_vocabulary(size: int, rng: random.Random) -> Vocabulary:
    """Common chat words first (the frequent head), then two-character compounds of common
    characters as the rare tail, up to ``size`` words. Built in, so the benchmark needs only
    the project's own dependencies."""
    head = list(dict.fromkeys(ZH_COMMON_WORDS.split()))
    known = set(head)
    chars = list(dict.fromkeys(ZH_COMMON_CHARS))
    tail = [a + b for a in chars for b in chars if a != b]
    rng.shuffle(tail)
    words = head + [word for word in tail if word not in known]
    return Vocabulary.zipf(words[:size])


def message_text(rng: random.Random, chinese: bool, english: Vocabulary, zh: Vocabulary) -> str:
    if chinese:
        words = zh.sample(rng, rng.randint(4, 10))
        stops = rng.choices(ZH_STOP, k=len(words) // 2)
        mixed = [w for pair in itertools.zip_longest(words, stops) for w in pair if w]
        if rng.random() < 0.2:  # code-switching, common in chats
            mixed.append(english.sample(rng, 1)[0])
        return "".join(mixed) + rng.choice(["。", "！", "？", ""])
    words = english.sample(rng, rng.randint(5, 14))
    stops = rng.choices(EN_STOP, k=len(words))
    return " ".join(w for pair in zip(stops, words, strict=True) for w in pair).capitalize() + "."


def generate(
    total: int, users: int, seed: int
) -> tuple[Iterator[list[NewMessage]], list[int], Vocabulary, Vocabulary]:
    """Batches of messages (big user = user 1, a tenth of everything), the user ids, and the
    vocabularies."""
    rng = random.Random(seed)
    english, zh = english_vocabulary(20_000, rng), chinese_vocabulary(20_000, rng)
    user_ids = list(range(1, users + 1))
    chinese_user = {user: rng.random() < 0.5 for user in user_ids}
    start = datetime(2024, 1, 1, tzinfo=UTC)
    step = timedelta(days=730) / total

    def batches() -> Iterator[list[NewMessage]]:
        batch: list[NewMessage] = []
        for index in range(total):
            user = 1 if rng.random() < 0.1 else rng.choice(user_ids[1:])
            role = "user" if rng.random() < 0.5 else "assistant"
            chinese = chinese_user[user] if rng.random() < 0.8 else not chinese_user[user]
            batch.append(
                NewMessage(
                    user_id=user,
                    chat_id=user,
                    role=role,
                    text=message_text(rng, chinese, english, zh),
                    at=start + step * index,
                    speaker="Anna" if role == "user" else None,
                )
            )
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    return batches(), user_ids, english, zh


def queries(rng: random.Random, count: int, english: Vocabulary, zh: Vocabulary) -> list[str]:
    result = []
    for _ in range(count):
        if rng.random() < 0.5:
            words = " and ".join(english.sample(rng, rng.randint(1, 3)))
            result.append(rng.choice(EN_QUESTIONS).format(words))
        else:
            result.append(
                rng.choice(ZH_QUESTIONS).format("和".join(zh.sample(rng, rng.randint(1, 3))))
            )
    return result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def time_each(items: Iterable[T], call: Callable[[T], Awaitable[Any]]) -> list[float]:
    """Milliseconds of ``call(item)`` for each item, one after the other."""
    timings = []
    for item in items:
        started = time.perf_counter()
        await call(item)
        timings.append(1000 * (time.perf_counter() - started))
    return timings


def summary(timings: list[float]) -> dict[str, float]:
    return {"p50": percentile(timings, 0.5), "p95": percentile(timings, 0.95), "max": max(timings)}


async def forget_topic(store: MemoryStore, user: int, topic: str, now: datetime) -> None:
    preview = await store.preview_forget_topic(user_id=user, chat_id=user, topic=topic, now=now)
    await store.forget_items(
        user_id=user, chat_id=user, message_ids=preview.message_ids, fact_ids=preview.fact_ids
    )


async def run(
    total: int, users: int, query_count: int, seed: int, forget_count: int
) -> dict[str, Any]:
    batches, user_ids, english, zh = generate(total, users, seed)
    rng = random.Random(seed + 1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "memory.db"
        store = await MemoryStore.open(path)
        try:
            ingest_started = time.perf_counter()
            stored = 0
            last_at = datetime(2024, 1, 1, tzinfo=UTC)
            for batch in batches:
                await store.add_messages(batch)
                stored += len(batch)
                last_at = batch[-1].at
                if stored % 100_000 == 0:
                    elapsed = time.perf_counter() - ingest_started
                    print(f"  ingested {stored:,} ({stored / elapsed:,.0f} msg/s)", flush=True)
            ingest_seconds = time.perf_counter() - ingest_started
            now = last_at + timedelta(hours=1)
            big_count = (
                await store.database.fetchone("SELECT count(*) FROM messages WHERE scope_id = 1")
            )[0]

            single = await time_each(
                range(300),
                lambda i: store.add_message(
                    user_id=user_ids[i % len(user_ids)],
                    chat_id=user_ids[i % len(user_ids)],
                    role="user",
                    text=message_text(rng, i % 2 == 0, english, zh),
                    at=now,
                ),
            )
            big = await time_each(
                queries(rng, query_count, english, zh),
                lambda q: store.search(user_id=1, query=q, k=10, now=now),
            )
            asked = [(rng.choice(user_ids[1:]), q) for q in queries(rng, query_count, english, zh)]
            others = await time_each(
                asked, lambda pair: store.search(user_id=pair[0], query=pair[1], k=10, now=now)
            )
            recall = await time_each(
                queries(rng, max(query_count // 3, 10), english, zh),
                lambda q: store.recall(user_id=1, chat_id=1, query=q, now=now, budget_tokens=800),
            )
            await store.database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            size = path.stat().st_size  # before forgetting, which merges the index
            topics = [
                (
                    rng.choice(user_ids[1:]),
                    (zh if rng.random() < 0.5 else english).sample(rng, 1)[0],
                )
                for _ in range(forget_count)
            ]
            forget = await time_each(topics, lambda pair: forget_topic(store, *pair, now))
        finally:
            await store.close()
    return {
        "messages": total,
        "users": users,
        "big_user_messages": big_count,
        "ingest_seconds": ingest_seconds,
        "ingest_per_second": total / ingest_seconds,
        "single_add_ms": summary(single),
        "search_big_user_ms": summary(big),
        "search_other_users_ms": summary(others),
        "recall_big_user_ms": summary(recall),
        "forget_topic_ms": summary(forget),
        "database_bytes": size,
        "database_mb_per_million": size / 1e6 * 1e6 / total,
    }


# --- one user with a long history (--one-user) ----------------------------------------------------

#: The people of the LoCoMo conversations, renamed per message from a wider cast, so a long
#: history names many people, as a real one does.
LOCOMO_NAMES = ("Caroline", "Melanie", "Jon", "Gina", "John", "Maria")
CAST = (
    *LOCOMO_NAMES,
    "Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Henry", "Iris", "Jack", "Kate",
    "Liam", "Mia", "Noah", "Olivia", "Paul", "Quinn", "Rosa", "Sam", "Tom", "Uma", "Victor",
    "Wendy", "Xavier", "Yara", "Zoe", "Lena", "Marco", "Nina", "Oscar",
)  # fmt: skip
_NAME_RE = re.compile(r"\b(?:" + "|".join(LOCOMO_NAMES) + r")\b")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+")
#: Questions a Chinese-speaking user asks about their own past, in everyday words.
ZH_RECALL_QUESTIONS = (
    "我上次说的周末计划是什么？", "我们什么时候聊过搬家的事？", "还记得我妈妈生日那天做了什么吗",
    "我之前说过想去哪里旅行？", "我女朋友喜欢吃什么？", "上个月我跟你说过工作上的什么问题？",
    "我去年换工作以后搬过几次家？", "我什么时候开始学吉他的？", "我跟同事聚会那次去了哪家餐厅？",
    "我说过我最喜欢的电影是哪部吗", "我上次感冒是什么时候？", "我们聊过哪些关于健身的事？",
    "我哥哥的孩子叫什么名字？", "还记得我面试的那家公司吗", "我说过我在减肥吗？",
    "我以前住在哪个城市？", "我周末一般做什么？", "我上次去上海是为了什么？",
    "我的猫叫什么？", "我跟你说过我失眠的事吗", "我们上次聊到的那本小说叫什么？",
    "我春节打算怎么过？", "我老板对项目说了什么？", "我最近在看什么连续剧？",
    "我说过想买什么礼物给妈妈？", "我考试复习得怎么样了？", "我之前的室友是谁？",
    "我跟朋友去爬山是哪一天？", "我上次加班到几点？", "我喜欢喝什么茶？",
    "我们聊过演唱会的门票吗", "我弟弟大学读什么专业？", "我什么时候去看医生的？",
    "我说过我想辞职吗？", "我上次点的外卖是什么？", "我的年终奖发了多少？",
    "我宝宝上幼儿园了吗", "我跟男朋友约会去了哪里？", "我去年国庆去哪里旅游了？",
    "我最近心情怎么样？",
)  # fmt: skip


def locomo() -> tuple[list[str], list[str]]:
    """The LoCoMo turns (with their photo captions) and questions."""
    data = json.loads(LOCOMO.read_text())
    turns = []
    for sample in data:
        for key, session in sample["conversation"].items():
            if key.startswith("session_") and isinstance(session, list):
                for turn in session:
                    caption = turn.get("blip_caption")
                    turns.append(turn["text"] + (f" [photo: {caption}]" if caption else ""))
    questions = [str(qa["question"]) for sample in data for qa in sample["qa"]]
    return turns, questions


def varied_turn(rng: random.Random, turns: list[str]) -> str:
    """A LoCoMo turn, its people renamed; one in three spliced with a sentence of another."""
    text = turns[rng.randrange(len(turns))]
    if rng.random() < 1 / 3:
        sentences = _SENTENCE_END_RE.split(turns[rng.randrange(len(turns))])
        extra = rng.choice(sentences)
        text = f"{extra} {text}" if rng.random() < 0.5 else f"{text} {extra}"
    return _NAME_RE.sub(lambda _: rng.choice(CAST), text)


def one_user_history(
    total: int,
    seed: int,
    chinese_share: float,
    turns: list[str] | None = None,
    span: tuple[datetime, datetime] | None = None,
) -> tuple[Iterator[list[NewMessage]], Vocabulary]:
    """Batches of one user's messages (user 1): sessions of 10-40 turns a minute apart,
    spread over ``span`` (three years from 2024 by default), recycling ``turns`` (all LoCoMo
    turns by default); and the Chinese vocabulary of its Chinese messages."""
    rng = random.Random(seed)
    turns = turns or locomo()[0]
    english, zh = english_vocabulary(20_000, rng), chinese_vocabulary(20_000, rng)
    start, end = span or (datetime(2024, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    session_gap = (end - start) / (total / 25)

    def batches() -> Iterator[list[NewMessage]]:
        batch: list[NewMessage] = []
        session_start, position, length = start, 0, rng.randint(10, 40)
        for index in range(total):
            if position == length:
                session_start += session_gap
                position, length = 0, rng.randint(10, 40)
            role = "user" if index % 2 == 0 else "assistant"
            chinese = rng.random() < chinese_share
            text = message_text(rng, True, english, zh) if chinese else varied_turn(rng, turns)
            batch.append(
                NewMessage(
                    user_id=1,
                    chat_id=1,
                    role=role,
                    text=text,
                    at=session_start + timedelta(minutes=position),
                    speaker="Anna" if role == "user" else "Dazi",
                )
            )
            position += 1
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    return batches(), zh


def one_user_queries(rng: random.Random, count: int, chinese_share: float) -> list[str]:
    """LoCoMo questions and Chinese ones (their share as in the history), shuffled."""
    _, questions = locomo()
    chinese = round(count * chinese_share)
    picked = rng.sample(questions, min(count - chinese, len(questions)))
    picked += [ZH_RECALL_QUESTIONS[i % len(ZH_RECALL_QUESTIONS)] for i in range(chinese)]
    rng.shuffle(picked)
    return picked


async def time_with_cpu(
    items: Iterable[T], call: Callable[[T], Awaitable[Any]]
) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds (the whole process, database thread included) of each call."""
    wall, cpu = [], []
    for item in items:
        started, started_cpu = time.perf_counter(), time.process_time()
        await call(item)
        cpu.append(1000 * (time.process_time() - started_cpu))
        wall.append(1000 * (time.perf_counter() - started))
    return wall, cpu


def full_summary(timings: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(timings, 0.5),
        "p95": percentile(timings, 0.95),
        "p99": percentile(timings, 0.99),
        "max": max(timings),
    }


async def run_one_user(
    total: int, query_count: int, seed: int, chinese_share: float, keep: Path | None
) -> dict[str, Any]:
    """Ingest one user's history, then time search and recall for that user."""
    batches, _ = one_user_history(total, seed, chinese_share)
    rng = random.Random(seed + 1)
    asked = one_user_queries(rng, query_count, chinese_share)
    with tempfile.TemporaryDirectory() as folder:
        path = keep or Path(folder) / "memory.db"
        store = await MemoryStore.open(path)
        try:
            ids: list[int] = []
            last_at = datetime(2024, 1, 1, tzinfo=UTC)
            ingest_started = time.perf_counter()
            ingest_cpu = time.process_time()
            for batch in batches:
                ids.extend(await store.add_messages(batch))
                last_at = batch[-1].at
            ingest_seconds = time.perf_counter() - ingest_started
            ingest_cpu_seconds = time.process_time() - ingest_cpu
            now = last_at + timedelta(hours=1)
            recent = ids[-40:]
            for query in ZH_RECALL_QUESTIONS[:3] + tuple(asked[:3]):  # warm-up: jieba, caches
                await store.search(user_id=1, query=query, k=10, now=now)
            search_wall, search_cpu = await time_with_cpu(
                asked, lambda q: store.search(user_id=1, query=q, k=10, now=now)
            )
            recall_wall, recall_cpu = await time_with_cpu(
                asked,
                lambda q: store.recall(
                    user_id=1,
                    chat_id=1,
                    query=q,
                    now=now,
                    budget_tokens=1200,
                    exclude_message_ids=recent,
                ),
            )
            await store.database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            size = path.stat().st_size
        finally:
            await store.close()
    return {
        "messages": total,
        "chinese_share": chinese_share,
        "queries": len(asked),
        "chinese_queries": sum(1 for q in asked if re.search("[\u4e00-\u9fff]", q)),
        "ingest_seconds": ingest_seconds,
        "ingest_cpu_seconds": ingest_cpu_seconds,
        "ingest_per_second": total / ingest_seconds,
        "search_ms": full_summary(search_wall),
        "search_cpu_ms": full_summary(search_cpu),
        "recall_ms": full_summary(recall_wall),
        "recall_cpu_ms": full_summary(recall_cpu),
        "database_bytes": size,
    }


async def run_needle(
    total: int, seed: int, chinese_share: float, caps: list[int]
) -> dict[str, Any]:
    """Evidence recall of a real conversation buried in a long history, per postings cap.

    For each LoCoMo conversation in turn: one user's history of about ``total`` messages made
    (as ``--one-user``) from the turns of the two other conversations, over the conversation's
    own time span, with the conversation's sessions at their own times (filler sessions that
    would overlap them are left out); then its questions are searched as ``memory_recall.py``
    does (k=50, ``now`` just after its last session) with each ``postings_cap``.
    """
    import memory_recall as bench  # the sibling script: the same ingest and evaluation

    samples = json.loads(LOCOMO.read_text())
    answered: dict[int, list[Any]] = {cap: [] for cap in caps}
    timings: dict[int, list[float]] = {cap: [] for cap in caps}
    for held, sample in enumerate(samples):
        needle = bench.conversation_turns(sample["conversation"])
        spans = _session_spans(needle)
        others = [
            turn[2]
            for index, other in enumerate(samples)
            if index != held
            for turn in bench.conversation_turns(other["conversation"])
        ]
        span = (needle[0][3] - timedelta(days=30), needle[-1][3])
        batches, _ = one_user_history(total, seed + held, chinese_share, others, span)
        filler = [
            message
            for batch in batches
            for message in batch
            if not any(first <= message.at <= last for first, last in spans)
        ]
        turns = [
            NewMessage(user_id=1, chat_id=1, role="user", text=text, at=at, speaker=speaker)
            for _, speaker, text, at in needle
        ]
        # Oldest first, so ids follow time as in a real history (neighbours are by id).
        history = sorted(filler + turns, key=lambda message: message.at)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "memory.db"
            store = await MemoryStore.open(path)
            try:
                ids: dict[int, int] = {}
                for first in range(0, len(history), BATCH):
                    chunk = history[first : first + BATCH]
                    for message, message_id in zip(
                        chunk, await store.add_messages(chunk), strict=True
                    ):
                        ids[id(message)] = message_id
            finally:
                await store.close()
            by_dia = {dia: ids[id(turn)] for (dia, *_), turn in zip(needle, turns, strict=True)}
            now = needle[-1][3] + timedelta(hours=1)
            conversation = bench.Conversation(held, 1, by_dia, now, sample["qa"])
            print(
                f"  conversation {held}: {len(turns)} turns among {len(history):,} messages",
                flush=True,
            )
            for cap in caps:
                options = StoreOptions(ranking=replace(RankingConfig(), postings_cap=cap))
                found = await bench.evaluate(path, [conversation], None, options)
                answered[cap].extend(found)
                timings[cap].extend(1000 * item.seconds for item in found)
    return {
        "messages": total,
        "by_cap": {
            cap: {"recall": bench.summary(answered[cap]), "search_ms": full_summary(timings[cap])}
            for cap in caps
        },
    }


def _session_spans(turns: list[tuple[str, str, str, datetime]]) -> list[tuple[datetime, datetime]]:
    """(first, last) time of each session of a LoCoMo conversation (dia ids "D<session>:<n>")."""
    spans: dict[str, tuple[datetime, datetime]] = {}
    for dia, _, _, at in turns:
        session = dia.split(":")[0]
        first, last = spans.get(session, (at, at))
        spans[session] = (min(first, at), max(last, at))
    return list(spans.values())


def print_needle(result: dict[str, Any]) -> None:
    print(
        f"LoCoMo conversations each buried in ~{result['messages']:,} messages of one user;"
        " evidence recall of their questions (k=50 searches), per postings cap"
    )
    for cap, figures in result["by_cap"].items():
        recall = figures["recall"]["recall"]
        timing = figures["search_ms"]
        groups = ", ".join(
            f"{group} {values['@10']:.3f}" for group, values in recall.items() if group != "overall"
        )
        overall = recall["overall"]
        print(
            f"cap {cap}: R@5 {overall['@5']:.3f} R@10 {overall['@10']:.3f}"
            f" R@25 {overall['@25']:.3f} R@50 {overall['@50']:.3f}; R@10 {groups};"
            f" search p50 {timing['p50']:.1f} ms, p95 {timing['p95']:.1f} ms"
        )


def print_one_user(result: dict[str, Any]) -> None:
    print(
        f"one user, {result['messages']:,} messages ({result['chinese_share']:.0%} Chinese);"
        f" {result['queries']} queries ({result['chinese_queries']} Chinese)"
    )
    print(
        f"ingest (add_messages, batches of {BATCH}): {result['ingest_seconds']:.1f} s,"
        f" {result['ingest_per_second']:,.0f} msg/s, CPU {result['ingest_cpu_seconds']:.1f} s"
    )
    for label, key in (
        ("search (k=10) wall", "search_ms"),
        ("search (k=10) CPU", "search_cpu_ms"),
        ("recall (1,200 tokens) wall", "recall_ms"),
        ("recall (1,200 tokens) CPU", "recall_cpu_ms"),
    ):
        f = result[key]
        print(
            f"{label}: p50 {f['p50']:.1f} ms, p95 {f['p95']:.1f} ms, p99 {f['p99']:.1f} ms,"
            f" max {f['max']:.1f} ms"
        )
    print(f"database: {result['database_bytes'] / 1e6:,.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=300, help="per user group")
    parser.add_argument("--forgets", type=int, default=10, help="topics forgotten")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--one-user", type=int, metavar="N", help="one user with N messages (see the docstring)"
    )
    parser.add_argument("--chinese-share", type=float, default=1 / 6, help="with --one-user")
    parser.add_argument("--keep", type=Path, help="with --one-user: keep the database here")
    parser.add_argument(
        "--needle",
        metavar="CAPS",
        help="with --one-user: LoCoMo recall inside the history, per postings cap (4000,1000)",
    )
    args = parser.parse_args()
    if args.one_user and args.needle:
        caps = [int(cap) for cap in args.needle.split(",")]
        needle = asyncio.run(run_needle(args.one_user, args.seed, args.chinese_share, caps))
        print(json.dumps(needle, indent=2)) if args.json else print_needle(needle)
        return
    if args.one_user:
        if args.keep is not None and args.keep.exists():
            parser.error(f"{args.keep} exists: --keep makes a new database")
        figures = asyncio.run(
            run_one_user(args.one_user, args.queries, args.seed, args.chinese_share, args.keep)
        )
        print(json.dumps(figures, indent=2)) if args.json else print_one_user(figures)
        return
    result = asyncio.run(run(args.messages, args.users, args.queries, args.seed, args.forgets))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{result['messages']:,} messages, {result['users']:,} users "
        f"(big user: {result['big_user_messages']:,})"
    )
    print(
        f"ingest (add_messages, batches of {BATCH}): {result['ingest_per_second']:,.0f} msg/s "
        f"({result['ingest_seconds']:.0f} s)"
    )
    for label, key in (
        ("add_message one at a time", "single_add_ms"),
        ("search, big user", "search_big_user_ms"),
        ("search, other users", "search_other_users_ms"),
        ("recall, big user", "recall_big_user_ms"),
        ("forget a topic (preview + delete + scrub)", "forget_topic_ms"),
    ):
        figures = result[key]
        print(
            f"{label}: p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms,"
            f" max {figures['max']:.1f} ms"
        )
    print(
        f"database: {result['database_bytes'] / 1e6:,.0f} MB "
        f"({result['database_mb_per_million']:,.0f} MB per million messages)"
    )


if __name__ == "__main__":
    main()
