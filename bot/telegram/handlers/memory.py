"""What Dazi remembers, in the user's hands: /memory, /remember, /forget, /search and /export.

In a private chat these work on the user's own memory; in a group, on the group's memory (never a
member's private one). In groups, deleting (🗑, /forget) and /export are for admins. Buttons
carry ``mem:<action>:<owner>[:...]`` (≤ 64 bytes) and only the person who asked may tap them.
Everything is sent as plain text, so remembered words are never read as markup.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.i18n import Catalog, detect_language
from bot.memory import Fact, ForgetPreview, MemoryHit
from bot.services import Services
from bot.telegram.handlers.common import Command, language_of, services
from bot.telegram.handlers.groups import argument, is_group_admin
from bot.telegram.updates import incoming_from

__all__ = ["COMMANDS", "register"]

COMMANDS = [
    Command("memory", "What I know about you (delete with 🗑)", "我记得的关于你的事（可用🗑删除）"),
    Command(
        "remember", "Tell me something to remember: /remember ...", "让我记住一件事：/remember ..."
    ),
    Command("forget", "Forget a topic, or /forget all", "忘掉某个话题，或 /forget all 全部忘掉"),
    Command("search", "Search our past messages: /search words", "搜索聊天记录：/search 关键词"),
    Command("export", "Download everything I store about you", "下载我保存的关于你的全部数据"),
]

PREFIX = "mem:"
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
            "en": "About “{topic}” I would delete {messages} message(s) and {facts} fact(s), "
            "for example:",
            "zh": "关于“{topic}”，我会删除 {messages} 条消息和 {facts} 条记忆，例如：",
        },
        "forget_confirm_question": {
            "en": "Delete them everywhere (search included)? This can't be undone.",
            "zh": "要从所有地方（包括搜索）删除吗？删除后无法恢复。",
        },
        "forget_done": {
            "en": "Done: I forgot {messages} message(s) and {facts} fact(s) about “{topic}”.",
            "zh": "好了：关于“{topic}”的 {messages} 条消息和 {facts} 条记忆已经删除。",
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
        "button_confirm_all": {"en": "🗑 Yes, delete everything", "zh": "🗑 确认全部删除"},
        "button_cancel": {"en": "✖️ Cancel", "zh": "✖️ 取消"},
        "count_messages": {"en": "{n} message(s)", "zh": "{n} 条消息"},
        "count_facts": {"en": "{n} fact(s)", "zh": "{n} 条记忆"},
        "count_reminders": {"en": "{n} reminder(s)", "zh": "{n} 个提醒"},
        "count_people": {"en": "{n} people", "zh": "{n} 个人物"},
    }
)

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
    def keys(self) -> dict[str, int]:
        return {"user_id": self.user_id, "chat_id": self.chat_id}


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


def _markup(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    rows = [row for row in rows if row]
    if not rows:
        return None
    for row in rows:
        for _, data in row:
            assert len(data.encode()) <= 64, data
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


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
        (f"🗑 {number}", f"{PREFIX}d:{owner}:{fact.id}:{page}")
        for number, fact in enumerate(facts, first)
    ]
    nav = []
    if page > 0:
        nav.append(("◀", f"{PREFIX}p:{owner}:{page - 1}"))
    if page < pages - 1:
        nav.append(("▶", f"{PREFIX}p:{owner}:{page + 1}"))
    return _markup([delete if deletable else [], nav])


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
    lang = detect_language(text, fallback=lang)  # type: ignore[arg-type]
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
    """Previews waiting for Confirm: what exactly to delete, by a short token (kept 15 min)."""

    def __init__(self) -> None:
        self._items: OrderedDict[int, tuple[float, _Scope, ForgetPreview]] = OrderedDict()
        self._tokens = itertools.count(1)

    def put(self, scope: _Scope, preview: ForgetPreview) -> int:
        token = next(self._tokens)
        self._items[token] = (time.monotonic(), scope, preview)
        while len(self._items) > _PENDING_MAX:
            self._items.popitem(last=False)
        return token

    def take(self, token: int, scope: _Scope) -> ForgetPreview | None:
        item = self._items.get(token)
        if item is None or item[1] != scope:
            return None
        del self._items[token]
        if time.monotonic() - item[0] > _PENDING_SECONDS:
            return None
        return item[2]


def _pending(context: ContextTypes.DEFAULT_TYPE) -> _Pending:
    return context.application.bot_data.setdefault("memory_pending_forgets", _Pending())


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
    svc = services(context)
    preview = await svc.memory.preview_forget_topic(**scope.keys, topic=topic, now=svc.clock.now())
    if preview.is_empty:
        await message.reply_text(TEXTS("forget_nothing", lang, topic=_clip(topic, 80)))
        return
    zone = await _zone_of(svc, scope.user_id)
    lines = [
        TEXTS(
            "forget_preview",
            lang,
            topic=_clip(topic, 80),
            messages=len(preview.message_ids),
            facts=len(preview.fact_ids),
        )
    ]
    lines += [f"• {fact.text}" for fact in preview.facts[:2]]
    for hit in preview.sample_messages[: max(0, 3 - min(2, len(preview.facts)))]:
        lines.append(f"• {_local(hit.at, zone, lang)} · {_clip(hit.text, 100)}")
    lines.append(TEXTS("forget_confirm_question", lang))
    token = _pending(context).put(scope, preview)
    owner = scope.user_id
    markup = _markup(
        [
            [
                (TEXTS("button_confirm", lang), f"{PREFIX}fy:{owner}:{token}"),
                (TEXTS("button_cancel", lang), f"{PREFIX}fn:{owner}:{token}"),
            ]
        ]
    )
    await message.reply_text("\n".join(lines), reply_markup=markup)


async def _ask_forget_all(
    message: Message, context: ContextTypes.DEFAULT_TYPE, scope: _Scope, lang: str
) -> None:
    counts = await services(context).account.counts(**scope.keys)
    shown = [
        TEXTS(f"count_{kind}", lang, n=counts.get(kind, 0))
        for kind in ("messages", "facts", "reminders", "people")
        if kind in counts
    ]
    key = "forget_all_question_group" if scope.group else "forget_all_question"
    separator = "、" if lang == "zh" else ", "
    owner = scope.user_id
    markup = _markup(
        [
            [(TEXTS("button_confirm_all", lang), f"{PREFIX}ay:{owner}")],
            [(TEXTS("button_cancel", lang), f"{PREFIX}n:{owner}")],
        ]
    )
    await message.reply_text(TEXTS(key, lang, counts=separator.join(shown)), reply_markup=markup)


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


_Action = Callable[
    [Message, ContextTypes.DEFAULT_TYPE, _Scope, list[int], str, CallbackQuery], Awaitable[None]
]

# -- buttons ------------------------------------------------------------------------------------


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Page, delete a fact, confirm or cancel a forget; only the owner may tap."""
    query = update.callback_query
    if query is None or query.data is None or not isinstance(query.message, Message):
        return
    lang = await language_of(update, context)
    parts = query.data.removeprefix(PREFIX).split(":")
    try:
        action, owner, args = parts[0], int(parts[1]), [int(part) for part in parts[2:]]
    except (IndexError, ValueError):
        await _toast(query, "")
        return
    if query.from_user.id != owner:
        await _toast(query, TEXTS("not_yours", lang), alert=True)
        return
    scope = _Scope(user_id=owner, chat_id=query.message.chat.id)
    handler = _ACTIONS.get(action)
    if handler is None:
        await _toast(query, "")
        return
    await handler(query.message, context, scope, args, lang, query)


async def _on_page(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    scope: _Scope,
    args: list[int],
    lang: str,
    query: CallbackQuery,
) -> None:
    await _toast(query, "")
    text, markup = await _facts_view(context, scope, args[0] if args else 0, lang)
    await _edit(message, text, markup)


async def _on_delete(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    scope: _Scope,
    args: list[int],
    lang: str,
    query: CallbackQuery,
) -> None:
    if len(args) != 2:
        await _toast(query, "")
        return
    if not await _may_delete(context, scope):
        await _toast(query, TEXTS("admins_only", lang), alert=True)
        return
    fact_id, page = args
    deleted = await services(context).memory.delete_fact(**scope.keys, fact_id=fact_id)
    await _toast(query, TEXTS("fact_deleted" if deleted else "fact_gone", lang))
    text, markup = await _facts_view(context, scope, page, lang)
    await _edit(message, text, markup)


async def _on_forget_yes(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    scope: _Scope,
    args: list[int],
    lang: str,
    query: CallbackQuery,
) -> None:
    preview = _pending(context).take(args[0], scope) if args else None
    await _toast(query, "")
    if preview is None:
        await _edit(message, TEXTS("expired", lang), None)
        return
    if not await _may_delete(context, scope):
        await _edit(message, TEXTS("admins_only", lang), None)
        return
    await services(context).memory.forget_items(
        **scope.keys, message_ids=preview.message_ids, fact_ids=preview.fact_ids
    )
    done = TEXTS(
        "forget_done",
        lang,
        topic=_clip(preview.topic, 80),
        messages=len(preview.message_ids),
        facts=len(preview.fact_ids),
    )
    await _edit(message, done, None)


async def _on_forget_no(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    scope: _Scope,
    args: list[int],
    lang: str,
    query: CallbackQuery,
) -> None:
    if args:
        _pending(context).take(args[0], scope)
    await _toast(query, "")
    await _edit(message, TEXTS("cancelled", lang), None)


async def _on_forget_all(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    scope: _Scope,
    args: list[int],
    lang: str,
    query: CallbackQuery,
) -> None:
    await _toast(query, "")
    if not await _may_delete(context, scope):
        await _edit(message, TEXTS("admins_only", lang), None)
        return
    await services(context).account.forget_all(**scope.keys)
    key = "forget_all_done_group" if scope.group else "forget_all_done"
    await _edit(message, TEXTS(key, lang), None)


_ACTIONS: dict[str, _Action] = {
    "p": _on_page,
    "d": _on_delete,
    "fy": _on_forget_yes,
    "fn": _on_forget_no,
    "ay": _on_forget_all,
    "n": _on_forget_no,
}


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


def register(app: Application) -> None:
    """Add this module's handlers to the application."""
    app.add_handler(CommandHandler("memory", memory_command))
    app.add_handler(CommandHandler("remember", remember_command))
    app.add_handler(CommandHandler("forget", forget_command))
    app.add_handler(CommandHandler("search", search_command))
    app.add_handler(CommandHandler("export", export_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=f"^{PREFIX}"))
