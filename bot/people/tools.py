"""Tools the model calls in free chat: remember a person, offer to log a contact, look someone up.

The model only copies the user's words into structured fields (a name, a relation, the date
as said); dates and cadences are read by :mod:`bot.people.parsing`, never by the model. People
are private: in a group chat the tools are not offered to the model at all (``available``), and
should one be called there anyway it declines and tells the model why.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Literal, TypeVar

from pydantic import Field

from bot.conversation import ToolContext, ToolOutcome
from bot.conversation.tools import Tool, ToolArguments, shown_to_user
from bot.people.model import Actor
from bot.people.parsing import find_cadence, find_date
from bot.people.service import PeopleService

__all__ = ["LookupPersonTool", "OfferContactTool", "RememberPersonTool", "people_tools"]

_PRIVATE = (
    "not done: people are private and never handled in group chats. Tell the user briefly "
    "that you keep such things for your private chat with them."
)


def actor_of(context: ToolContext) -> Actor:
    return Actor(
        user_id=context.user.id,
        chat_id=context.chat.id,
        first_name=context.user.first_name,
        kind=context.chat.kind,
    )


def _squashed(text: str) -> str:
    """One line, single spaces: what the model copied may carry newlines and runs of spaces."""
    return " ".join(text.split())


Arguments = TypeVar("Arguments", bound=ToolArguments)


class _PrivateTool(Tool[Arguments]):
    """A people tool: offered to the model in private chats only."""

    def __init__(self, service: PeopleService) -> None:
        self._service = service

    def available(self, context: ToolContext) -> bool:
        return not context.chat.kind.is_group

    async def run(self, context: ToolContext, arguments: Arguments) -> ToolOutcome:
        """Declines in a group chat (should the model call it there anyway)."""
        if context.chat.kind.is_group:
            return ToolOutcome(result=_PRIVATE)
        return await self._run(context, arguments)

    @abstractmethod
    async def _run(self, context: ToolContext, arguments: Arguments) -> ToolOutcome:
        """What the tool does in a private chat."""


class RememberPersonArguments(ToolArguments):
    name: str = Field(
        max_length=200,
        description="The person's name as the user says it ('Anna', 'Tom'); for family "
        "without a name, the word the user uses ('Mom', '妈妈').",
    )
    relation: str = Field(
        "",
        max_length=200,
        description="How they relate to the user, in the user's language ('sister', "
        "'colleague', '妈妈', '同事'), if said.",
    )
    aliases: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Other names the user uses for them, if said.",
    )
    date: str = Field(
        "",
        max_length=200,
        description="A yearly date exactly as the user said it, copied from the message "
        "('March 14', '1990-03-14', '农历八月十五', '农历闰四月初八'). Never convert or "
        "compute dates yourself.",
    )
    date_kind: Literal["birthday", "anniversary", "other"] = Field(
        "birthday", description="What the date is (default birthday)."
    )
    date_label: str = Field(
        "",
        max_length=200,
        description="For anniversary/other: a short name ('wedding anniversary', 'name day').",
    )
    note: str = Field(
        "",
        max_length=2000,
        description="A short note worth remembering, in the user's language ('got a new job "
        "at Siemens', '喜欢兰花').",
    )
    keep_in_touch: str = Field(
        "",
        max_length=200,
        description="Only if the user says how often they want to be in touch: their words "
        "('every 2 weeks', '每月').",
    )


class RememberPersonTool(_PrivateTool[RememberPersonArguments]):
    """``remember_person``: the user shared something lasting about someone they know."""

    name = "remember_person"
    description = (
        "Save or update someone in the user's life when the user shares something lasting "
        "about a person they know: a birthday or other yearly date, how they are related, "
        "another name they go by, news or preferences worth keeping (a new job, loves "
        "orchids), or how often the user wants to stay in touch. One call per person. The app "
        "shows a one-line confirmation with an Undo button. Not for the user themselves or "
        "for public figures."
    )
    arguments = RememberPersonArguments

    async def _run(self, context: ToolContext, arguments: RememberPersonArguments) -> ToolOutcome:
        name = _squashed(arguments.name)
        if not name:
            return ToolOutcome(result="not saved: no name given.")
        op: dict[str, Any] = {"kind": "remember", "name": name[:80], "lang": context.language}
        problems = self._fill(op, arguments)
        relation = _squashed(arguments.relation)
        aliases = [_squashed(alias) for alias in arguments.aliases if alias.strip()][:5]
        if len(op) == 3 and not relation and not aliases:
            return ToolOutcome(result="not saved: " + ("; ".join(problems) or "nothing to save."))
        if relation:
            op["relation"] = relation[:60]
        if aliases:
            op["aliases"] = [alias[:80] for alias in aliases]
        op["one_line"] = True
        notice, change = await self._service.perform(actor_of(context), op)
        if change is None:
            return ToolOutcome(
                result=f"not saved yet: which person is meant is not clear. "
                f"{shown_to_user(notice)}. Say so briefly.",
                notice=notice,
            )
        verb = "added" if change.created else "updated"
        result = f"{verb} {change.person.name}. {shown_to_user(notice)}."
        if problems:
            result += " But: " + "; ".join(problems)
        return ToolOutcome(result=result + " Acknowledge briefly.", notice=notice)

    @staticmethod
    def _fill(op: dict[str, Any], arguments: RememberPersonArguments) -> list[str]:
        """Read the date, note and cadence into the operation; return what could not be read."""
        problems = []
        if words := _squashed(arguments.date):
            found = find_date(words)
            if found is None:
                problems.append(f"the date '{words}' could not be read; ask the user for it")
            else:
                op["date"] = {
                    "month": found.month,
                    "day": found.day,
                    "year": found.year,
                    "calendar": found.calendar,
                    "is_leap_month": found.is_leap_month,
                }
                op["date_kind"] = arguments.date_kind
                if label := _squashed(arguments.date_label):
                    op["date_label"] = label[:40]
        if note := _squashed(arguments.note):
            op["note"] = note[:500]
        if words := _squashed(arguments.keep_in_touch):
            cadence = find_cadence(words)
            if cadence is None:
                problems.append(f"how often ('{words}') could not be read")
            else:
                op["cadence"] = cadence[0]
        return problems


class OfferContactArguments(ToolArguments):
    name: str = Field(max_length=200, description="Who, as the user said it.")
    what: str = Field(
        "",
        max_length=500,
        description="What they did, short, in the user's language ('had dinner', '打了电话').",
    )
    when: str = Field(
        "",
        max_length=200,
        description="The user's words for when ('yesterday', '昨天'), if said; omit for today.",
    )


class OfferContactTool(_PrivateTool[OfferContactArguments]):
    """``offer_log_contact``: the user mentioned talking to someone; offer, never log."""

    name = "offer_log_contact"
    description = (
        "When the user mentions they talked to, called, met or spent time with someone they "
        "care about ('had dinner with Anna', '昨天给妈妈打了电话'), offer to log it so "
        "stay-in-touch reminders count from it. Nothing is logged unless the user taps "
        "'Log it'. At most once per mention."
    )
    arguments = OfferContactArguments

    async def _run(self, context: ToolContext, arguments: OfferContactArguments) -> ToolOutcome:
        name = _squashed(arguments.name)
        if not name:
            return ToolOutcome(result="not offered: no name given.")
        notice = await self._service.offer_contact(
            actor_of(context),
            name=name[:80],
            what=_squashed(arguments.what)[:200],
            when=_squashed(arguments.when),
            lang=context.language,
        )
        return ToolOutcome(
            result=f"offered: nothing is logged unless the user accepts. {shown_to_user(notice)}. "
            "Do not say it was logged.",
            notice=notice,
        )


class LookupPersonArguments(ToolArguments):
    name: str = Field(max_length=200, description="Name or relation.")


class LookupPersonTool(_PrivateTool[LookupPersonArguments]):
    """``lookup_person``: what the user told Dazi about someone (dates, notes, contact)."""

    name = "lookup_person"
    description = (
        "Look up a person the user told you about: relation, birthdays and other dates (with "
        "the next Gregorian day, also for lunar dates), notes, last contact and stay-in-touch "
        "cadence. Use it to answer questions like 'when is Mom's birthday?' or 'what does "
        "Anna like?'."
    )
    arguments = LookupPersonArguments

    async def _run(self, context: ToolContext, arguments: LookupPersonArguments) -> ToolOutcome:
        return ToolOutcome(
            result=await self._service.describe(actor_of(context), _squashed(arguments.name))
        )


def people_tools(
    service: PeopleService,
) -> list[_PrivateTool[Any]]:
    """Every people tool, for ``ToolRegistry.register``."""
    return [RememberPersonTool(service), OfferContactTool(service), LookupPersonTool(service)]
