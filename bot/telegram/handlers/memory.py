"""What Dazi remembers, in the user's hands: /memory, /remember, /forget, /search and /export.

In a private chat these work on the user's own memory; in a group, on the group's memory (never a
member's private one). In groups, deleting (🗑, /forget) and /export are for admins. Buttons
carry a :class:`ForOwner` payload (the person who asked: only they may tap it), encoded by
``bot.telegram.callbacks``.
Everything is sent as plain text, so remembered words are never read as markup.

``/forget <topic>`` previews what the topic takes from every store (memory, reminders, people's
notes, pending buttons: see :meth:`bot.account.AccountService.preview_topic`), with counts per
kind and a few examples; the ids stay here, on the server, under a short token, and the confirm
button deletes exactly those. When the topic names a person, deleting that person is offered as
a separate button, never included in the plain confirm.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import CallbackQuery, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.account import TopicExample, TopicPreview
from bot.i18n import Catalog, detect_language
from bot.memory import Fact, MemoryHit, MemoryKeys
from bot.outbound import Button, Feature, TapHandlers, TapSet
from bot.services import Services
from bot.telegram.callbacks import decode, markup, pattern
from bot.telegram.handlers.common import App, Command, language_of, services
from bot.telegram.handlers.groups import argument, is_group_admin
from bot.telegram.updates import incoming_from

__all__ = [
    "COMMANDS",
    "TAPS",
    "FactToDelete",
    "FactsPage",
    "ForOwner",
    "Previewed",
    "Taps",
    "register",
]

COMMANDS = [
    Command("memory", "What I know about you (delete with 🗑)", "我记得的关于你的事（可用🗑删除）"),
    Command(
        "remember", "Tell me something to remember: /remember ...", "让我记住一件事：/remember ..."
    ),
    Command("forget", "Forget a topic, or /forget all", "忘掉某个话题，或 /forget all 全部忘掉"),
    Command("search", "Search our past messages: /search words", "搜索聊天记录：/search 关键词"),
    Command("export", "Download everything I store about you", "下载我保存的关于你的全部数据"),
]

PAGE_SIZE = 5
SEARCH_RESULTS = 8
_SNIPPET_CHARS = 160
_MAX_FACT_CHARS = 500
_PENDING_SECONDS = 15 * 60
_PENDING_MAX = 1000
_ALL_WORDS = {"all", "everything", "全部", "所有", "一切"}

TEXTS = Catalog(
    {
        "facts_head": {
            "en": "🧠 What I know about you ({count}):",
            "zh": "🧠 我记得的关于你的事（{count} 条）：",
        },
        "facts_head_group": {
            "en": "🧠 What I know about this group ({count}):",
            "zh": "🧠 我记得的关于这个群的事（{count} 条）：",
        },
        "facts_page": {"en": "Page {page} of {pages}.", "zh": "第 {page}/{pages} 页。"},
        "facts_hint": {
            "en": "Tap 🗑 and a number to delete a fact.",
            "zh": "点 🗑 加序号可以删除对应的一条。",
        },
        "facts_empty": {
            "en": "I don't know any facts about you yet. Just tell me about yourself, or use "
            "/remember followed by what I should keep in mind.",
            "zh": "我还不知道关于你的事。跟我聊聊你自己吧，或者用 /remember 加上要我记住的内容。",
        },
        "facts_empty_group": {
            "en": "I don't know any facts about this group yet. /remember adds one.",
            "zh": "我还不知道关于这个群的事。用 /remember 可以添加。",
        },
        "fact_deleted": {"en": "Deleted.", "zh": "已删除。"},
        "fact_gone": {"en": "That fact was already gone.", "zh": "这条已经不在了。"},
        "remember_usage": {
            "en": "Tell me what to remember after the command, for example:\n"
            "/remember My sister Mia's birthday is on 3 May",
            "zh": "在命令后面写上要我记住的事，例如：\n/remember 我妹妹的生日是5月3日",
        },
        "remembered": {
            "en": "Got it, I'll remember: “{text}”\n/memory shows everything I know.",
            "zh": "好的，我记住了：“{text}”\n用 /memory 可以查看我记得的所有事。",
        },
        "forget_usage": {
            "en": "What should I forget? For example /forget my old job\n"
            "Or /forget all to delete everything.",
            "zh": "要我忘掉什么？例如 /forget 以前的工作\n或者用 /forget all 删除全部。",
        },
        "forget_nothing": {
            "en": "I found nothing about “{topic}” to forget.",
            "zh": "没有找到关于“{topic}”的内容。",
        },
        "forget_preview": {
            "en": "About “{topic}” I would delete {counts}, for example:",
            "zh": "关于“{topic}”，我会删除 {counts}，例如：",
        },
        "forget_only_people": {
            "en": "I found nothing else about “{topic}” to delete, but it is someone you told me "
            "about:",
            "zh": "关于“{topic}”没有找到别的可删除的内容，不过这是你跟我提过的人：",
        },
        "forget_people_choice": {
            "en": "“{topic}” is also someone you told me about: {people}. Only if you choose "
            "“{button}” do I delete them too, with their dates, notes and contacts.",
            "zh": "“{topic}”也是你跟我提过的人：{people}。只有你选择“{button}”时，"
            "我才会把这个人连同生日、备注和联系记录一起删除。",
        },
        "forget_confirm_question": {
            "en": "Delete them everywhere (search included)? This can't be undone.",
            "zh": "要从所有地方（包括搜索）删除吗？删除后无法恢复。",
        },
        "forget_people_question": {
            "en": "Delete them? This can't be undone.",
            "zh": "要删除吗？删除后无法恢复。",
        },
        "forget_done": {
            "en": "Done: I forgot {counts} about “{topic}”.",
            "zh": "好了：关于“{topic}”的 {counts}已经删除。",
        },
        "forget_done_nothing": {
            "en": "Done: nothing about “{topic}” was left to delete.",
            "zh": "好了：关于“{topic}”已经没有可删除的内容了。",
        },
        "forget_all_question": {
            "en": "This deletes everything I have about you: {counts}, and your settings. "
            "It can't be undone. Are you sure?",
            "zh": "这会删除我保存的关于你的一切：{counts}，以及你的设置。删除后无法恢复。确定吗？",
        },
        "forget_all_question_group": {
            "en": "This deletes everything I have about this group: {counts}, and its settings. "
            "It can't be undone. Are you sure?",
            "zh": "这会删除我保存的关于这个群的一切：{counts}，以及群设置。"
            "删除后无法恢复。确定吗？",
        },
        "forget_all_done": {
            "en": "Done. I've forgotten everything about you. If you write to me again, we "
            "start from scratch.",
            "zh": "好了，关于你的一切我都忘掉了。如果你再给我发消息，我们就从头开始。",
        },
        "forget_all_done_group": {
            "en": "Done. I've forgotten everything about this group.",
            "zh": "好了，关于这个群的一切我都忘掉了。",
        },
        "cancelled": {"en": "OK, nothing was deleted.", "zh": "好的，什么都没有删除。"},
        "expired": {
            "en": "This request has expired; please send the command again.",
            "zh": "这个请求已经过期了，请重新发送命令。",
        },
        "search_usage": {
            "en": "What should I look for? For example /search guitar lessons",
            "zh": "要找什么？例如 /search 吉他课",
        },
        "search_none": {
            "en": "I found nothing about “{query}”.",
            "zh": "没有找到关于“{query}”的消息。",
        },
        "search_head": {
            "en": "🔎 “{query}”, best matches first:",
            "zh": "🔎 “{query}”，最相关的在前：",
        },
        "export_caption": {
            "en": "Everything I store about you: messages, facts, reminders and settings.",
            "zh": "我保存的关于你的全部数据：消息、记忆、提醒和设置。",
        },
        "export_caption_group": {
            "en": "Everything I store about this group: messages, facts, reminders and settings.",
            "zh": "我保存的关于这个群的全部数据：消息、记忆、提醒和设置。",
        },
        "admins_only": {
            "en": "In a group, only its admins can do that.",
            "zh": "在群里只有管理员可以这样做。",
        },
        "not_yours": {
            "en": "These buttons belong to the person who asked.",
            "zh": "这些按钮只有发起的人可以用。",
        },
        "button_confirm": {"en": "✅ Yes, delete", "zh": "✅ 确认删除"},
        "button_confirm_people": {"en": "👤 Also delete {name}", "zh": "👤 连同{name}一起删除"},
        "button_delete_people": {"en": "👤 Delete {name}", "zh": "👤 删除{name}"},
        "button_confirm_all": {"en": "🗑 Yes, delete everything", "zh": "🗑 确认全部删除"},
        "button_cancel": {"en": "✖️ Cancel", "zh": "✖️ 取消"},
        "count_messages": {"en": "{n} message(s)", "zh": "{n} 条消息"},
        "count_facts": {"en": "{n} fact(s)", "zh": "{n} 条记忆"},
        "count_reminders": {"en": "{n} reminder(s)", "zh": "{n} 个提醒"},
        "count_people": {"en": "{n} people", "zh": "{n} 个人物"},
        "count_person": {"en": "{n} person(s)", "zh": "{n} 个人物"},
        "count_person_notes": {"en": "{n} note(s) about people", "zh": "{n} 条人物备注"},
        "count_contact_notes": {"en": "{n} contact note(s)", "zh": "{n} 条联系记录备注"},
        "count_reminder_drafts": {
            "en": "{n} pending reminder suggestion(s)",
            "zh": "{n} 条待确认的提醒建议",
        },
        "count_people_pending": {
            "en": "{n} pending people confirmation(s)",
            "zh": "{n} 条待确认的人物操作",
        },
        "count_pending_documents": {
            "en": "the rest of {n} document(s) not yet stored",
            "zh": "{n} 个文档中尚未存入的部分",
        },
        "and": {"en": " and ", "zh": "和 "},
    }
)

#: The kinds of records a topic forget shows, in order, with their count label and marker.
_TOPIC_KINDS = (
    ("messages", "count_messages", ""),
    ("facts", "count_facts", ""),
    ("reminders", "count_reminders", "⏰ "),
    ("person_notes", "count_person_notes", "📝 "),
    ("contact_notes", "count_contact_notes", "📝 "),
    ("reminder_drafts", "count_reminder_drafts", "⏳ "),
    ("people_pending", "count_people_pending", "⏳ "),
    ("pending_documents", "count_pending_documents", "📄 "),
)
#: Examples shown in a topic preview, in all.
_TOPIC_EXAMPLES = 6

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# -- scope and small helpers --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scope:
    """Whose memory a command works on: the user's (private) or the group's."""

    user_id: int
    chat_id: int

    @property
    def group(self) -> bool:
        return self.chat_id < 0

    @property
    def keys(self) -> MemoryKeys:
        return MemoryKeys(user_id=self.user_id, chat_id=self.chat_id)


def _scope_of(message: Message) -> _Scope:
    assert message.from_user is not None
    return _Scope(user_id=message.from_user.id, chat_id=message.chat.id)


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[Message, str] | None:
    """The command's message (its sender registered) and the sender's language."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return None
    await services(context).conversation.register(incoming_from(message))
    return message, await language_of(update, context)


async def _may_delete(context: ContextTypes.DEFAULT_TYPE, scope: _Scope) -> bool:
    """Anyone in their own private memory; a group's admins in the group's."""
    return not scope.group or await is_group_admin(context, scope.chat_id, scope.user_id)


def _clip(text: str, size: int = _SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


@dataclass(frozen=True, slots=True)
class ForOwner:
    """The payload of every /memory and /forget button: only ``owner`` (who asked) may tap
    it."""

    owner: int


@dataclass(frozen=True, slots=True)
class FactsPage(ForOwner):
    page: int = 0


@dataclass(frozen=True, slots=True)
class FactToDelete(ForOwner):
    fact_id: int
    #: The page it was listed on (shown again after the delete).
    page: int


@dataclass(frozen=True, slots=True)
class Previewed(ForOwner):
    """A /forget preview kept on the server under ``token``."""

    token: int


#: Every /memory and /forget tap, for the transport to read a tapped button back.
TAPS = TapSet(Feature.MEMORY)


class Taps:
    """What a /memory or /forget button does (short names: they travel in the button)."""

    PAGE = TAPS.add("p", FactsPage)
    DELETE = TAPS.add("d", FactToDelete)
    FORGET_TOPIC = TAPS.add("fy", Previewed)
    FORGET_WITH_PEOPLE = TAPS.add("fp", Previewed)
    CANCEL_TOPIC = TAPS.add("fn", Previewed)
    FORGET_ALL = TAPS.add("ay", ForOwner)
    CANCEL = TAPS.add("n", ForOwner)


def _local(moment: datetime, zone: str, lang: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    if lang == "zh":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {_EN_MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"


async def _zone_of(svc: Services, user_id: int) -> str:
    user = await svc.users.get(user_id)
    return svc.conversation.timezone_of(user) if user else svc.settings.default_timezone


# -- /memory ------------------------------------------------------------------------------------


async def memory_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the facts Dazi knows (the user's, or the group's), a page at a time."""
    started = await _start(update, context)
    if started is None:
        return
    message, lang = started
    scope = _scope_of(message)
    text, markup = await _facts_view(context, scope, 0, lang)
    await message.reply_text(text, reply_markup=markup)


async def _facts_view(
    context: ContextTypes.DEFAULT_TYPE, scope: _Scope, page: int, lang: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of facts with 🗑 buttons (for those who may delete) and ◀ ▶."""
    memory = services(context).memory
    facts, total = await memory.list_facts(**scope.keys, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    if not facts and page > 0:  # the last fact of the last page was deleted
        page = max(0, (total - 1) // PAGE_SIZE)
        facts, total = await memory.list_facts(
            **scope.keys, offset=page * PAGE_SIZE, limit=PAGE_SIZE
        )
    if not facts:
        return TEXTS("facts_empty_group" if scope.group else "facts_empty", lang), None
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    first = page * PAGE_SIZE + 1
    head = TEXTS("facts_head_group" if scope.group else "facts_head", lang, count=total)
    lines = [head, ""]
    lines += [f"{number}. {fact.text}" for number, fact in enumerate(facts, first)]
    deletable = await _may_delete(context, scope)
    lines.append("")
    if pages > 1:
        lines.append(TEXTS("facts_page", lang, page=page + 1, pages=pages))
    if deletable:
        lines.append(TEXTS("facts_hint", lang))
    return "\n".join(lines).strip(), _facts_markup(scope, facts, first, page, pages, deletable)


def _facts_markup(
    scope: _Scope, facts: list[Fact], first: int, page: int, pages: int, deletable: bool
) -> InlineKeyboardMarkup | None:
    owner = scope.user_id
    delete = [
        Taps.DELETE.button(f"🗑 {number}", FactToDelete(owner, fact.id, page))
        for number, fact in enumerate(facts, first)
    ]
    nav = []
    if page > 0:
        nav.append(Taps.PAGE.button("◀", FactsPage(owner, page - 1)))
    if page < pages - 1:
        nav.append(Taps.PAGE.button("▶", FactsPage(owner, page + 1)))
    return markup([delete if deletable else [], nav])


# -- /remember ----------------------------------------------------------------------------------


async def remember_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the text after the command as a fact, and confirm."""
    started = await _start(update, context)
    if started is None:
        return
    message, lang = started
    text = " ".join(argument(message).split())[:_MAX_FACT_CHARS]
    if not text:
        await message.reply_text(TEXTS("remember_usage", lang))
        return
    svc = services(context)
    await svc.memory.add_fact(**_scope_of(message).keys, text=text, now=svc.clock.now())
    lang = detect_language(text, fallback=lang)
    await message.reply_text(TEXTS("remembered", lang, text=text))


# -- /search ------------------------------------------------------------------------------------


async def search_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List past messages matching the words, best first, dated in the user's local time."""
    started = await _start(update, context)
    if started is None:
        return
    message, lang = started
    query = argument(message)
    if not query:
        await message.reply_text(TEXTS("search_usage", lang))
        return
    svc, scope = services(context), _scope_of(message)
    hits = await svc.memory.search(
        user_id=scope.user_id,
        chat_id=scope.chat_id,
        query=query,
        k=SEARCH_RESULTS,
        now=svc.clock.now(),
    )
    if not hits:
        await message.reply_text(TEXTS("search_none", lang, query=_clip(query, 80)))
        return
    zone = await _zone_of(svc, scope.user_id)
    lines = [TEXTS("search_head", lang, query=_clip(query, 80)), ""]
    lines += [_hit_line(number, hit, zone, lang) for number, hit in enumerate(hits, 1)]
    await message.reply_text("\n".join(lines))


def _hit_line(number: int, hit: MemoryHit, zone: str, lang: str) -> str:
    speaker = hit.speaker or ("Dazi" if hit.role == "assistant" else "")
    who = f"{speaker}: " if speaker else ""
    return f"{number}. {_local(hit.at, zone, lang)} · {who}{_clip(hit.text)}"


# -- /forget ------------------------------------------------------------------------------------


class _Pending:
    """Previews waiting for Confirm: exactly what to delete (every owner's ids, kept here on
    the server), by a short token in the button, for the scope that asked (kept 15 min)."""

    def __init__(self) -> None:
        self._items: OrderedDict[int, tuple[float, _Scope, TopicPreview]] = OrderedDict()
        self._tokens = itertools.count(1)

    def put(self, scope: _Scope, preview: TopicPreview) -> int:
        token = next(self._tokens)
        self._items[token] = (time.monotonic(), scope, preview)
        while len(self._items) > _PENDING_MAX:
            self._items.popitem(last=False)
        return token

    def take(self, token: int, scope: _Scope) -> TopicPreview | None:
        item = self._items.get(token)
        if item is None or item[1] != scope:
            return None
        del self._items[token]
        if time.monotonic() - item[0] > _PENDING_SECONDS:
            return None
        return item[2]


def _pending(context: ContextTypes.DEFAULT_TYPE) -> _Pending:
    pending: _Pending = context.application.bot_data.setdefault(
        "memory_pending_forgets", _Pending()
    )
    return pending


def _counts_text(counts: dict[str, int], lang: str, *, person: bool = False) -> str:
    """The kinds that have records, in order: "2 message(s), 1 fact(s) and 1 reminder(s)"."""
    kinds = [(kind, key) for kind, key, _ in _TOPIC_KINDS]
    if person:
        kinds.append(("people", "count_person"))
    parts = [TEXTS(key, lang, n=counts[kind]) for kind, key in kinds if counts.get(kind)]
    if len(parts) <= 1:
        return "".join(parts)
    separator = "、" if lang == "zh" else ", "
    return separator.join(parts[:-1]) + TEXTS("and", lang) + parts[-1]


def _example_line(example: TopicExample, marker: str, zone: str, lang: str) -> str:
    when = f"{_local(example.at, zone, lang)} · " if example.at else ""
    return f"• {marker}{when}{_clip(example.text, 100)}"


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Preview what forgetting a topic (or everything) deletes, with Confirm / Cancel."""
    started = await _start(update, context)
    if started is None:
        return
    message, lang = started
    topic, scope = argument(message), _scope_of(message)
    if not topic:
        await message.reply_text(TEXTS("forget_usage", lang))
        return
    if not await _may_delete(context, scope):
        await message.reply_text(TEXTS("admins_only", lang))
        return
    if topic.lower() in _ALL_WORDS:
        await _ask_forget_all(message, context, scope, lang)
    else:
        await _ask_forget_topic(message, context, scope, topic, lang)


async def _ask_forget_topic(
    message: Message, context: ContextTypes.DEFAULT_TYPE, scope: _Scope, topic: str, lang: str
) -> None:
    """Show what the topic would take from every store (counts per kind, a few examples) with
    Confirm / Cancel, and a separate button for the people the topic names, if any."""
    svc = services(context)
    preview = await svc.account.preview_topic(**scope.keys, topic=topic)
    shown_topic = _clip(topic, 80)
    if preview.is_empty:
        await message.reply_text(TEXTS("forget_nothing", lang, topic=shown_topic))
        return
    zone = await _zone_of(svc, scope.user_id)
    people = [example.text for example in preview.examples("people")]
    names = ", ".join(people) if lang != "zh" else "、".join(people)
    name = _clip(people[0], 24) if len(people) == 1 else shown_topic[:24]
    lines: list[str] = []
    if preview.has_items:
        counts = _counts_text(preview.counts(), lang)
        lines.append(TEXTS("forget_preview", lang, topic=shown_topic, counts=counts))
        lines += _examples(preview, zone, lang)
        if people:
            button = TEXTS("button_confirm_people", lang, name=name)
            lines.append(
                TEXTS("forget_people_choice", lang, topic=shown_topic, people=names, button=button)
            )
        lines.append(TEXTS("forget_confirm_question", lang))
    else:
        lines.append(TEXTS("forget_only_people", lang, topic=shown_topic))
        lines += [f"• 👤 {person}" for person in people]
        lines.append(TEXTS("forget_people_question", lang))
    previewed = Previewed(scope.user_id, _pending(context).put(scope, preview))
    first: list[Button] = []
    if preview.has_items:
        first.append(Taps.FORGET_TOPIC.button(TEXTS("button_confirm", lang), previewed))
    if people:
        key = "button_confirm_people" if preview.has_items else "button_delete_people"
        label = TEXTS(key, lang, name=name)
        first.append(Taps.FORGET_WITH_PEOPLE.button(label, previewed))
    cancel = Taps.CANCEL_TOPIC.button(TEXTS("button_cancel", lang), previewed)
    rows = [[*first, cancel]] if len(first) == 1 else [first, [cancel]]
    await message.reply_text("\n".join(lines), reply_markup=markup(rows))


def _examples(preview: TopicPreview, zone: str, lang: str) -> list[str]:
    """A couple of examples of each kind, at most :data:`_TOPIC_EXAMPLES` in all."""
    lines = []
    facts_first = sorted(_TOPIC_KINDS, key=lambda kind: kind[0] != "facts")
    for kind, _, marker in facts_first:
        for example in preview.examples(kind)[:2]:
            lines.append(_example_line(example, marker, zone, lang))
    return lines[:_TOPIC_EXAMPLES]


async def _ask_forget_all(
    message: Message, context: ContextTypes.DEFAULT_TYPE, scope: _Scope, lang: str
) -> None:
    counts = await services(context).account.counts(**scope.keys)
    # The user's own words in groups go too (see bot.account.MemoryData).
    counts["messages"] = counts.get("messages", 0) + counts.pop("group_messages", 0)
    shown = [
        TEXTS(f"count_{kind}", lang, n=counts.get(kind, 0))
        for kind in ("messages", "facts", "reminders", "people")
        if kind in counts
    ]
    key = "forget_all_question_group" if scope.group else "forget_all_question"
    separator = "、" if lang == "zh" else ", "
    owner = scope.user_id
    buttons = markup(
        [
            [Taps.FORGET_ALL.button(TEXTS("button_confirm_all", lang), ForOwner(owner))],
            [Taps.CANCEL.button(TEXTS("button_cancel", lang), ForOwner(owner))],
        ]
    )
    await message.reply_text(TEXTS(key, lang, counts=separator.join(shown)), reply_markup=buttons)


# -- /export ------------------------------------------------------------------------------------


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send one JSON file with everything stored about the user (or, for admins, the group)."""
    started = await _start(update, context)
    if started is None:
        return
    message, lang = started
    scope, svc = _scope_of(message), services(context)
    if scope.group and not await is_group_admin(context, scope.chat_id, scope.user_id):
        await message.reply_text(TEXTS("admins_only", lang))
        return
    document = await svc.account.export(**scope.keys)
    payload = json.dumps(document, ensure_ascii=False, indent=2, default=str).encode()
    name = f"dazi-export-{'group' if scope.group else 'me'}-{svc.clock.now():%Y-%m-%d}.json"
    await message.reply_document(
        InputFile(io.BytesIO(payload), filename=name),
        caption=TEXTS("export_caption_group" if scope.group else "export_caption", lang),
    )


# -- buttons ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tapped:
    """A tapped /memory or /forget button: its message, whose memory, who tapped it."""

    message: Message
    context: ContextTypes.DEFAULT_TYPE
    scope: _Scope
    lang: str
    query: CallbackQuery


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Page, delete a fact, confirm or cancel a forget; only the owner may tap."""
    query = update.callback_query
    if query is None or query.data is None or not isinstance(query.message, Message):
        return
    lang = await language_of(update, context)
    action = decode(query.data, TAPS)
    if action is None or not isinstance(action.payload, ForOwner):
        await _toast(query, "")
        return
    owner = action.payload.owner
    if query.from_user.id != owner:
        await _toast(query, TEXTS("not_yours", lang), alert=True)
        return
    scope = _Scope(user_id=owner, chat_id=query.message.chat.id)
    await _HANDLERS.run(_Tapped(query.message, context, scope, lang, query), action)


async def _on_page(tapped: _Tapped, payload: FactsPage) -> None:
    await _toast(tapped.query, "")
    text, markup = await _facts_view(tapped.context, tapped.scope, payload.page, tapped.lang)
    await _edit(tapped.message, text, markup)


async def _on_delete(tapped: _Tapped, payload: FactToDelete) -> None:
    context, scope, lang = tapped.context, tapped.scope, tapped.lang
    if not await _may_delete(context, scope):
        await _toast(tapped.query, TEXTS("admins_only", lang), alert=True)
        return
    deleted = await services(context).memory.delete_fact(**scope.keys, fact_id=payload.fact_id)
    await _toast(tapped.query, TEXTS("fact_deleted" if deleted else "fact_gone", lang))
    text, markup = await _facts_view(context, scope, payload.page, lang)
    await _edit(tapped.message, text, markup)


async def _on_forget_yes(tapped: _Tapped, payload: Previewed) -> None:
    await _forget_previewed(tapped, payload.token, people=False)


async def _on_forget_people(tapped: _Tapped, payload: Previewed) -> None:
    await _forget_previewed(tapped, payload.token, people=True)


async def _forget_previewed(tapped: _Tapped, token: int, *, people: bool) -> None:
    """Delete exactly what the preview showed (with the named people only when chosen)."""
    message, context, scope, lang = tapped.message, tapped.context, tapped.scope, tapped.lang
    preview = _pending(context).take(token, scope)
    await _toast(tapped.query, "")
    if preview is None:
        await _edit(message, TEXTS("expired", lang), None)
        return
    if not await _may_delete(context, scope):
        await _edit(message, TEXTS("admins_only", lang), None)
        return
    counts = await services(context).account.forget_topic(
        preview, **scope.keys, include_optional=people
    )
    topic = _clip(preview.topic, 80)
    if not any(counts.values()):
        await _edit(message, TEXTS("forget_done_nothing", lang, topic=topic), None)
        return
    text = TEXTS("forget_done", lang, topic=topic, counts=_counts_text(counts, lang, person=True))
    await _edit(message, text, None)


async def _on_forget_no(tapped: _Tapped, payload: Previewed) -> None:
    _pending(tapped.context).take(payload.token, tapped.scope)
    await _on_cancel(tapped, payload)


async def _on_cancel(tapped: _Tapped, payload: ForOwner) -> None:
    await _toast(tapped.query, "")
    await _edit(tapped.message, TEXTS("cancelled", tapped.lang), None)


async def _on_forget_all(tapped: _Tapped, payload: ForOwner) -> None:
    context, scope = tapped.context, tapped.scope
    await _toast(tapped.query, "")
    if not await _may_delete(context, scope):
        await _edit(tapped.message, TEXTS("admins_only", tapped.lang), None)
        return
    await services(context).account.forget_all(**scope.keys)
    key = "forget_all_done_group" if scope.group else "forget_all_done"
    await _edit(tapped.message, TEXTS(key, tapped.lang), None)


_HANDLERS: TapHandlers[_Tapped, [], None] = TapHandlers(TAPS)
_HANDLERS.on(Taps.PAGE, _on_page)
_HANDLERS.on(Taps.DELETE, _on_delete)
_HANDLERS.on(Taps.FORGET_TOPIC, _on_forget_yes)
_HANDLERS.on(Taps.FORGET_WITH_PEOPLE, _on_forget_people)
_HANDLERS.on(Taps.CANCEL_TOPIC, _on_forget_no)
_HANDLERS.on(Taps.FORGET_ALL, _on_forget_all)
_HANDLERS.on(Taps.CANCEL, _on_cancel)
_HANDLERS.complete()


async def _toast(query: CallbackQuery, text: str, *, alert: bool = False) -> None:
    with contextlib.suppress(TelegramError):
        await query.answer(text or None, show_alert=alert)


async def _edit(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Replace the message with the button (a new message if Telegram will not edit it)."""
    try:
        await message.edit_text(text, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            await message.reply_text(text, reply_markup=markup)


def register(app: App) -> None:
    """Add this module's handlers to the application."""
    app.add_handler(CommandHandler("memory", memory_command))
    app.add_handler(CommandHandler("remember", remember_command))
    app.add_handler(CommandHandler("forget", forget_command))
    app.add_handler(CommandHandler("search", search_command))
    app.add_handler(CommandHandler("export", export_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=pattern(Feature.MEMORY)))
