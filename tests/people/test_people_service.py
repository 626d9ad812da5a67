"""The people service without Telegram: operations and their undo, splitting arguments,
edits, drafts, buttons, export/forget/migrate."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.llm.client import LLMUnavailable
from bot.memory import MemoryStore
from bot.outbound import Action
from bot.people.buttons import NoteId, PersonId, Taps
from bot.people.commands import Subject, parse_edit, read_subject, split_subject
from bot.people.service import PeopleService, display_name
from bot.storage import UserRecord
from tests.people.people_fixtures import ANNA, GROUP, LI, World, labels, make_world


def _undo(notice) -> str:
    return next(b.action for row in notice.buttons for b in row if b.action.tap is Taps.UNDO)


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


def test_possessives_and_surnames() -> None:
    class P:
        def __init__(self, name: str, aliases: tuple[str, ...] = ()) -> None:
            self.name, self.aliases = name, aliases

    known = [P("Anna"), P("安娜"), P("小王"), P("Anna Schmidt")]
    for people in (known, []):
        assert read_subject("Anna's husband likes golf", people) == Subject(
            "Anna", "husband likes golf"
        )
        assert read_subject("Anna’s husband likes golf", people).rest == "husband likes golf"
        assert read_subject("安娜的丈夫喜欢高尔夫", people) == Subject("安娜", "丈夫喜欢高尔夫")
    assert read_subject("James' dog is sick", []) == Subject("James", "dog is sick")
    # A surname after a known first name: maybe someone else, so it says which name it was.
    assert read_subject("Anna Smith likes jazz", known) == Subject(
        "Anna Smith", "likes jazz", shorter="Anna"
    )
    assert read_subject("Anna Smith's husband likes golf", known) == Subject(
        "Anna Smith", "husband likes golf", shorter="Anna"
    )
    assert read_subject("Anna Schmidt likes jazz", known) == Subject("Anna Schmidt", "likes jazz")
    assert read_subject("Anna Smith likes jazz", []) == Subject("Anna Smith", "likes jazz")
    assert read_subject("Anna Berg likes jazz", [P("Anna Schmidt")]) == Subject(
        "Anna Berg", "likes jazz", shorter="Anna"
    )
    assert split_subject("Anna Smith likes jazz", known) == ("Anna Smith", "likes jazz")
    # Capitalised words that are not surnames, and colons in times.
    assert read_subject("Anna Tuesday dinner", known) == Subject("Anna", "Tuesday dinner")
    assert read_subject("Anna IBM interview", known) == Subject("Anna", "IBM interview")
    assert read_subject("Tom I think likes tea", []) == Subject("Tom", "I think likes tea")
    assert read_subject("Tom 11:30 coffee", []) == Subject("Tom", "11:30 coffee")
    assert read_subject("Tom, coffee 3 days ago", []) == Subject("Tom", "coffee 3 days ago")
    assert read_subject("Anna Christmas party", known) == Subject("Anna", "Christmas party")
    assert read_subject("小王的确很忙", known) == Subject("小王", "的确很忙")


def test_dates_do_not_switch_the_language() -> None:
    english = UserRecord(ANNA.user_id, "Anna", None, "en", None)
    chinese = UserRecord(LI.user_id, "李雷", None, "zh", None)
    assert PeopleService._lang(english, "Eve lunar 闰4/8") == "en"
    assert PeopleService._lang(english, "Eve lunar 闰13/8") == "en"
    assert PeopleService._lang(english, "Dan 3月14日") == "en"
    assert PeopleService._lang(english, "妈妈 农历八月十五") == "zh"
    assert PeopleService._lang(english, "奶奶 昨天打了电话") == "zh"
    assert PeopleService._lang(chinese, "Eve lunar leap 4/8") == "zh"
    assert PeopleService._lang(chinese, "Tom had a long dinner with us yesterday") == "en"


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
    reply = await world.service.act(ANNA, Action(Taps.EDIT, PersonId(tom.id)))
    assert reply.edit is not None and "Editing <b>Tom</b>" not in reply.edit.text
    assert "Editing **Tom**" in reply.edit.text
    assert labels(reply.edit) == ["🗑 📝 loves orchids", "↩️ Back"]
    assert world.service.editing(ANNA.chat_id, ANNA.user_id, "alias Tommy")
    assert not world.service.editing(ANNA.chat_id, ANNA.user_id, "how are you?")
    notice = await world.service.apply_edit(ANNA, "alias Tommy")
    assert "Also called: Tommy" in notice.text
    note = (await world.service.repo.notes_of(tom.id))[0]
    reply = await world.service.act(ANNA, Action(Taps.REMOVE_NOTE, NoteId(note.id)))
    assert reply.toast == "Removed." and await world.service.repo.notes_of(tom.id) == []


async def test_a_group_gets_only_a_hint(world: World) -> None:
    await world.say(ANNA, "note", "Tom loves orchids")
    notice = await world.say(GROUP, "person", "Tom")
    assert "private" in notice.text and "orchids" not in notice.text
    [here] = [b.action for row in notice.buttons for b in row]
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


async def test_contacts_in_the_past(world: World) -> None:
    notice = await world.say(ANNA, "met", "Tom 2 weeks ago dinner")
    assert "🤝 Logged: dinner (2 weeks ago, Sat 14 Nov)" in notice.text
    tom = await world.person(ANNA, "Tom")
    [contact] = await world.service.repo.interactions_of(tom.id)
    assert (contact.at, contact.note) == (datetime(2026, 11, 14, 12, tzinfo=UTC), "dinner")
    notice = await world.say(ANNA, "met", "Tom last Tuesday")
    assert "🤝 Logged a contact (4 days ago, Tue 24 Nov)" in notice.text
    notice = await world.say(ANNA, "met", "Tom, coffee 3 days ago")
    assert "🤝 Logged: coffee (3 days ago, Wed 25 Nov)" in notice.text
    # An older contact logged later does not move the last contact back.
    await world.say(ANNA, "met", "Tom last weekend hiking")
    tom = await world.person(ANNA, "Tom")
    assert tom.last_contact_at == datetime(2026, 11, 25, 12, tzinfo=UTC)
    notes = [item.note for item in await world.service.repo.interactions_of(tom.id)]
    assert notes == ["coffee", None, "hiking", "dinner"]
    # Never in the future: "tomorrow" is not a past day, the contact is now.
    notice = await world.say(ANNA, "met", "Tom tomorrow maybe")
    assert "🤝 Logged: tomorrow maybe (today)" in notice.text
    assert (await world.person(ANNA, "Tom")).last_contact_at == world.clock.now()
    notice = await world.say(ANNA, "met", "Tom 12/20 party")  # last December's
    assert "🤝 Logged: party (11 months ago, Sat 20 Dec 2025)" in notice.text


async def test_contacts_in_the_past_in_chinese_and_another_zone(world: World) -> None:
    await world.users.set_timezone(LI.user_id, "Asia/Shanghai")
    world.clock.set(datetime(2026, 11, 28, 17, 0, tzinfo=UTC))  # Sun 29 Nov 01:00 in Shanghai
    notice = await world.say(LI, "met", "奶奶 三天前一起吃饭")
    assert "🤝 已记录：一起吃饭（3天前，11月26日周四）" in notice.text
    grandma = await world.person(LI, "奶奶")
    [contact] = await world.service.repo.interactions_of(grandma.id)
    assert contact.at == datetime(2026, 11, 26, 4, tzinfo=UTC)  # noon in Shanghai
    notice = await world.say(LI, "met", "奶奶 上周二打了电话")
    assert "🤝 已记录：打了电话（12天前，11月17日周二）" in notice.text
    notice = await world.say(LI, "met", "奶奶 两周前")
    assert "🤝 已记录联系（2周前，11月15日周日）" in notice.text


async def test_a_surname_after_a_known_name_asks(world: World) -> None:
    await world.say(ANNA, "note", "Anna loves tea")
    question = await world.say(ANNA, "note", "Anna Smith likes jazz")
    assert question.text == "Is this someone I already know, or someone new?"
    assert labels(question) == ["Anna (loves tea)", "➕ Someone new: Anna Smith", "✖️ Cancel"]
    anna = await world.person(ANNA, "Anna")
    pick = question.buttons[0][0].action
    reply = await world.service.act(ANNA, pick)
    assert reply.edit is not None
    assert reply.edit.text == (
        "👤 Updated: **Anna**\n🏷 Also called: Anna Smith\n📝 Note: likes jazz"
    )
    assert [n.text for n in await world.service.repo.notes_of(anna.id)] == [
        "likes jazz",
        "loves tea",
    ]
    # Someone new, this time.
    question = await world.say(ANNA, "met", "Anna Jones yesterday lunch")
    new = next(b.action for row in question.buttons for b in row if b.label.startswith("➕"))
    reply = await world.service.act(ANNA, new)
    assert reply.edit is not None and reply.edit.text.startswith("👤 New: **Anna Jones**")
    assert "🤝 Logged: lunch (yesterday, Fri 27 Nov)" in reply.edit.text
    # The possessive goes: the note is about Anna.
    notice = await world.say(ANNA, "note", "Anna's husband likes golf")
    assert notice.text == "👤 Updated: **Anna**\n📝 Note: husband likes golf"


async def test_leap_month_birthdays_in_english(world: World) -> None:
    for text in ("Eve lunar 闰4/8", "Fay lunar 4/8 leap", "Gus lunar leap 4/8"):
        notice = await world.say(ANNA, "birthday", text)
        assert "🎂 Birthday: lunar leap 4/8 — next on Thu 13 May 2027" in notice.text, notice.text
        assert "Lunar date" in notice.text
    for name in ("Eve", "Fay", "Gus"):
        person = await world.person(ANNA, name)
        [birthday] = await world.service.repo.dates_of(person.id)
        assert birthday.is_leap_month and birthday.calendar == "chinese-lunar"
    notice = await world.say(ANNA, "birthday", "Eve lunar 闰13/8")
    assert notice.text.startswith("I couldn't read a date in “Eve lunar 闰13/8”")
    assert "lunar leap 4/8" in notice.text
