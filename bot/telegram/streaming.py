"""Showing an answer while the model writes it, then sending it for good.

Private chats get Telegram's native drafts (``sendMessageDraft``); where drafts are not possible
(groups, or a failed draft) a message is sent and edited at a bounded rate. "typing..." shows when
the model is slow to start, until text appears. No auxiliary call (typing, draft, edit) can lose
the final answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    ReplyParameters,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.outbound import Notice
from bot.telegram.callbacks import markup
from bot.telegram.render import html_to_plain, render_parts, split_plain

__all__ = ["ReplyStreamer", "keyboard", "send_rendered"]

logger = logging.getLogger(__name__)

TYPING_REFRESH_SECONDS = 4.0
#: "typing..." only when the model is slow to start: once words flow, the draft shows them within
#: the grace period, and a typing action would be one more Bot API call for nothing.
TYPING_AFTER_SECONDS = 1.0
#: Drafts are free of Telegram's message limits but not of cost (a render and a Bot API call each):
#: once a second keeps the text moving without a call for every few words.
DRAFT_INTERVAL_SECONDS = 1.0
MESSAGE_LIMIT = 4096

T = TypeVar("T")


def keyboard(notice: Notice) -> InlineKeyboardMarkup | None:
    """Inline buttons for a notice, or None when it has none."""
    return markup(notice.buttons)


async def send_rendered(
    bot: Bot,
    chat_id: int,
    markdown: str,
    *,
    reply_to: int | None = None,
    reply_markup: InlineKeyboardMarkup | ForceReply | None = None,
    message_thread_id: int | None = None,
) -> list[int]:
    """Send Markdown as Telegram HTML in as many parts as needed; plain text if HTML is refused.

    The buttons go under the last part; only the first part quotes ``reply_to``. Returns the
    Telegram ids of the messages sent.
    """
    parts = render_parts(markdown, MESSAGE_LIMIT) or [""]
    sent: list[int] = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent.append(
            await _send_html(
                bot,
                chat_id,
                part,
                reply_to=reply_to if index == 0 else None,
                reply_markup=reply_markup if last else None,
                message_thread_id=message_thread_id,
            )
        )
    return sent


async def _call(bot: Bot, method: str, params: dict[str, Any]) -> Any:
    """A Bot API call of the answer's path (messages, drafts, typing), answered as Telegram's
    JSON.

    It goes through the bot's own request path (the rate limiter, the transport, refusals
    raised as ``TelegramError``s; ``None`` parameters dropped), but not through
    python-telegram-bot's typed method, which then parses the sent message into objects of
    which Dazi uses the id only: that cost ~80 us of CPU per ``sendMessage``, more than the
    call itself (benchmarks/message_cpu.py). Dazi sets no ``Defaults`` for the bot, so the
    typed methods would add nothing else.
    """
    return await bot._post(method, params)


async def _send_html(
    bot: Bot,
    chat_id: int,
    html: str,
    *,
    reply_to: int | None,
    reply_markup: InlineKeyboardMarkup | ForceReply | None,
    message_thread_id: int | None,
    retries: Sequence[float] = (),
) -> int:
    """Send one part; return its message id. ``retries``: the waits before retrying a failure
    that may pass."""
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    try:
        return await _retrying(
            functools.partial(
                _send_text,
                bot,
                chat_id,
                html,
                parse_mode=ParseMode.HTML,
                reply_parameters=reply,
                reply_markup=reply_markup,
                message_thread_id=message_thread_id,
            ),
            retries,
        )
    except BadRequest as error:
        if not _is_formatting_error(error):
            raise
        logger.warning("Telegram refused the HTML (%s); sending plain text", error.message)
    plain_parts = split_plain(html_to_plain(html), MESSAGE_LIMIT) or ["…"]
    message_id: int | None = None
    for index, plain in enumerate(plain_parts):
        last = index == len(plain_parts) - 1
        message_id = await _retrying(
            functools.partial(
                _send_text,
                bot,
                chat_id,
                plain,
                parse_mode=None,
                reply_parameters=reply if index == 0 else None,
                reply_markup=reply_markup if last else None,
                message_thread_id=message_thread_id,
            ),
            retries,
        )
    assert message_id is not None
    return message_id


async def _send_text(
    bot: Bot,
    chat_id: int,
    text: str,
    *,
    parse_mode: str | None,
    reply_parameters: ReplyParameters | None,
    reply_markup: InlineKeyboardMarkup | ForceReply | None,
    message_thread_id: int | None,
) -> int:
    """``sendMessage``; the new message's id."""
    sent = await _call(
        bot,
        "sendMessage",
        {
            "chat_id": chat_id,
            "text": text,
            "parse_mode": parse_mode,
            "reply_parameters": reply_parameters,
            "reply_markup": reply_markup,
            "message_thread_id": message_thread_id,
        },
    )
    return int(sent["message_id"])


#: Waits before the retries of an answer's send that failed in passing (timeout, reset, 5xx).
#: (Reminders are not retried here: their scheduler retries with its own backoff.)
SEND_RETRY_DELAYS = (0.5, 1.0, 2.0)


async def _retrying(
    send: Callable[[], Awaitable[T]], retries: Sequence[float] = SEND_RETRY_DELAYS
) -> T:
    """Send, retrying with backoff when the failure may pass (a timeout, a broken connection,
    a 5xx): a finished answer is not thrown away for one hiccup. Refusals (400, 403, 429,
    migrations) are raised at once. If Telegram delivered the message before failing, the
    retry shows it twice: a repeat is better than an apology for an answer that arrived."""
    for delay in (*retries, None):
        try:
            return await send()
        except (BadRequest, Conflict):
            raise
        except NetworkError as error:  # TimedOut included; 5xx answers arrive as NetworkError
            if delay is None:
                raise
            logger.info("sending failed in passing (%s); retrying in %.1f s", error, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


def _settled(markdown: str) -> str:
    """The part of a growing answer whose formatting is known: drop a dangling ``**`` or `````
    and what follows it, so a preview never flashes raw markers that close a moment later."""
    for marker in ("**", "__", "~~"):
        if markdown.count(marker) % 2:
            markdown = markdown[: markdown.rfind(marker)]
    fence_open = markdown.count("```") % 2 == 1
    if not fence_open and markdown.replace("```", "").count("`") % 2:
        markdown = markdown[: markdown.rfind("`")]
    return markdown


def _is_formatting_error(error: BadRequest) -> bool:
    text = error.message.lower()
    return "parse" in text or "entit" in text or "tag" in text


class ReplyStreamer:
    """One answer on its way to a chat: typing, live preview, then the final messages."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        *,
        use_drafts: bool,
        reply_to: int | None = None,
        message_thread_id: int | None = None,
        draft_interval: float = DRAFT_INTERVAL_SECONDS,
        edit_interval: float = 1.0,
        grace: float = 0.3,
        typing_after: float = TYPING_AFTER_SECONDS,
        typing_refresh: float = TYPING_REFRESH_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._use_drafts = use_drafts
        self._reply_to = reply_to
        self._thread_id = message_thread_id
        self._draft_interval = draft_interval
        self._edit_interval = edit_interval
        self._monotonic = monotonic
        # Answers that arrive within the grace period go out at once, with no preview.
        self._grace = grace
        self._typing_after = typing_after
        self._typing_refresh = typing_refresh
        self._started = monotonic()
        self._draft_id = random.randint(1, 2**31 - 1)
        self._preview: int | None = None  # the preview message's id
        self._preview_html = ""
        self._preview_frozen = False
        self._last_update = float("-inf")
        self._text_shown = asyncio.Event()
        self._typing: asyncio.Task[None] | None = None
        self._typing_timer: asyncio.TimerHandle | None = None

    async def __aenter__(self) -> ReplyStreamer:
        # A timer, not a task: most answers show their first words before it fires.
        self._typing_timer = asyncio.get_running_loop().call_later(
            self._typing_after, self._start_typing
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._text_shown.set()
        if self._typing_timer is not None:
            self._typing_timer.cancel()
        if self._typing is not None:
            self._typing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._typing

    async def update(self, markdown_so_far: str) -> None:
        """Show the answer so far, if enough time passed since the last preview."""
        now = self._monotonic()
        interval = self._draft_interval if self._use_drafts else self._edit_interval
        if now - self._started < self._grace or now - self._last_update < interval:
            return
        if not markdown_so_far.strip():
            return
        self._last_update = now
        parts = render_parts(_settled(markdown_so_far), MESSAGE_LIMIT)
        if not parts:
            return
        if self._use_drafts:
            await self._show_draft(parts[-1])
        else:
            await self._show_edit(parts)

    async def finish(self, markdown: str, notices: Sequence[Notice] = ()) -> list[int]:
        """Send the whole answer (and any notices); return the Telegram ids of what was sent."""
        self._text_shown.set()
        sent_ids: list[int] = []
        if markdown.strip():
            sent_ids.extend(await self._send_answer(markdown))
        for notice in notices:
            sent_ids.extend(
                await send_rendered(
                    self._bot,
                    self._chat_id,
                    notice.text,
                    reply_markup=keyboard(notice),
                    message_thread_id=self._thread_id,
                )
            )
        return sent_ids

    async def _send_answer(self, markdown: str) -> list[int]:
        parts = render_parts(markdown, MESSAGE_LIMIT)
        if self._preview is not None and parts and await self._edit(parts[0], final=True):
            rest = await self._send_parts(parts[1:], reply_to=None)
            return [self._preview, *rest]
        if self._preview is not None:
            # The preview could not become the answer: take it away rather than leave a
            # half-written copy above the real one.
            with contextlib.suppress(TelegramError):
                await self._bot.delete_message(self._chat_id, self._preview)
        return await self._send_parts(parts, reply_to=self._reply_to)

    async def _send_parts(self, parts: Sequence[str], *, reply_to: int | None) -> list[int]:
        ids: list[int] = []
        for index, part in enumerate(parts):
            message_id = await _send_html(
                self._bot,
                self._chat_id,
                part,
                reply_to=reply_to if index == 0 else None,
                reply_markup=None,
                message_thread_id=self._thread_id,
                retries=SEND_RETRY_DELAYS,  # a finished answer is not lost to one hiccup
            )
            ids.append(message_id)
        return ids

    async def _show_draft(self, html: str) -> None:
        try:
            await _call(
                self._bot,
                "sendMessageDraft",
                {
                    "chat_id": self._chat_id,
                    "draft_id": self._draft_id,
                    "text": html,
                    "parse_mode": ParseMode.HTML,
                    "message_thread_id": self._thread_id,
                },
            )
            self._text_shown.set()
        except RetryAfter:
            pass  # a skipped preview costs nothing; the final message carries the answer
        except TelegramError as error:
            logger.info("drafts unavailable in chat %s (%s); editing instead", self._chat_id, error)
            self._use_drafts = False

    async def _show_edit(self, parts: Sequence[str]) -> None:
        if self._preview_frozen:
            return
        if len(parts) > 1:
            # The first message is full: leave it as it is; the rest is sent at the end.
            self._preview_frozen = True
        html = parts[0]
        if self._preview is None:
            try:
                self._preview = await _send_html(
                    self._bot,
                    self._chat_id,
                    html,
                    reply_to=self._reply_to,
                    reply_markup=None,
                    message_thread_id=self._thread_id,
                )
                self._preview_html = html
                self._text_shown.set()
            except (Forbidden, RetryAfter):
                raise
            except TelegramError as error:
                logger.info("preview in chat %s failed: %s", self._chat_id, error)
            return
        await self._edit(html, final=False)

    async def _edit(self, html: str, *, final: bool) -> bool:
        """Edit the preview; True when it now shows ``html``."""
        assert self._preview is not None
        if html == self._preview_html:
            return True
        try:
            await self._bot.edit_message_text(
                html,
                chat_id=self._chat_id,
                message_id=self._preview,
                parse_mode=ParseMode.HTML,
            )
        except BadRequest as error:
            if "not modified" in error.message.lower():
                return True
            if final and _is_formatting_error(error):
                with contextlib.suppress(TelegramError):
                    await self._bot.edit_message_text(
                        html_to_plain(html),
                        chat_id=self._chat_id,
                        message_id=self._preview,
                    )
                    self._preview_html = html
                    return True
            logger.info("edit in chat %s failed: %s", self._chat_id, error.message)
            return False
        except TelegramError as error:
            logger.info("edit in chat %s failed: %s", self._chat_id, error)
            return False
        self._preview_html = html
        return True

    def _start_typing(self) -> None:
        if not self._text_shown.is_set():
            self._typing = asyncio.create_task(self._keep_typing())

    async def _keep_typing(self) -> None:
        """Show "typing..." every few seconds until the first text is on screen."""
        while not self._text_shown.is_set():
            try:
                await _call(
                    self._bot,
                    "sendChatAction",
                    {
                        "chat_id": self._chat_id,
                        "action": ChatAction.TYPING,
                        "message_thread_id": self._thread_id,
                    },
                )
            except TelegramError as error:
                logger.debug("typing action failed in chat %s: %s", self._chat_id, error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._text_shown.wait(), self._typing_refresh)
