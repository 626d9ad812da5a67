"""``search_memory``: the model searches long-term memory itself, once or a few times a turn.

The automatic recall before each answer brings what the user's message points at; this tool lets
the model follow one memory to the next ("which city did my sister visit after her wedding?":
first the wedding, then her trips after that date), narrow a search to a stretch of time ("last
weekend", "上个月", or explicit dates) or to a person, and look up what used to be true.

Bounded: at most :data:`MAX_SEARCHES_PER_TURN` searches in one turn, each answering with a few
short, dated lines. Scoped like recall: in a private chat the user's own memory; in a group the
group's memory, plus the asker's private memory only if they allowed it in that group (and then
labelled, for their question only). Times are resolved by :mod:`bot.memory.timehints` in the
user's time zone, never by the model.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import Field

from bot.conversation.tools import Tool, ToolArguments, ToolContext, ToolOutcome
from bot.memory.store import MemoryStore
from bot.memory.timehints import parse_time_window
from bot.memory.types import Fact, MemoryHit

__all__ = ["MAX_SEARCHES_PER_TURN", "SearchMemoryTool", "memory_tools"]

#: Searches the model may run in one turn; later calls are refused with a note to answer.
MAX_SEARCHES_PER_TURN = 4
#: Messages and facts one search returns, and how much of each message is shown.
_MESSAGES_PER_SEARCH = 6
_FACTS_PER_SEARCH = 4
_MAX_LINE_CHARS = 220
#: Longest query the tool accepts (a search is a few words, not a pasted document).
_MAX_QUERY_CHARS = 300

#: (user_id, chat_id) -> whether that user allowed their private memory in that group.
PrivateMemoryPolicy = Callable[[int, int], Awaitable[bool]]

_NAME = "search_memory"


class SearchMemoryArguments(ToolArguments):
    query: str = Field(
        max_length=2000,
        description="What to look for, in a few words, in the user's language "
        "(e.g. 'sister trip', 'new job', '搬家').",
    )
    when: str = Field(
        "",
        max_length=200,
        description="Optional: the time to search, copied from the user's words "
        "(e.g. 'last weekend', 'in March', 'last year', '上个月', '上周末'). Never compute "
        "dates yourself for this field.",
    )
    start_date: str = Field(
        "",
        max_length=40,
        description="Optional: search only from this date, YYYY-MM-DD (e.g. a date "
        "taken from an earlier result).",
    )
    end_date: str = Field(
        "",
        max_length=40,
        description="Optional: search only up to this date (inclusive), YYYY-MM-DD.",
    )
    person: str = Field(
        "",
        max_length=200,
        description="Optional: only what this person said or what mentions them "
        "(a name as the user says it).",
    )


@dataclass(frozen=True, slots=True)
class _Range:
    since: datetime | None
    until: datetime | None
    label: str


class SearchMemoryTool(Tool[SearchMemoryArguments]):
    """The ``search_memory`` tool over a :class:`MemoryStore` (see the module docstring)."""

    name = _NAME
    description = (
        "Search the long-term memory of past conversations with this user (or this group) when "
        "the remembered lines you were given do not already answer. Call it again with what you "
        "learned to follow one memory to the next (e.g. first find when something happened, then "
        "search that time). Each result line is dated. At most "
        f"{MAX_SEARCHES_PER_TURN} searches per answer."
    )
    arguments = SearchMemoryArguments

    def __init__(
        self, store: MemoryStore, *, private_memory_allowed: PrivateMemoryPolicy | None = None
    ) -> None:
        self._store = store
        self._private_allowed = private_memory_allowed

    async def run(self, context: ToolContext, arguments: SearchMemoryArguments) -> ToolOutcome:
        used = context.turn_calls.get(_NAME, 0)
        if used >= MAX_SEARCHES_PER_TURN:
            return ToolOutcome(
                result=f"not searched: the limit of {MAX_SEARCHES_PER_TURN} searches for this "
                "answer is reached. Answer with what you found, and say what you could not find."
            )
        context.turn_calls[_NAME] = used + 1
        query = _text(arguments.query)[:_MAX_QUERY_CHARS]
        person = _text(arguments.person)[:100] or None
        zone = ZoneInfo(context.timezone)
        now_local = context.now.astimezone(zone)
        span = _range(arguments, now_local)
        if isinstance(span, str):
            return ToolOutcome(result=span)
        if not query and person is None and span.since is None and span.until is None:
            return ToolOutcome(result="error: give a query (a few words of what to look for).")
        scopes = [(context.user.id, context.chat.id, "")]
        if context.chat.kind.is_group and await self._shares_private(context):
            scopes.append((context.user.id, context.user.id, context.user.first_name))
        sections = [f"search {query!r}{_describe(span, person)}"]
        for user_id, chat_id, private_of in scopes:
            sections.append(
                await self._search_scope(
                    user_id,
                    chat_id,
                    query,
                    person,
                    span,
                    now_local,
                    zone,
                    private_of,
                    written_before=context.incoming.at,  # not the question being answered
                )
            )
        return ToolOutcome(result="\n".join(section for section in sections if section))

    async def _shares_private(self, context: ToolContext) -> bool:
        if self._private_allowed is None:
            return False
        return await self._private_allowed(context.user.id, context.chat.id)

    async def _search_scope(
        self,
        user_id: int,
        chat_id: int,
        query: str,
        person: str | None,
        span: _Range,
        now_local: datetime,
        zone: ZoneInfo,
        private_of: str,
        written_before: datetime,
    ) -> str:
        words = " ".join(part for part in (query, person or "") if part)
        hits = await self._store.search(
            user_id=user_id,
            chat_id=chat_id,
            query=words,
            k=_MESSAGES_PER_SEARCH,
            now=now_local,
            since=span.since,
            until=span.until,
            person=person,
            written_before=written_before,
        )
        facts: list[Fact] = []
        if span.since is None and span.until is None and words:
            facts = await self._store.search_facts(
                user_id=user_id,
                chat_id=chat_id,
                query=words,
                k=_FACTS_PER_SEARCH,
                now=now_local,
                include_superseded=True,
            )
        lines: list[str] = []
        if private_of:
            lines.append(
                f"From {private_of}'s private memory (they allowed it here; use it only to "
                f"answer {private_of}):"
            )
        if facts:
            lines.append("facts:")
            lines.extend(_fact_line(fact, facts, zone) for fact in facts)
        if hits:
            lines.append("messages (oldest first):")
            ordered = sorted(hits, key=lambda hit: (hit.at, hit.message_id))
            lines.extend(_message_line(hit, zone) for hit in ordered)
        if not facts and not hits:
            lines.append("nothing found" if not private_of else "nothing found there")
        return "\n".join(lines)


def memory_tools(
    store: MemoryStore, *, private_memory_allowed: PrivateMemoryPolicy | None = None
) -> list[SearchMemoryTool]:
    """Every memory tool, for ``ToolRegistry.register``."""
    return [SearchMemoryTool(store, private_memory_allowed=private_memory_allowed)]


def _text(value: str) -> str:
    return " ".join(value.split())


def _range(arguments: SearchMemoryArguments, now_local: datetime) -> _Range | str:
    """The time range the arguments ask for, or an error message for the model."""
    since: datetime | None = None
    until: datetime | None = None
    when = _text(arguments.when)
    if when:
        window = parse_time_window(when, now_local)
        if window is None:
            return (
                f"error: could not read the time {when!r}; repeat the user's words (e.g. 'last "
                "week', '上个月') or give start_date/end_date as YYYY-MM-DD."
            )
        since, until = window.start, window.end
    for key, raw in (("start_date", arguments.start_date), ("end_date", arguments.end_date)):
        raw = _text(raw)
        if not raw:
            continue
        try:
            day = date.fromisoformat(raw[:10])
        except ValueError:
            return f"error: {key} must be a date as YYYY-MM-DD, not {raw!r}."
        moment = datetime.combine(day, time(), tzinfo=now_local.tzinfo)
        if key == "start_date":
            since = moment if since is None else max(since, moment)
        else:
            moment += timedelta(days=1)  # the end date is inclusive
            until = moment if until is None else min(until, moment)
    if since is not None and until is not None and since >= until:
        return "error: the time range is empty (the start is after the end)."
    label = ""
    if since is not None or until is not None:
        first = f"{since:%Y-%m-%d}" if since else "…"
        last = f"{until - timedelta(seconds=1):%Y-%m-%d}" if until else "…"
        label = f"{first} to {last}"
    return _Range(since, until, label)


def _describe(span: _Range, person: str | None) -> str:
    parts = []
    if span.label:
        parts.append(f"from {span.label}")
    if person:
        parts.append(f"about {person}")
    return f" ({', '.join(parts)})" if parts else ""


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_LINE_CHARS else text[: _MAX_LINE_CHARS - 1] + "…"


def _day(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %a}"


def _message_line(hit: MemoryHit, zone: ZoneInfo) -> str:
    speaker = hit.speaker or {"assistant": "Dazi", "user": "user"}.get(hit.role, hit.role)
    return f"[{_day(hit.at, zone)}] {speaker}: {_clip(hit.text)}"


def _fact_line(fact: Fact, shown: list[Fact], zone: ZoneInfo) -> str:
    if fact.is_active:
        return f"- {_clip(fact.text)} (true now; noted {_day(fact.created_at, zone)})"
    ended = fact.valid_until or fact.updated_at
    status = f"no longer true since {_day(ended, zone)}"
    if fact.status == "superseded":
        newer = next((other for other in shown if other.id == fact.superseded_by), None)
        status += f"; replaced by: {_clip(newer.text)}" if newer else "; replaced"
    return f"- {_clip(fact.text)} ({status})"
