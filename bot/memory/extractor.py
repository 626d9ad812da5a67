"""FactExtractor: a background LLM pass that turns the latest exchange into durable facts.

The model sees the new messages and the active facts that look related, numbered ([M1], [F1]),
and answers with one ``save_facts`` tool call: a list of operations

* ``add``: a new fact, with the messages it came from;
* ``update``: a fact that replaces known ones (the old facts stay, ``superseded`` and pointing at
  the new one, so a change of mind is history, never a silent overwrite or a contradiction);
* ``delete``: known facts that are no longer true (kept with status ``deleted``);
* ``none``: nothing worth remembering.

Numbers the model invents are ignored: only the messages and facts it was shown can be cited or
replaced, and the store checks scopes again. Whatever the model returns (no call, bad JSON shapes,
unknown operations), :meth:`FactExtractor.process` logs and returns; it never raises, and the
conversation service runs it as a task after the reply (see :meth:`FactExtractor.schedule`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.llm.types import LLM, ChatMessage, Completion, ToolSpec
from bot.memory.facts import SourcesForgotten
from bot.memory.store import MemoryStore
from bot.memory.types import Fact, MemoryHit, MemoryKeys, Summary
from bot.storage import memory_scope

__all__ = ["SAVE_FACTS_TOOL", "ExtractionResult", "FactExtractor"]

logger = logging.getLogger(__name__)

_MAX_OPERATIONS = 20
_MAX_FACT_CHARS = 300
_MAX_SUMMARY_CHARS = 600
_MAX_MESSAGE_CHARS = 1500
_KINDS = ("preference", "biography", "relationship", "plan", "event", "health", "work", "other")

SAVE_FACTS_TOOL: ToolSpec = {
    "type": "function",
    "function": {
        "name": "save_facts",
        "description": "Record what is worth remembering long-term from the new messages.",
        "parameters": {
            "type": "object",
            "properties": {
                "operations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "op": {"type": "string", "enum": ["add", "update", "delete", "none"]},
                            "text": {
                                "type": "string",
                                "description": "The fact as one short standalone sentence.",
                            },
                            "subject": {
                                "type": "string",
                                "description": "Whom or what the fact is about (a name).",
                            },
                            "kind": {"type": "string", "enum": list(_KINDS)},
                            "source_messages": {
                                "type": "array",
                                "items": {"type": "string"},
                                "description": "Ids of the new messages it comes from: M1, M2...",
                            },
                            "replaces": {
                                "type": "array",
                                "items": {"type": "string"},
                                "description": "For update/delete: ids of known facts, F1...",
                            },
                        },
                        "required": ["op"],
                    },
                },
                "summary": {
                    "type": "string",
                    "description": "One or two sentences on what the new messages were about "
                    "(topics, people, places, plans, with dates), in the user's language; "
                    "omit for small talk.",
                },
            },
            "required": ["operations"],
        },
    },
}

_SYSTEM_PROMPT = """\
You maintain the long-term memory of Dazi, a personal companion chatting on Telegram.
Read the new messages and decide what is worth remembering for months: facts about the people \
(names, family, pets, home, work, studies, health, allergies), their preferences and opinions, \
plans, commitments and important events. Ignore small talk, greetings, passing moods and what \
Dazi (the assistant) itself suggested unless the user accepted it.

Call save_facts once with a list of operations:
- add: a new fact. One short standalone sentence, third person, with the person's name when \
known ("Anna is allergic to peanuts."), in the language the user writes in. Turn relative \
times into dates using the message dates ("Anna moved to Berlin in March 2026.").
- update: the new messages change a known fact; give the new text and "replaces" with the ids \
of the known facts it replaces (F1...). Never add a fact that contradicts a known one: update it.
- delete: a known fact is no longer true; give "replaces" with its ids.
- none: nothing new is worth remembering.
Cite in "source_messages" the ids (M1...) of the messages each fact comes from. Do not repeat \
facts that are already known unchanged.
Also give "summary": one or two sentences on what the new messages were about (topics, people, \
places, plans, with dates), so this stretch of the conversation can be found later; leave it \
out when it was only small talk."""


@dataclass(slots=True)
class ExtractionResult:
    """What one extraction pass changed."""

    added: list[Fact] = field(default_factory=list)
    #: (ids of the replaced facts, the new fact)
    updated: list[tuple[tuple[int, ...], Fact]] = field(default_factory=list)
    retracted: list[int] = field(default_factory=list)
    #: Operations that could not be applied (malformed, unknown ids...).
    skipped: int = 0
    #: The summary of the messages, if the model wrote one.
    summary: Summary | None = None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retracted)


class FactExtractor:
    """Distils durable facts from new messages with an LLM and consolidates them."""

    def __init__(
        self,
        llm: LLM,
        store: MemoryStore,
        *,
        max_related_facts: int = 15,
        max_tokens: int = 800,
    ) -> None:
        self._llm = llm
        self._store = store
        self._max_related = max_related_facts
        self._max_tokens = max_tokens
        self._scope_locks: dict[int, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[ExtractionResult]] = set()
        # Forgetting in this process fences a scope at once: passes that started before it
        # stop early and their model calls are cancelled. (A forget by another replica is
        # caught at the write: see bot.memory.fences.)
        self._fences: dict[int, int] = {}
        self._model_calls: dict[int, set[asyncio.Future[Completion]]] = {}
        store.on_forget(self._fence)

    def _fence(self, scope_id: int) -> None:
        self._fences[scope_id] = self._fences.get(scope_id, 0) + 1
        for call in self._model_calls.get(scope_id, ()):
            call.cancel()

    def schedule(
        self, *, user_id: int, chat_id: int, now: datetime, message_ids: Sequence[int]
    ) -> asyncio.Task[ExtractionResult]:
        """Run :meth:`process` in the background (the task is kept until it finishes)."""
        task = asyncio.get_running_loop().create_task(
            self.process(user_id=user_id, chat_id=chat_id, now=now, message_ids=message_ids)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self) -> None:
        """Wait for the scheduled passes (at shutdown, or in tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def process(
        self, *, user_id: int, chat_id: int, now: datetime, message_ids: Sequence[int]
    ) -> ExtractionResult:
        """Extract and consolidate facts from the given messages; never raises."""
        scope_id = memory_scope(user_id=user_id, chat_id=chat_id)
        lock = self._scope_locks.setdefault(scope_id, asyncio.Lock())
        fence = self._fences.get(scope_id, 0)
        try:
            async with lock:  # two passes over one scope must not add the same fact twice
                return await self._process(user_id, chat_id, now, message_ids, fence)
        except _Fenced:
            logger.info("fact learning for scope %s stopped: the user made Dazi forget", scope_id)
            return ExtractionResult()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("fact extraction failed for scope %s", scope_id)
            return ExtractionResult()

    async def _process(
        self, user_id: int, chat_id: int, now: datetime, message_ids: Sequence[int], fence: int
    ) -> ExtractionResult:
        scope_id = memory_scope(user_id=user_id, chat_id=chat_id)

        def check_fence() -> None:
            if self._fences.get(scope_id, 0) != fence:
                raise _Fenced

        check_fence()
        # Read before the messages: a forget after this, in any process, voids every write.
        shared_fence = await self._store.learning_fence(user_id=user_id, chat_id=chat_id)
        messages = await self._store.get_messages(
            user_id=user_id, chat_id=chat_id, message_ids=message_ids
        )
        if not messages:
            return ExtractionResult()
        facts = await self._related_facts(user_id, chat_id, messages, now)
        check_fence()
        completion = await self._ask(scope_id, _prompt(messages, facts, now))
        check_fence()
        operations = _operations(completion.tool_calls)
        if operations is None:
            logger.info("fact extraction: the model made no save_facts call")
            return ExtractionResult()
        apply = _Application(self._store, user_id, chat_id, now, messages, facts, shared_fence)
        for operation in operations[:_MAX_OPERATIONS]:
            check_fence()
            try:
                await apply.operation(operation)
            except SourcesForgotten:
                raise _Fenced from None
        summary = _summary(completion.tool_calls)
        if summary:
            check_fence()  # a summary of forgotten words would bring them back
            apply.result.summary = await self._store.add_summary(
                user_id=user_id,
                chat_id=chat_id,
                text=summary,
                message_ids=[message.message_id for message in messages],
                now=now,
                fence=shared_fence,
            )
        return apply.result

    async def _ask(self, scope_id: int, prompt: list[ChatMessage]) -> Completion:
        """The model's save_facts call; a forget of the scope cancels it (raising _Fenced)."""
        call = asyncio.ensure_future(
            self._llm.complete(
                prompt, tools=[SAVE_FACTS_TOOL], temperature=0.0, max_tokens=self._max_tokens
            )
        )
        calls = self._model_calls.setdefault(scope_id, set())
        calls.add(call)
        try:
            return await call
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if call.cancelled() and (task is None or not task.cancelling()):
                raise _Fenced from None
            raise
        finally:
            calls.discard(call)
            if not calls:
                del self._model_calls[scope_id]

    async def _related_facts(
        self, user_id: int, chat_id: int, messages: Sequence[MemoryHit], now: datetime
    ) -> list[Fact]:
        """Active facts the new messages may confirm, change or contradict."""
        everything, total = await self._store.list_facts(
            user_id=user_id, chat_id=chat_id, limit=self._max_related
        )
        if total <= self._max_related:
            return sorted(everything, key=lambda fact: fact.id)
        query = " ".join(message.text for message in messages)
        related = await self._store.search_facts(
            user_id=user_id, chat_id=chat_id, query=query, k=self._max_related, now=now
        )
        return sorted(related, key=lambda fact: fact.id)


class _Fenced(Exception):
    """The scope was forgotten while its facts were being learned: store nothing more."""


def _prompt(
    messages: Sequence[MemoryHit], facts: Sequence[Fact], now: datetime
) -> list[ChatMessage]:
    lines = [f"Now: {_stamp(now)}", "", "Known facts:"]
    lines.extend(f"[F{number}] {fact.text}" for number, fact in enumerate(facts, 1))
    if not facts:
        lines.append("(none)")
    lines += ["", "New messages:"]
    for number, message in enumerate(messages, 1):
        speaker = message.speaker or ("Dazi" if message.role == "assistant" else "User")
        text = message.text[:_MAX_MESSAGE_CHARS]
        lines.append(f"[M{number}] {_stamp(message.at)} {speaker} ({message.role}): {text}")
    return [
        {"role": "system", "content": _SYSTEM_PROMPT},
        {"role": "user", "content": "\n".join(lines)},
    ]


def _stamp(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %a %H:%M UTC")


def _operations(tool_calls: Sequence[Any]) -> list[Any] | None:
    """The operations list of the first usable save_facts call, or None."""
    for call in tool_calls or ():
        if getattr(call, "name", None) != "save_facts":
            continue
        arguments = getattr(call, "arguments", None)
        if isinstance(arguments, str):  # a client that left the JSON unparsed
            try:
                arguments = json.loads(arguments)
            except ValueError:
                arguments = None
        if isinstance(arguments, Mapping):
            operations = arguments.get("operations")
            if isinstance(operations, list):
                return operations
            if isinstance(operations, Mapping):  # a single operation, not wrapped in a list
                return [operations]
        logger.warning("save_facts call with unusable arguments: %.200r", arguments)
    return None


def _summary(tool_calls: Sequence[Any]) -> str | None:
    """The summary of the first save_facts call that has one (short, one line)."""
    for call in tool_calls or ():
        arguments = getattr(call, "arguments", None)
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except ValueError:
                continue
        if getattr(call, "name", None) == "save_facts" and isinstance(arguments, Mapping):
            summary = arguments.get("summary")
            if isinstance(summary, str) and summary.strip():
                return " ".join(summary.split())[:_MAX_SUMMARY_CHARS]
    return None


def _local_ids(values: Any, prefix: str, count: int) -> list[int]:
    """1-based positions from model output like ["M1", "m2", 3, "F4"], ignoring the rest."""
    if isinstance(values, (str, int)) and not isinstance(values, bool):
        values = [values]
    if not isinstance(values, list):
        return []
    positions = []
    for value in values:
        if isinstance(value, bool):
            continue
        text = str(value).strip().upper().removeprefix(prefix).strip("[] ")
        if text.isdigit() and 1 <= int(text) <= count:
            positions.append(int(text))
    return list(dict.fromkeys(positions))


def _normalised(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(".。!！")


class _Application:
    """Applies one pass's operations to the store, tracking what changed."""

    def __init__(
        self,
        store: MemoryStore,
        user_id: int,
        chat_id: int,
        now: datetime,
        messages: Sequence[MemoryHit],
        facts: Sequence[Fact],
        fence: str,
    ) -> None:
        self._store = store
        self._scope = MemoryKeys(user_id=user_id, chat_id=chat_id)
        self._fence = fence
        self._now = now
        self._messages = list(messages)
        self._facts = list(facts)
        self._known = {_normalised(fact.text) for fact in facts}
        self._replaced: set[int] = set()
        self.result = ExtractionResult()

    async def operation(self, operation: Any) -> None:
        if not isinstance(operation, Mapping):
            self.result.skipped += 1
            return
        kind = str(operation.get("op", "")).strip().lower()
        if kind in ("none", "noop", ""):
            return
        if kind in ("add", "create", "new"):
            await self._add(operation)
        elif kind in ("update", "supersede", "replace", "change"):
            await self._update(operation)
        elif kind in ("delete", "remove", "retract"):
            await self._retract(operation)
        else:
            self.result.skipped += 1

    def _text(self, operation: Mapping[str, Any]) -> str | None:
        text = operation.get("text")
        if not isinstance(text, str) or not text.strip():
            return None
        return " ".join(text.split())[:_MAX_FACT_CHARS]

    def _sources(self, operation: Mapping[str, Any]) -> list[int]:
        positions = _local_ids(operation.get("source_messages"), "M", len(self._messages))
        if not positions:  # uncited: it came from this exchange as a whole
            return [message.message_id for message in self._messages]
        return [self._messages[position - 1].message_id for position in positions]

    def _replaces(self, operation: Mapping[str, Any]) -> list[int]:
        positions = _local_ids(operation.get("replaces"), "F", len(self._facts))
        ids = [self._facts[position - 1].id for position in positions]
        return [fact_id for fact_id in ids if fact_id not in self._replaced]

    @staticmethod
    def _labels(operation: Mapping[str, Any]) -> dict[str, Any]:
        subject = operation.get("subject")
        kind = operation.get("kind")
        return {
            "subject": subject.strip()[:100]
            if isinstance(subject, str) and subject.strip()
            else None,
            "kind": kind if kind in _KINDS else "other" if kind else "fact",
        }

    async def _add(self, operation: Mapping[str, Any]) -> None:
        text = self._text(operation)
        if text is None:
            self.result.skipped += 1
            return
        if _normalised(text) in self._known:
            return  # already known, unchanged
        fact = await self._store.add_fact(
            **self._scope,
            text=text,
            source_message_ids=self._sources(operation),
            now=self._now,
            fence=self._fence,
            **self._labels(operation),
        )
        self._known.add(_normalised(text))
        self.result.added.append(fact)

    async def _update(self, operation: Mapping[str, Any]) -> None:
        text = self._text(operation)
        replaced = self._replaces(operation)
        if text is None:
            self.result.skipped += 1
            return
        if not replaced:
            await self._add(operation)  # nothing valid to replace: it is a new fact
            return
        labels = self._labels(operation)
        fact = await self._store.supersede_fact(
            **self._scope,
            fact_ids=replaced,
            text=text,
            source_message_ids=self._sources(operation),
            now=self._now,
            subject=labels["subject"],
            kind=labels["kind"] if operation.get("kind") else None,
            fence=self._fence,
        )
        if fact is None:
            self.result.skipped += 1
            return
        self._replaced.update(replaced)
        self._known.add(_normalised(text))
        self.result.updated.append((tuple(replaced), fact))

    async def _retract(self, operation: Mapping[str, Any]) -> None:
        replaced = self._replaces(operation)
        if not replaced:
            self.result.skipped += 1
            return
        for fact_id in replaced:
            if await self._store.retract_fact(
                **self._scope,
                fact_id=fact_id,
                now=self._now,
                source_message_ids=self._sources(operation),
                fence=self._fence,
            ):
                self._replaced.add(fact_id)
                self.result.retracted.append(fact_id)
