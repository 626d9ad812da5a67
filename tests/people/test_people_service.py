"""The people service without Telegram: operations and their undo, splitting arguments,
edits, drafts, buttons, export/forget/migrate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.llm.client import LLMUnavailable
from bot.memory import MemoryStore
from bot.people.commands import parse_edit, split_subject
from bot.people.service import display_name
from tests.people.people_fixtures import ANNA, GROUP, LI, World, labels, make_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    made = await make_world(tmp_path / "p.sqlite3")
    yield made
    await made.close()


def _undo(notice) -> str:
    return next(b.data for row in notice.buttons for b in row if b.data.startswith("ppl:undo:"))


async def test_undo_restores_a_replaced_birthday_and_relation(world: World) -> None:
    await world.say(ANNA, "birthday", "Tom 03-14")
    notice, _ = await world.service.perform(
        ANNA,
        {
            "kind": "remember",
            "name": "Tom",
            "relation": "brother",
            "date": {"month": 4, "day": 1, "year": 1990, "calendar": "gregorian",
                     "is_leap_month": False},
        },
    )  # fmt: skip
    tom = await world.person(ANNA, "Tom")
    [birthday] = await world.service.repo.dates_of(tom.id)
    assert (birthday.month, birthday.day, birthday.year, tom.relation) == (4, 1, 1990, "brother")
    reply = await world.service.act(ANNA, _undo(notice))
    assert reply.edit is not None and reply.edit.text == "↩️ Undone."
    tom = await world.person(ANNA, "Tom")
    [birthday] = await world.service.repo.dates_of(tom.id)
    assert (birthday.month, birthday.day, birthday.year, tom.relation) == (3, 14, None, None)
    again = await world.service.act(ANNA, _undo(notice))
    assert again.toast == "This is no longer available."


async def test_undo_restores_the_cadence_and_the_last_contact(world: World) -> None:
    await world.say(ANNA, "keepintouch", "Tom every week")
    notice = await world.say(ANNA, "keepintouch", "Tom monthly")
    met = await world.say(ANNA, "met", "Tom lunch")
    assert (await world.person(ANNA, "Tom")).last_contact_at == world.clock.now()
    await world.service.act(ANNA, _undo(met))
    await world.service.act(ANNA, _undo(notice))
    tom = await world.person(ANNA, "Tom")
    assert (tom.cadence_days, tom.last_contact_at) == (7, None)


async def test_someone_elses_undo_does_nothing(world: World) -> None:
    notice = await world.say(ANNA, "note", "Tom loves orchids")
    reply = await world.service.act(LI, _undo(notice))
    assert reply.alert and reply.toast == "只有发起的人才能使用这些按钮。"
    assert len(await world.service.repo.for_user(ANNA.user_id)) == 1


def test_splitting_the_person_from_the_rest() -> None:
    class P:
        def __init__(self, name: str, aliases: tuple[str, ...] = ()) -> None:
            self.name, self.aliases = name, aliases

    people = [P("Anna Schmidt", ("Annie",)), P("小王")]
    assert split_subject("Anna Schmidt loves orchids", people) == ("Anna Schmidt", "loves orchids")
    assert split_subject("annie: new job", people) == ("annie", "new job")
    assert split_subject("小王换了新工作", people) == ("小王", "换了新工作")
    assert split_subject("我妈喜欢兰花", people) == ("妈", "喜欢兰花")
    assert split_subject("my mom loves tulips", people) == ("mom", "loves tulips")
    assert split_subject("Tom got a dog", people) == ("Tom", "got a dog")
    assert split_subject("Annabel likes tea", [P("Anna")]) == ("Annabel", "likes tea")


def test_reading_edits() -> None:
    assert parse_edit("relation sister\nalias Annie, Nan") == {
        "relation": "sister",
        "force_relation": True,
        "aliases": ["Annie", "Nan"],
    }
    assert parse_edit("生日 农历八月十五")["date"]["calendar"] == "chinese-lunar"
    assert parse_edit("every 2 weeks") == {"cadence": 14}
    assert parse_edit("名字 王小明") == {"rename": "王小明"}
    assert parse_edit("备注 喜欢爵士乐") == {"note": "喜欢爵士乐"}
    assert parse_edit("what a lovely day") is None


def test_display_names() -> None:
    assert display_name("my mom") == "Mom"
    assert display_name("anna") == "Anna"
    assert display_name("我的妈妈") == "妈妈"
    assert display_name("van der Berg") == "van der Berg"  # mixed case is kept as typed


async def test_editing_reads_only_edits(world: World) -> None:
    await world.say(ANNA, "note", "Tom loves orchids")
    tom = await world.person(ANNA, "Tom")
    reply = await world.service.act(ANNA, f"ppl:edit:{tom.id}")
    assert reply.edit is not None and "Editing <b>Tom</b>" not in reply.edit.text
    assert "Editing **Tom**" in reply.edit.text
    assert labels(reply.edit) == ["🗑 📝 loves orchids", "↩️ Back"]
    assert world.service.editing(ANNA.chat_id, ANNA.user_id, "alias Tommy")
    assert not world.service.editing(ANNA.chat_id, ANNA.user_id, "how are you?")
    notice = await world.service.apply_edit(ANNA, "alias Tommy")
    assert "Also called: Tommy" in notice.text
    note = (await world.service.repo.notes_of(tom.id))[0]
    reply = await world.service.act(ANNA, f"ppl:rmn:{note.id}")
    assert reply.toast == "Removed." and await world.service.repo.notes_of(tom.id) == []


async def test_a_group_gets_only_a_hint(world: World) -> None:
    await world.say(ANNA, "note", "Tom loves orchids")
    notice = await world.say(GROUP, "person", "Tom")
    assert "private" in notice.text and "orchids" not in notice.text
    [here] = [b.data for row in notice.buttons for b in row]
    reply = await world.service.act(GROUP, here)
    assert reply.edit is not None and "loves orchids" in reply.edit.text


async def test_drafts_ask_the_model_with_notes_and_memories(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    world = await make_world(path)
    memory = await MemoryStore.open(world.db)
    world.service._memory = memory
    try:
        await memory.add_message(
            user_id=ANNA.user_id,
            chat_id=ANNA.chat_id,
            role="user",
            text="Tom is training for the Berlin marathon",
            at=datetime(2026, 11, 20, 9, tzinfo=UTC),
        )
        await memory.add_message(
            user_id=LI.user_id,
            chat_id=LI.chat_id,
            role="user",
            text="Tom from my office owes me money",
            at=datetime(2026, 11, 21, 9, tzinfo=UTC),
        )
        await world.say(ANNA, "note", "Tom loves orchids")
        world.llm.answers = ['"Good luck with the marathon, Tom!"']
        notice = await world.say(ANNA, "draft", "Tom")
        assert notice.text == "Good luck with the marathon, Tom\\!"
        prompt = "\n".join(m["content"] for m in world.llm.requests[-1])
        assert "loves orchids" in prompt and "Berlin marathon" in prompt
        assert "owes me money" not in prompt  # another user's memory
        world.llm.answers = [LLMUnavailable("down")]
        notice = await world.say(ANNA, "draft", "Tom")
        assert "can't reach my language model" in notice.text
    finally:
        await world.close()


async def test_export_forget_and_migrate(world: World) -> None:
    await world.say(ANNA, "birthday", "妈妈 农历闰四月初八")
    await world.say(ANNA, "met", "妈妈 called")
    await world.say(LI, "note", "小王 喜欢茶")
    data = await world.service.export(user_id=ANNA.user_id, chat_id=ANNA.chat_id)
    [mom] = data["people"]
    assert mom["dates"][0]["calendar"] == "chinese-lunar" and mom["dates"][0]["is_leap_month"]
    assert mom["interactions"][0]["note"] == "called"
    assert (await world.service.export(user_id=ANNA.user_id, chat_id=GROUP.chat_id)) == {
        "people": []
    }
    notice = await world.say(GROUP, "people")
    assert await world.service.migrate_chat(GROUP.chat_id, -100999) == 1
    assert notice.buttons
    assert await world.service.forget_all(user_id=ANNA.user_id, chat_id=GROUP.chat_id) == 0
    assert await world.service.forget_all(user_id=ANNA.user_id, chat_id=ANNA.chat_id) == 1
    assert await world.service.repo.for_user(ANNA.user_id) == []
    assert len(await world.service.repo.for_user(LI.user_id)) == 1
