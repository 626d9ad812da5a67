"""The people tools the model calls: remember, offer to log a contact, look up."""

from __future__ import annotations

from typing import Any

from bot.chats import ChatKind
from bot.conversation import Incoming, Tool, ToolContext, ToolOutcome, ToolRegistry
from bot.conversation.tools import NoArguments
from bot.llm.types import ToolSpec
from bot.people import people_tools
from bot.storage import ChatRecord, UserRecord
from tests.people.people_fixtures import ANNA, START, World, labels


def _context(chat_id: int = ANNA.chat_id, language: str = "en") -> ToolContext:
    kind = ChatKind.GROUP if chat_id < 0 else ChatKind.PRIVATE
    return ToolContext(
        user=UserRecord(ANNA.user_id, "Anna", None, "en", None),
        chat=ChatRecord(chat_id, "supergroup" if kind.is_group else "private", None, 1, True),
        incoming=Incoming(chat_id, kind, ANNA.user_id, "Anna", "…", START),
        now=START,
        language=language,
        timezone="UTC",
    )


def _tools(world: World) -> dict[str, Any]:
    return {tool.spec["function"]["name"]: tool for tool in people_tools(world.service)}


def test_specs_are_well_formed(world: World) -> None:
    for name, tool in _tools(world).items():
        spec = tool.spec
        assert spec["type"] == "function" and spec["function"]["name"] == name
        assert spec["function"]["parameters"]["required"] == ["name"]


async def test_remember_with_every_field(world: World) -> None:
    outcome = await _tools(world)["remember_person"].call(
        _context(),
        {
            "name": "Anna",
            "relation": "sister",
            "aliases": ["Annie"],
            "date": "1990-03-14",
            "note": "loves orchids",
            "keep_in_touch": "every 2 weeks",
        },
    )
    assert outcome.result.startswith("added Anna")
    assert outcome.notice is not None
    assert outcome.notice.text.startswith("👤 New: **Anna** (sister) · 🎂 Birthday: 14 Mar 1990")
    assert "\n" not in outcome.notice.text  # one line
    assert labels(outcome.notice) == ["↩️ Undo"]
    anna = await world.person(ANNA, "Anna")
    assert (anna.aliases, anna.cadence_days) == (("Annie",), 14)


async def test_an_anniversary_with_a_label(world: World) -> None:
    outcome = await _tools(world)["remember_person"].call(
        _context(),
        {"name": "Lea", "date": "June 3", "date_kind": "anniversary", "date_label": "Wedding"},
    )
    assert "💍 Wedding: 3 Jun" in outcome.notice.text


async def test_unreadable_words_are_reported_to_the_model(world: World) -> None:
    outcome = await _tools(world)["remember_person"].call(
        _context(), {"name": "Tom", "date": "sometime in spring", "note": "has a dog"}
    )
    assert "could not be read; ask the user" in outcome.result
    outcome = await _tools(world)["remember_person"].call(_context(), {"name": "Bob"})
    assert outcome.result.startswith("not saved") and outcome.notice is None


async def test_tools_decline_in_groups(world: World) -> None:
    for name, arguments in (
        ("remember_person", {"name": "Anna", "note": "x"}),
        ("offer_log_contact", {"name": "Anna"}),
        ("lookup_person", {"name": "Anna"}),
    ):
        outcome = await _tools(world)[name].call(_context(-100500), arguments)
        assert "private" in outcome.result and outcome.notice is None
    assert await world.service.repo.for_user(ANNA.user_id) == []


class _Anywhere(Tool[NoArguments]):
    """A tool without its own ``available``: offered everywhere."""

    name = "anywhere"
    description = "Offered everywhere."
    arguments = NoArguments

    async def run(self, context: ToolContext, arguments: NoArguments) -> ToolOutcome:
        return ToolOutcome(result="ok")


def _names(specs: list[ToolSpec]) -> list[str]:
    return [spec["function"]["name"] for spec in specs]


async def test_people_tools_are_not_offered_in_groups(world: World) -> None:
    registry = ToolRegistry()
    for tool in [*people_tools(world.service), _Anywhere()]:
        registry.register(tool)
    people = ["remember_person", "offer_log_contact", "lookup_person"]
    assert _names(registry.specs(_context())) == [*people, "anywhere"]
    assert _names(registry.specs(_context(-100500))) == ["anywhere"]
    assert _names(registry.specs()) == [*people, "anywhere"]  # no context: everything


async def test_offer_asks_which_namesake(world: World) -> None:
    await world.say(ANNA, "note", "Tom: works at Siemens")
    await world.service.repo.add(
        user_id=ANNA.user_id, name="Tom", now=world.clock.now(), relation="brother"
    )
    outcome = await _tools(world)["offer_log_contact"].call(
        _context(), {"name": "Tom", "what": "had lunch", "when": "yesterday"}
    )
    assert outcome.notice is not None
    assert outcome.notice.text == (
        "🤝 Shall I log that you had lunch with **Tom** (yesterday, Fri 27 Nov)?"
    )
    assert labels(outcome.notice) == [
        "✅ Tom (works at Siemens)",
        "✅ Tom (brother)",
        "No thanks",
    ]


async def test_lookup_tells_the_model_dates_and_notes(world: World) -> None:
    await world.say(ANNA, "birthday", "Mom lunar 8/15")
    await world.say(ANNA, "note", "Mom loves tulips")
    text = (await _tools(world)["lookup_person"].call(_context(), {"name": "mother"})).result
    assert "Mom" in text and "lunar 8/15" in text and "Wed 15 Sep 2027" in text
    assert "loves tulips" in text
    missing = (await _tools(world)["lookup_person"].call(_context(), {"name": "Zed"})).result
    assert missing.startswith("no person called 'Zed'")


async def test_results_name_exactly_the_buttons_the_user_saw(world: World) -> None:
    tools = _tools(world)
    for name, arguments in [
        ("remember_person", {"name": "Anna", "relation": "sister"}),
        ("offer_log_contact", {"name": "Anna", "what": "had dinner"}),
    ]:
        outcome = await tools[name].call(_context(), arguments)
        assert outcome.notice is not None
        labels = [button.label for row in outcome.notice.buttons for button in row]
        assert labels and all(f"[{label}]" in outcome.result for label in labels)
        assert "without any buttons" not in outcome.result
