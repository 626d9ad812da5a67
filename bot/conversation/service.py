"""The conversation: store what the user says, ask the model with memory and tools, keep the answer.

Plain async Python with no Telegram in sight; the transport feeds :class:`Incoming` messages in
and renders the :class:`ReplyEvent` stream that comes out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.conversation.documents import DocumentBacklog
from bot.conversation.learning import LearningBatch, SharedLearning
from bot.conversation.prompt import history_messages, system_prompt
from bot.conversation.texts import TEXTS
from bot.conversation.tools import ToolContext, ToolRegistry
from bot.conversation.types import Attachment, Incoming, Notice, ReplyDone, ReplyEvent, TextDelta
from bot.i18n import detect_language, pick_language
from bot.llm.client import LLMUnavailable, strip_reasoning
from bot.llm.types import LLM, ChatMessage, Completion, StreamEvent
from bot.memory import FactExtractor, MediaRecord, MemoryStore
from bot.storage import (
    ChatRecord,
    ChatRepository,
    MessageRepository,
    UserRecord,
    UserRepository,
    register_user_and_chat,
)

__all__ = ["ConversationOptions", "ConversationService"]

logger = logging.getLogger(__name__)

#: Rounds of tool calls in one answer: a few memory searches, each following the last, and an
#: action (see bot.memory.tools.MAX_SEARCHES_PER_TURN).
_MAX_TOOL_ROUNDS = 5
#: Added to the last tool result of the last round that may run tools.
_LAST_ROUND = (
    "\n\n(No more tool calls can run in this answer: now write the answer to the user, "
    "saying what was done and what was not.)"
)

#: Answers whether a user allowed their private memory in a group: (user_id, chat_id) -> bool.
PrivateMemoryPolicy = Callable[[int, int], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class ConversationOptions:
    """How much the model sees: recent messages, the token budget, recalled memory."""

    default_timezone: str = "UTC"
    recent_messages: int = 40
    context_tokens: int = 8000
    recall_tokens: int = 1200
    answer_tokens: int = 1500
    #: A model that sends nothing for this long is reported as not answering.
    stall_seconds: float = 30.0
    #: No answer takes longer than this: what was written by then is sent, with a note.
    answer_seconds: float = 180.0
    #: Facts are learned in batches: after this many exchanges in a chat, or after a pause.
    learn_every_exchanges: int = 3
    learn_after_idle_seconds: float = 120.0


@dataclass(slots=True)
class _Unlearned:
    """Messages of a chat that the fact learner has not seen yet."""

    user_id: int
    first_message_id: int
    exchanges: int = 0
    timer: asyncio.TimerHandle | None = None


class ConversationService:
    """Talks with users through the LLM and keeps every message."""

    def __init__(
        self,
        *,
        users: UserRepository,
        chats: ChatRepository,
        messages: MessageRepository,
        memory: MemoryStore,
        llm: LLM,
        clock: Clock,
        documents: DocumentBacklog,
        tools: ToolRegistry | None = None,
        fact_extractor: FactExtractor | None = None,
        options: ConversationOptions | None = None,
        private_memory_allowed: PrivateMemoryPolicy | None = None,
        shared_learning: SharedLearning | None = None,
    ) -> None:
        self._users = users
        self._chats = chats
        self._messages = messages
        self._memory = memory
        self._llm = llm
        self._clock = clock
        #: Shared documents' parts, stored in memory in the background (and resumed).
        self.documents = documents
        self.tools = tools or ToolRegistry()
        self._facts = fact_extractor
        self._options = options or ConversationOptions()
        # In a group, a user's private memory is recalled only when this says they allowed it.
        self._private_allowed = private_memory_allowed
        self._background: set[asyncio.Task[Any]] = set()
        self._unlearned: dict[int, _Unlearned] = {}
        # Learning is background work: a few at a time, so a busy hour never floods the model.
        self._learning_slots = asyncio.Semaphore(4)
        # Replicas on PostgreSQL: what is due for learning is kept there, claimed once across
        # replicas (see bot.conversation.learning); None: kept in memory, as one process does.
        self._shared = shared_learning
        self._learning_loop: asyncio.Task[None] | None = None
        # Set when this replica made a chat due now: its loop claims it without waiting a poll.
        self._learning_due = asyncio.Event()
        # Held while shared batches are claimed and learned: learn_pending() and drain() wait
        # for the batches in hand instead of cutting them off (their claims would wait a lease).
        self._learning_turn = asyncio.Lock()

    async def register(self, incoming: Incoming) -> tuple[UserRecord, ChatRecord]:
        """Create or refresh the user and the chat a message came from."""
        return await register_user_and_chat(
            self._users,
            self._chats,
            user_id=incoming.user_id,
            first_name=incoming.first_name,
            username=incoming.username,
            language=pick_language(incoming.language_code),
            chat_id=incoming.chat_id,
            chat_type=incoming.kind,
            title=incoming.chat_title,
            now=self._clock.now(),
        )

    async def new_thread(self, chat_id: int) -> int:
        """Start a fresh conversation; older messages stay stored and searchable."""
        return await self._chats.start_new_thread(chat_id)

    def timezone_of(self, user: UserRecord) -> str:
        return user.timezone or self._options.default_timezone

    async def store_incoming(self, incoming: Incoming, chat: ChatRecord) -> int:
        """Keep a message without answering it (e.g. group chatter not addressed to Dazi).

        A shared document's parts go into the backlog in the message's own transaction, then
        to memory in the background (see :mod:`bot.conversation.documents`): a long one never
        delays the answer, and a crash never loses it."""
        documents = self.documents.pending(incoming)
        message_id = await self._memory.add_message(
            user_id=incoming.user_id,
            chat_id=incoming.chat_id,
            role="user",
            text=incoming.text,
            at=incoming.at,
            speaker=incoming.first_name,
            sender_id=incoming.user_id,
            tg_message_id=incoming.tg_message_id,
            reply_to_tg_id=incoming.reply_to_tg_id,
            thread=chat.thread,
            also=await self.documents.writer(documents) if documents else None,
        )
        if incoming.attachments:
            await self._memory.attach_media(
                [_media_record(a, message_id=message_id) for a in incoming.attachments]
            )
        for document in documents:
            self.documents.store_soon(document)
        if self._facts is not None and self._shared is not None:
            await self._shared.note(
                chat_id=incoming.chat_id, user_id=incoming.user_id, message_id=message_id
            )
        elif self._facts is not None and incoming.chat_id not in self._unlearned:
            self._unlearned[incoming.chat_id] = _Unlearned(incoming.user_id, message_id)
        return message_id

    async def reply(
        self, incoming: Incoming, *, already_stored: bool = False
    ) -> AsyncIterator[ReplyEvent]:
        """Store the message, then stream the model's answer; always ends with one ReplyDone."""
        user, chat = await self.register(incoming)
        if not already_stored:
            await self.store_incoming(incoming, chat)
        language = detect_language(incoming.text, fallback=user.language)
        timezone = self.timezone_of(user)
        context = ToolContext(
            user=user,
            chat=chat,
            incoming=incoming,
            now=self._clock.now(),
            language=language,
            timezone=timezone,
        )
        prompt = await self._prompt(incoming, user=user, chat=chat, context=context)
        notices: list[Notice] = []
        try:
            completion: Completion | None = None
            async for event in self._answer(prompt, context, notices):
                if isinstance(event, Completion):
                    completion = event
                else:
                    yield event
        except LLMUnavailable as error:
            logger.warning("no answer for chat %s: %s", incoming.chat_id, error)
            yield ReplyDone(text=TEXTS("llm_down", language), notices=notices, failed=True)
            return
        text = completion.text.strip() if completion else ""
        if not text and not notices:
            text = TEXTS("empty_answer", language)
        yield ReplyDone(text=text, notices=notices)

    async def record_reply(
        self, incoming: Incoming, *, text: str, tg_message_ids: Sequence[int]
    ) -> None:
        """Keep the answer that was sent (with its Telegram ids) and learn from the exchange."""
        await self._keep_own_message(
            user_id=incoming.user_id,
            chat_id=incoming.chat_id,
            text=text,
            tg_message_ids=tg_message_ids,
            reply_to_tg_id=incoming.tg_message_id,
        )
        self._count_exchange(incoming.chat_id)

    async def record_sent(self, *, chat_id: int, text: str, tg_message_id: int | None) -> None:
        """Keep a message Dazi sent on its own (a reminder, a nudge) in the chat's history."""
        await self._keep_own_message(
            user_id=chat_id,  # a private chat's id is its user's; a group's scope is the group
            chat_id=chat_id,
            text=text,
            tg_message_ids=[tg_message_id] if tg_message_id is not None else [],
        )

    async def _keep_own_message(
        self,
        *,
        user_id: int,
        chat_id: int,
        text: str,
        tg_message_ids: Sequence[int],
        reply_to_tg_id: int | None = None,
    ) -> None:
        chat = await self._chats.get(chat_id)
        await self._memory.add_message(
            user_id=user_id,
            chat_id=chat_id,
            role="assistant",
            text=text,
            at=self._clock.now(),
            speaker="Dazi",
            tg_message_id=tg_message_ids[0] if tg_message_ids else None,
            tg_part_ids=tg_message_ids[1:],
            reply_to_tg_id=reply_to_tg_id,
            thread=chat.thread if chat else 1,
        )

    def _count_exchange(self, chat_id: int) -> None:
        """Learn facts once enough was said, or once the chat goes quiet."""
        if self._shared is not None:
            self.spawn(self._shared_exchange(chat_id))
            return
        pending = self._unlearned.get(chat_id)
        if pending is None:
            return
        pending.exchanges += 1
        if pending.timer is not None:
            pending.timer.cancel()
        if pending.exchanges >= self._options.learn_every_exchanges:
            self.spawn(self._learn(chat_id))
        else:
            pending.timer = asyncio.get_running_loop().call_later(
                self._options.learn_after_idle_seconds, lambda: self.spawn(self._learn(chat_id))
            )

    async def _shared_exchange(self, chat_id: int) -> None:
        """Count the exchange in the database; once the chat is due, wake the learning loop."""
        assert self._shared is not None
        if await self._shared.exchange(chat_id):
            self._learning_due.set()

    async def _learn(self, chat_id: int) -> None:
        pending = self._unlearned.pop(chat_id, None)
        if pending is None or self._facts is None:
            return
        if pending.timer is not None:
            pending.timer.cancel()
        async with self._learning_slots:
            message_ids = await self._messages.ids_since(
                chat_id=chat_id, first_id=pending.first_message_id
            )
            await self._facts.process(
                user_id=pending.user_id,
                chat_id=chat_id,
                now=self._clock.now(),
                message_ids=message_ids,
            )

    def start_learning(self, *, poll_seconds: float = 1.0) -> None:
        """With shared learning (replicas): claim the chats due for learning, whichever replica
        answered them, a few at a time. Without it, nothing to do: learning follows replies."""
        if self._shared is not None and self._facts is not None and self._learning_loop is None:
            self._learning_loop = asyncio.create_task(self._learn_shared(poll_seconds))

    async def _learn_shared(self, poll_seconds: float) -> None:
        assert self._shared is not None
        while True:
            self._learning_due.clear()
            try:
                async with self._learning_turn:
                    batches = await self._shared.claim(limit=4)
                    await asyncio.gather(*(self._learn_batch(batch) for batch in batches))
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # The database is unreachable: claims come back after their lease.
                logger.warning("shared fact learning failed (%s); retrying", error)
                batches = []
            if not batches:
                # Another replica's chats become due without a word to this one: poll too.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(poll_seconds):
                        await self._learning_due.wait()

    async def _learn_batch(self, batch: LearningBatch) -> None:
        assert self._shared is not None and self._facts is not None
        message_ids = await self._messages.ids_since(
            chat_id=batch.chat_id, first_id=batch.first_message_id
        )
        if message_ids:
            await self._facts.process(
                user_id=batch.user_id,
                chat_id=batch.chat_id,
                now=self._clock.now(),
                message_ids=message_ids,
            )
        await self._shared.finish(batch, through_message_id=max(message_ids, default=None))

    def spawn(self, job: Coroutine[Any, Any, Any]) -> None:
        """Run work after the reply (fact learning) without ever blocking or failing it."""
        task = asyncio.create_task(_logged(job))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Stop learning and wait for background work (at shutdown): one process learns from
        what is pending first; shared learning finishes the batches in hand and leaves the
        rest in the database, for the other replicas or the next start."""
        if self._learning_loop is not None:
            async with self._learning_turn:
                self._learning_loop.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._learning_loop
            self._learning_loop = None
        await self.documents.stop()
        if self._shared is None:
            await self.learn_pending()
        await self._finish_background()

    async def learn_pending(self) -> None:
        """Learn now from every chat's messages not yet learned from, due or not, and wait
        until it is done (with shared learning: every chat no other replica is learning)."""
        await self._finish_background()  # exchanges still being counted
        if self._shared is None:
            for chat_id in list(self._unlearned):
                self.spawn(self._learn(chat_id))
        elif self._facts is not None:
            async with self._learning_turn:
                while batches := await self._shared.claim(limit=4, due_only=False):
                    await asyncio.gather(*(self._learn_batch(batch) for batch in batches))
        await self._finish_background()

    async def _finish_background(self) -> None:
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def _prompt(
        self, incoming: Incoming, *, user: UserRecord, chat: ChatRecord, context: ToolContext
    ) -> list[ChatMessage]:
        options = self._options
        # A member's own time zone is private: a group's prompt shows the default one (tools
        # still resolve "tomorrow at 9" in the asker's zone).
        shown_zone = options.default_timezone if chat.kind.is_group else context.timezone
        now_local = context.now.astimezone(ZoneInfo(shown_zone))
        system = system_prompt(
            now_local=now_local,
            timezone=shown_zone,
            language=context.language,
            chat=chat,
            user_name=user.first_name,
        )
        recent = await self._messages.recent(
            chat_id=incoming.chat_id, thread=chat.thread, limit=options.recent_messages
        )
        recall = await self._memory.recall(
            user_id=incoming.user_id,
            chat_id=incoming.chat_id,
            query=incoming.text,
            now=context.now.astimezone(ZoneInfo(context.timezone)),  # local "yesterday"
            budget_tokens=options.recall_tokens,
            exclude_message_ids=[record.id for record in recent],
        )
        remembered = recall.as_prompt(ZoneInfo(context.timezone), context.language)
        shared = await self._shared_private_memory(incoming, chat, context)
        budget = options.context_tokens - options.answer_tokens - options.recall_tokens - 600
        budget -= options.recall_tokens // 2 if shared else 0
        prompt: list[ChatMessage] = [{"role": "system", "content": system}]
        if remembered:
            prompt.append(
                {
                    "role": "system",
                    "content": "What you remember from earlier conversations "
                    "(dated, in the user's local time):\n" + remembered,
                }
            )
        if shared:
            prompt.append({"role": "system", "content": shared})
        prompt.extend(history_messages(recent, is_group=chat.kind.is_group, budget_tokens=budget))
        if incoming.attachments:
            _show_attachments(prompt, incoming)
        return prompt

    async def _shared_private_memory(
        self, incoming: Incoming, chat: ChatRecord, context: ToolContext
    ) -> str:
        """In a group, the asker's own private memory, only if they allowed it there ('' if not)."""
        if not chat.kind.is_group or self._private_allowed is None:
            return ""
        if not await self._private_allowed(incoming.user_id, incoming.chat_id):
            return ""
        recall = await self._memory.recall(
            user_id=incoming.user_id,
            chat_id=incoming.user_id,  # the private scope of the person asking, nobody else's
            query=incoming.text,
            now=context.now.astimezone(ZoneInfo(context.timezone)),  # local "yesterday"
            budget_tokens=self._options.recall_tokens // 2,
        )
        text = recall.as_prompt(ZoneInfo(context.timezone), context.language)
        if not text:
            return ""
        return (
            f"{incoming.first_name} allowed you to use what they told you in private, only when "
            f"answering them. Use it for {incoming.first_name}'s question if it helps; never for "
            "anyone else:\n" + text
        )

    async def _bounded(
        self, events: AsyncIterator[StreamEvent], deadline: float
    ) -> AsyncIterator[StreamEvent]:
        """The model's stream, bounded: a model silent for ``stall_seconds`` is reported as
        unavailable (LLMUnavailable); past the ``deadline`` (loop time), _OutOfTime is raised.
        The stream is closed either way (which closes its HTTP response)."""
        loop = asyncio.get_running_loop()
        stall = self._options.stall_seconds
        try:
            while True:
                left = deadline - loop.time()
                if left <= 0:
                    raise _OutOfTime
                try:
                    # A timeout scope, not wait_for: no task is created for each streamed event.
                    async with asyncio.timeout(min(stall, left)):
                        event = await anext(events)
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    if loop.time() >= deadline:
                        raise _OutOfTime from None
                    raise LLMUnavailable(f"the model sent nothing for {stall:.0f} s") from None
                yield event
        finally:
            if isinstance(events, AsyncGenerator):
                await events.aclose()

    async def _answer(
        self, prompt: list[ChatMessage], context: ToolContext, notices: list[Notice]
    ) -> AsyncIterator[TextDelta | Completion]:
        """Stream rounds of the model, running the tools it calls between rounds.

        Reasoning models think aloud in ``<think>...</think>`` first: that is never shown.
        """
        shown = ""  # the answer text of the finished rounds
        tools = self.tools.specs(context) or None
        turn = self.tools.for_turn(context)
        deadline = asyncio.get_running_loop().time() + self._options.answer_seconds
        # The rounds that may run tools, then one more so the model always reads the results
        # of the last ones and writes the answer (calls it still makes then are not run).
        for round_number in range(1, _MAX_TOOL_ROUNDS + 2):
            completion: Completion | None = None
            written = ""
            stream = self._llm.stream(prompt, tools=tools, max_tokens=self._options.answer_tokens)
            try:
                async for event in self._bounded(stream, deadline):
                    if event.completion is not None:
                        completion = event.completion
                    elif event.delta:
                        written += event.delta
                        visible = strip_reasoning(written)
                        # Text that ends the answer is not previewed: the answer itself follows.
                        if visible.strip() and not event.ends_answer:
                            yield TextDelta(shown + visible)
            except _OutOfTime:
                logger.warning("an answer ran past %.0f s: cut", self._options.answer_seconds)
                shown += strip_reasoning(written).rstrip()
                yield Completion(text=f"{shown} …\n\n{TEXTS('cut_slow', context.language)}")
                return
            shown += strip_reasoning(written)
            if completion is None or not completion.tool_calls or round_number > _MAX_TOOL_ROUNDS:
                break
            prompt = [*prompt, _assistant_with_calls(completion)]
            for call in completion.tool_calls:
                outcome = await turn.run(call)
                if outcome.notice is not None:
                    notices.append(outcome.notice)
                prompt.append({"role": "tool", "tool_call_id": call.id, "content": outcome.result})
            if round_number == _MAX_TOOL_ROUNDS:
                prompt[-1] = {**prompt[-1], "content": prompt[-1]["content"] + _LAST_ROUND}
            if shown.strip() and not shown.endswith("\n"):
                shown += "\n\n"
        yield Completion(text=shown, tool_calls=[])


class _OutOfTime(Exception):
    """The answer's overall deadline passed."""


def _show_attachments(prompt: list[ChatMessage], incoming: Incoming) -> None:
    """Give the model what the newest user turn carried: its images as image parts, a
    document's text (both for this answer only; memory keeps the text form)."""
    turn = next((m for m in reversed(prompt) if m["role"] == "user"), None)
    if turn is None:
        return
    text = str(turn["content"])
    extra = [a.prompt_text for a in incoming.attachments if a.prompt_text]
    if extra:
        text = "\n\n".join([text, *extra])
    images = [url for a in incoming.attachments for url in a.images]
    if not images:
        turn["content"] = text
        return
    turn["content"] = [
        {"type": "text", "text": text},
        *({"type": "image_url", "image_url": {"url": url}} for url in images),
    ]


def _assistant_with_calls(completion: Completion) -> ChatMessage:
    return {
        "role": "assistant",
        "content": completion.text or None,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for call in completion.tool_calls
        ],
    }


async def _logged(job: Coroutine[Any, Any, Any]) -> None:
    try:
        await job
    except Exception:
        logger.exception("background work failed")


def _media_record(attachment: Attachment, *, message_id: int) -> MediaRecord:
    """The stored record of ``attachment`` on the message that carried it (a document's parts
    get theirs from :class:`bot.conversation.documents.PendingDocument`)."""
    return MediaRecord(
        message_id=message_id,
        kind=attachment.kind,
        file_id=attachment.file_id,
        file_unique_id=attachment.file_unique_id,
        duration=attachment.duration,
        file_name=attachment.file_name,
        mime_type=attachment.mime_type,
        content=attachment.content,
    )
