"""Forgetting a topic across every store, and /export and /forget all covering every table.

These tests run the real owners (memory, reminders, groups, people) on one database, registered
as the composition root registers them. The table checks read ``sqlite_master``, so a table
added later without an export and a forget fails here until it is listed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.account import AccountService, MemoryData, TopicMatcher, TopicPreview
from bot.account import TopicMatches as Matches
from bot.chats import ChatKind
from bot.conversation import Attachment, Incoming
from bot.groups import GROUP_MIGRATIONS, GroupService
from bot.media import MediaUsage
from bot.memory import MediaRecord, MemoryStore
from bot.people.parsing import DateWords
from bot.storage import CORE_MIGRATIONS, ChatRepository, Database, UserRepository
from tests.fakes.account_world import AccountWorld, SwitchEmbedder, reminder_for_tomorrow
from tests.fakes.clock import FakeClock

ANNA, BOB, LI, GROUP = 101, 303, 202, -4001


@pytest.fixture
def account_embedder(monkeypatch: pytest.MonkeyPatch) -> SwitchEmbedder:
    """Memory with vectors (stored as blobs, whatever this machine has), from an embedder the
    tests can switch off."""

    async def no_sqlite_vec(_: Any) -> bool:
        return False

    monkeypatch.setattr("bot.memory.backends.load_sqlite_vec", no_sqlite_vec)
    return SwitchEmbedder()


async def _user(account_world: AccountWorld, user_id: int, name: str) -> None:
    now = account_world.clock.now()
    await account_world.users.upsert(
        user_id=user_id, first_name=name, username=None, language="en", now=now
    )
    await account_world.chats.upsert(chat_id=user_id, chat_type="private", title=None, now=now)


async def _person(account_world: AccountWorld, user_id: int, name: str, note: str, met: str) -> Any:
    now = account_world.clock.now()
    repo = account_world.people.repo
    person = await repo.add(user_id=user_id, name=name, now=now, relation="brother")
    await repo.add_date(
        person, DateWords(3, 14, 1990), kind="birthday", next_on=now.date(), now=now
    )
    await repo.add_note(person, note, at=now)
    await repo.add_note(person, "loves orchids", at=now)
    await repo.add_interaction(person, at=now, note=met, source="command")
    return person


# -- matching words ---------------------------------------------------------------------------


def test_topic_words_match_in_english_and_chinese() -> None:
    guitar = TopicMatcher("guitar")
    assert guitar.matches("Guitars are loud") and guitar.matches("my guitar's strings")
    assert not guitar.matches("a guitarist") and not guitar.matches(None)
    assert TopicMatcher("playing the guitar").matches("I played guitar yesterday")
    japan = TopicMatcher("my trip to Japan")
    assert japan.matches("Photos of the Japan trip") and not japan.matches("trip to Paris")
    chinese = TopicMatcher("吉他")
    assert chinese.matches("我想学吉他，下个月开始上吉他课") and not chinese.matches("他来了")
    assert TopicMatcher("吉他课").matches("下个月开始上吉他课")
    assert not TopicMatcher("吉他课").matches("买了一把吉他")
    assert not TopicMatcher("the of and") and not TopicMatcher("the of").matches("the end of it")


# -- /forget <topic> across every store ----------------------------------------------------------


async def _guitar_everywhere(account_world: AccountWorld) -> dict[str, Any]:
    """Anna's words about the guitar in every store, next to unrelated ones and Bob's."""
    now = account_world.clock.now()
    await _user(account_world, ANNA, "Anna")
    await _user(account_world, BOB, "Bob")
    repo = account_world.reminders.repo
    await account_world.memory.add_message(
        user_id=ANNA, chat_id=ANNA, role="user", text="I want to learn the guitar", at=now
    )
    await account_world.memory.add_message(
        user_id=ANNA, chat_id=ANNA, role="user", text="My brother lives in Lyon", at=now
    )
    lesson = await repo.add(reminder_for_tomorrow(ANNA, ANNA, "guitar lesson", now), now=now)
    in_group = await repo.add(reminder_for_tomorrow(ANNA, GROUP, "bring the guitars", now), now=now)
    dentist = await repo.add(reminder_for_tomorrow(ANNA, ANNA, "dentist", now), now=now)
    bobs = await repo.add(reminder_for_tomorrow(BOB, BOB, "guitar lesson", now), now=now)
    draft = await repo.drafts.add(
        user_id=ANNA,
        chat_id=ANNA,
        kind="offer",
        payload={"text": "buy guitar strings", "timezone": "Europe/Berlin"},
        now=now,
        lifetime=timedelta(days=1),
    )
    tom = await _person(account_world, ANNA, "Tom", "plays the guitar in a band", "guitar jam")
    pending = await account_world.people.repo.drafts.add(
        user_id=ANNA,
        chat_id=ANNA,
        kind="offer",
        payload={"op": {"name": "Tom", "met": {"note": "guitar shopping"}}},
        now=now,
        lifetime=timedelta(days=1),
    )
    bob_tom = await _person(account_world, BOB, "Tom", "plays guitar", "guitar")
    return {
        "lesson": lesson.id,
        "in_group": in_group.id,
        "dentist": dentist.id,
        "bobs": bobs.id,
        "draft": draft.id,
        "tom": tom.id,
        "pending": pending.id,
        "bob_tom": bob_tom.id,
    }


async def test_forget_topic_previews_and_deletes_from_every_store(
    account_world: AccountWorld,
) -> None:
    ids = await _guitar_everywhere(account_world)
    await account_world.memory.add_fact(
        user_id=ANNA,
        chat_id=ANNA,
        text="Anna is learning the guitar",
        now=account_world.clock.now(),
    )
    preview = await account_world.account.preview_topic(user_id=ANNA, chat_id=ANNA, topic="guitar")
    assert preview.counts() == {
        "messages": 1,
        "facts": 1,
        "reminders": 2,  # also the one Anna set in a group, as forget-all does
        "reminder_drafts": 1,
        "person_notes": 1,
        "contact_notes": 1,
        "people_pending": 1,
    }
    assert not preview.has_optional  # "guitar" names nobody
    assert [e.text for e in preview.examples("reminders")] == ["guitar lesson", "bring the guitars"]
    assert [e.text for e in preview.examples("person_notes")] == ["Tom: plays the guitar in a band"]
    assert [e.text for e in preview.examples("reminder_drafts")] == ["buy guitar strings"]

    done = await account_world.account.forget_topic(preview, user_id=ANNA, chat_id=ANNA)
    assert done == {
        "messages": 1,
        "facts": 1,
        "reminders": 2,
        "reminder_drafts": 1,
        "person_notes": 1,
        "contact_notes": 1,
        "people_pending": 1,
        "people": 0,
    }
    left = {r.id for r in await account_world.reminders.repo.for_user(ANNA)}
    assert left == {ids["dentist"]}
    assert await account_world.reminders.repo.get(ids["bobs"]) is not None
    assert await account_world.reminders.repo.drafts.for_user(ANNA) == []
    card = await account_world.people.repo.card(
        await account_world.people.repo.get(ANNA, ids["tom"])
    )
    assert [n.text for n in card.notes] == ["loves orchids"] and len(card.dates) == 1
    assert [i.note for i in card.interactions] == [None]  # the contact stays, its words go
    assert await account_world.people.repo.drafts.for_user(ANNA) == []
    bob_card = await account_world.people.repo.card(
        await account_world.people.repo.get(BOB, ids["bob_tom"])
    )
    assert {n.text for n in bob_card.notes} == {"loves orchids", "plays guitar"}
    hits = await account_world.memory.search(user_id=ANNA, query="guitar")
    assert hits and not [hit for hit in hits if "guitar" in hit.text]
    again = await account_world.account.preview_topic(user_id=ANNA, chat_id=ANNA, topic="guitar")
    assert again.is_empty


async def test_a_topic_naming_a_person_offers_them_only_as_an_explicit_choice(
    account_world: AccountWorld,
) -> None:
    ids = await _guitar_everywhere(account_world)
    preview = await account_world.account.preview_topic(user_id=ANNA, chat_id=ANNA, topic="Tom")
    assert preview.counts(optional=True) == {"people": 1}
    assert [e.text for e in preview.examples("people")] == ["Tom (brother)"]
    assert preview.counts() == {"people_pending": 1}  # the pending offer names Tom
    await account_world.account.forget_topic(preview, user_id=ANNA, chat_id=ANNA)
    assert await account_world.people.repo.get(ANNA, ids["tom"]) is not None  # not chosen: kept

    preview = await account_world.account.preview_topic(user_id=ANNA, chat_id=ANNA, topic="my tom")
    done = await account_world.account.forget_topic(
        preview, user_id=ANNA, chat_id=ANNA, include_optional=True
    )
    assert done["people"] == 1
    assert await account_world.people.repo.get(ANNA, ids["tom"]) is None
    for table in ("person_dates", "person_notes", "person_interactions"):
        row = await account_world.db.fetchone(
            f"SELECT COUNT(*) AS n FROM {table} WHERE user_id = ?", (ANNA,)
        )
        assert row["n"] == 0, table
    assert await account_world.people.repo.get(BOB, ids["bob_tom"]) is not None


async def test_chinese_topics_match_inside_sentences(account_world: AccountWorld) -> None:
    now = account_world.clock.now()
    await _user(account_world, LI, "李雷")
    await account_world.memory.add_message(
        user_id=LI, chat_id=LI, role="user", text="我想学吉他，下个月开始上吉他课", at=now
    )
    await account_world.reminders.repo.add(
        reminder_for_tomorrow(LI, LI, "下午去上吉他课", now), now=now
    )
    await account_world.reminders.repo.add(
        reminder_for_tomorrow(LI, LI, "明天去看牙医", now), now=now
    )
    await _person(account_world, LI, "小王", "喜欢弹吉他", "一起吃饭")
    preview = await account_world.account.preview_topic(user_id=LI, chat_id=LI, topic="吉他")
    assert preview.counts() == {"messages": 1, "reminders": 1, "person_notes": 1}
    await account_world.account.forget_topic(preview, user_id=LI, chat_id=LI)
    assert [r.text for r in await account_world.reminders.repo.for_user(LI)] == ["明天去看牙医"]
    person = await account_world.people.repo.for_user(LI)
    assert [n.text for n in (await account_world.people.repo.card(person[0])).notes] == [
        "loves orchids"
    ]


async def test_a_preview_deletes_only_within_its_own_scope(account_world: AccountWorld) -> None:
    ids = await _guitar_everywhere(account_world)
    bob_note = (await account_world.people.repo.notes_for_user(BOB))[0][0].id
    forged = TopicPreview(
        topic="guitar",
        user_id=ANNA,
        chat_id=ANNA,
        matches={
            "reminders": Matches(items={"reminders": (ids["bobs"],)}),
            "people": Matches(
                items={"person_notes": (bob_note,)}, optional={"people": (ids["bob_tom"],)}
            ),
        },
    )
    done = await account_world.account.forget_topic(
        forged, user_id=ANNA, chat_id=ANNA, include_optional=True
    )
    assert not any(done.values())
    assert await account_world.reminders.repo.get(ids["bobs"]) is not None
    assert await account_world.people.repo.get(BOB, ids["bob_tom"]) is not None
    with pytest.raises(ValueError):
        await account_world.account.forget_topic(forged, user_id=BOB, chat_id=BOB)


async def test_in_a_group_a_topic_covers_the_groups_records_only(
    account_world: AccountWorld,
) -> None:
    ids = await _guitar_everywhere(account_world)
    now = account_world.clock.now()
    await account_world.memory.add_message(
        user_id=BOB, chat_id=GROUP, role="user", text="Who has a spare guitar?", at=now
    )
    bobs_in_group = await account_world.reminders.repo.add(
        reminder_for_tomorrow(BOB, GROUP, "tune the guitar", now), now=now
    )
    preview = await account_world.account.preview_topic(user_id=BOB, chat_id=GROUP, topic="guitar")
    assert preview.counts() == {"messages": 1, "reminders": 2} and not preview.has_optional
    await account_world.account.forget_topic(preview, user_id=BOB, chat_id=GROUP)
    assert await account_world.reminders.repo.for_chat(GROUP) == []
    assert await account_world.reminders.repo.get(ids["lesson"]) is not None  # Anna's private one
    assert await account_world.reminders.repo.get(bobs_in_group.id) is None
    assert await account_world.people.repo.notes_for_user(ANNA)  # people are never a group's


# -- /export and /forget all: every table --------------------------------------------------------

#: Tables that hold nothing about a person or a group's conversation.
NOT_PERSONAL = {"schema_versions", "memory_meta", "memory_learning_fences"}
#: Search indexes and vectors: derived from messages and facts (exported there), erased with them.
DERIVED = {
    "memory_scopes",
    "memory_fts",
    "memory_fact_fts",
    "memory_summary_fts",
    "memory_vectors",
    "memory_embed_queue",
    # A pending document's parts, in compressed pieces: listed with it, erased with it.
    "document_backlog_pieces",
}


def _texts(rows: list[dict[str, Any]], key: str = "text") -> str:
    return json.dumps([row.get(key) for row in rows], ensure_ascii=False)


#: Where each table's rows of a user are in their export.
PRIVATE_EXPORT: dict[str, Callable[[dict[str, Any]], bool]] = {
    "users": lambda d: d["user"]["id"] == ANNA and d["settings"]["timezone"] == "Asia/Shanghai",
    "chats": lambda d: d["chat"]["id"] == ANNA and d["chat"]["type"] == "private",
    "messages": lambda d: (
        "ZEBRA private" in _texts(d["messages"])
        and "ZEBRA in the group" in _texts(d["group_messages"])
    ),
    "memory_facts": lambda d: "ZEBRA fact" in _texts(d["facts"]),
    "memory_summaries": lambda d: "ZEBRA summary" in _texts(d["summaries"]),
    "reminders": lambda d: {r["chat_id"] for r in d["reminders"]} == {ANNA, GROUP},
    "drafts": lambda d: (
        "ZEBRA offer" in _texts(d["pending_reminders"])
        and {p["chat_id"] for p in d["people_pending"]} == {ANNA, GROUP}
    ),
    "people": lambda d: [p["name"] for p in d["people"]] == ["Tom"],
    "person_dates": lambda d: d["people"][0]["dates"][0]["month"] == 3,
    "person_notes": lambda d: len(d["people"][0]["notes"]) == 2,
    "person_interactions": lambda d: d["people"][0]["interactions"][0]["note"] == "ZEBRA jam",
    "people_digests": lambda d: d["people_digest_schedule"]["timezone"] == "UTC",
    "group_shares": lambda d: [g["chat_id"] for g in d["shared_with_groups"]] == [GROUP],
    "group_introductions": lambda d: True,  # a group's only (see the group test)
    "memory_media": lambda d: (
        [m["file_id"] for m in d["media"]] == ["voice-ZEBRA"]
        and [m["file_id"] for m in d["group_media"]] == ["photo-ZEBRA"]
    ),
    "media_usage": lambda d: d["media_usage"][0]["images"] == 1,
    # Shared in private and in the group, neither stored in memory yet.
    "document_backlog": lambda d: (
        [p["file_name"] for p in d["pending_documents"]] == ["ZEBRA.txt", "ZEBRA-group.txt"]
    ),
}


async def _base_tables(db: Database) -> dict[str, list[str]]:
    """Every real table (no SQLite internals, no shadow tables of virtual ones) -> columns."""
    rows = await db.fetchall("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
    virtual = [row["name"] for row in rows if (row["sql"] or "").upper().startswith("CREATE VIR")]
    tables = {}
    for row in rows:
        name = row["name"]
        if name.startswith("sqlite_") or any(name.startswith(f"{v}_") for v in virtual):
            continue
        columns = await db.fetchall(f"SELECT name FROM pragma_table_info('{name}')")
        tables[name] = [column["name"] for column in columns]
    return tables


async def _rows_of(
    db: Database, table: str, columns: list[str], owner: int, messages: set[int], facts: set[int]
) -> int:
    """How many rows of the table belong to the user or group ``owner``."""
    ids = {"memory_fts": messages, "memory_fact_fts": facts}.get(table)
    if ids is not None:
        marks = ", ".join(str(int(i)) for i in ids) or "NULL"
        row = await db.fetchone(f"SELECT COUNT(*) AS n FROM {table} WHERE rowid IN ({marks})")
        return row["n"]
    if table == "memory_media":
        marks = ", ".join(str(int(i)) for i in messages) or "NULL"
        row = await db.fetchone(
            f"SELECT COUNT(*) AS n FROM memory_media WHERE message_id IN ({marks})"
        )
        return row["n"]
    if table == "memory_summary_fts":  # the summaries of the owner's scope or words
        summaries = await db.fetchall(
            "SELECT id, scope_id, first_message_id, last_message_id FROM memory_summaries"
        )
        owned = [
            row["id"]
            for row in summaries
            if row["scope_id"] == owner
            or any(row["first_message_id"] <= m <= row["last_message_id"] for m in messages)
        ]
        marks = ", ".join(str(int(i)) for i in owned) or "NULL"
        row = await db.fetchone(f"SELECT COUNT(*) AS n FROM {table} WHERE rowid IN ({marks})")
        return row["n"]
    if table == "document_backlog_pieces":
        row = await db.fetchone(
            "SELECT COUNT(*) AS n FROM document_backlog_pieces WHERE backlog_id NOT IN"
            " (SELECT id FROM document_backlog WHERE user_id <> ? AND chat_id <> ?)",
            (owner, owner),
        )
        return row["n"]
    if table == "memory_embed_queue":
        items = [("message", i) for i in messages] + [("fact", i) for i in facts]
        rows = await db.fetchall("SELECT kind, item_id FROM memory_embed_queue")
        return len({(r["kind"], r["item_id"]) for r in rows} & set(items))
    keys = [c for c in ("user_id", "chat_id", "scope_id") if c in columns]
    if table in ("users", "chats"):
        keys = ["id"]
    assert keys, f"no way to tell whose the rows of {table} are: list it above"
    where = " OR ".join(f"{key} = ?" for key in keys)
    row = await db.fetchone(
        f"SELECT COUNT(*) AS n FROM {table} WHERE {where}", (owner,) * len(keys)
    )
    return row["n"]


async def _owned_ids(db: Database, owner: int) -> tuple[set[int], set[int]]:
    """The ids of the messages and facts of a user (also their words in groups) or group."""
    messages = await db.fetchall(
        "SELECT id FROM messages WHERE scope_id = ? OR user_id = ?", (owner, owner)
    )
    facts = await db.fetchall("SELECT id, scope_id, source_message_ids FROM memory_facts")
    message_ids = {row["id"] for row in messages}
    fact_ids = {
        row["id"]
        for row in facts
        if row["scope_id"] == owner or message_ids & set(json.loads(row["source_message_ids"]))
    }
    return message_ids, fact_ids


async def _pending_document(account_world: AccountWorld, chat_id: int, name: str) -> None:
    """Anna shares a document whose two parts wait in the backlog (nothing stores them)."""
    kind = ChatKind.GROUP if chat_id == GROUP else ChatKind.PRIVATE
    parts = tuple(f"[{name}, part {n}] ZEBRA pages" for n in (1, 2))
    attachment = Attachment("document", f"doc-{name}", file_name=name, chunks=parts)
    shared = Incoming(
        chat_id,
        kind,
        ANNA,
        "Anna",
        f"[document: {name}]",
        account_world.clock.now(),
        attachments=(attachment,),
    )
    documents = account_world.documents
    pending = documents.pending(shared)
    await account_world.memory.add_message(
        user_id=ANNA,
        chat_id=chat_id,
        role="user",
        text=shared.text,
        at=shared.at,
        also=await documents.writer(pending),
    )


async def _fill_everything(account_world: AccountWorld) -> None:
    """A row of Anna's in every table (Bob alongside), in private and in a group."""
    now = account_world.clock.now()
    await _user(account_world, ANNA, "Anna")
    await _user(account_world, BOB, "Bob")
    await account_world.users.set_timezone(ANNA, "Asia/Shanghai")
    await account_world.chats.upsert(chat_id=GROUP, chat_type="group", title="Climbing", now=now)
    assert await account_world.groups.joined(chat_id=GROUP, chat_type="group", title="Climbing")
    memory = account_world.memory
    for user, name in ((ANNA, "ZEBRA"), (BOB, "Bob's")):
        await memory.add_message(
            user_id=user, chat_id=user, role="user", text=f"{name} private words", at=now
        )
        await memory.add_fact(user_id=user, chat_id=user, text=f"{name} fact", now=now)
    said = await memory.add_message(
        user_id=ANNA, chat_id=GROUP, role="user", text="ZEBRA in the group", at=now, speaker="A"
    )
    await memory.add_message(
        user_id=BOB, chat_id=GROUP, role="user", text="Bob in the group", at=now, speaker="B"
    )
    spoken = await memory.add_message(
        user_id=ANNA, chat_id=ANNA, role="user", text="ZEBRA spoken", at=now
    )
    for chat, name in ((ANNA, "ZEBRA.txt"), (GROUP, "ZEBRA-group.txt")):
        await _pending_document(account_world, chat, name)
    await memory.attach_media(
        [
            MediaRecord(spoken, "voice", "voice-ZEBRA", duration=3.0, content="ZEBRA spoken"),
            MediaRecord(said, "photo", "photo-ZEBRA", content="a ZEBRA on a poster"),
        ]
    )
    usage = await MediaUsage.open(account_world.db)
    await usage.add(ANNA, now, audio_seconds=3.0, images=1)
    await usage.add(BOB, now, images=2)
    await memory.add_fact(
        user_id=BOB, chat_id=GROUP, text="ZEBRA group fact", source_message_ids=[said], now=now
    )
    await memory.add_fact(user_id=BOB, chat_id=GROUP, text="The group climbs", now=now)
    for user, name in ((ANNA, "ZEBRA"), (BOB, "Bob's")):
        mine = await memory.add_message(
            user_id=user, chat_id=user, role="user", text=f"{name} words summed up", at=now
        )
        await memory.add_summary(
            user_id=user, chat_id=user, text=f"{name} summary", message_ids=[mine], now=now
        )
    # A group summary of Anna's words (it goes with them) and one of the group's own.
    await memory.add_summary(
        user_id=BOB, chat_id=GROUP, text="ZEBRA group summary", message_ids=[said], now=now
    )
    later = await memory.add_message(
        user_id=BOB, chat_id=GROUP, role="user", text="Bob plans the climb", at=now, speaker="B"
    )
    await memory.add_summary(
        user_id=BOB, chat_id=GROUP, text="The group planned a climb", message_ids=[later], now=now
    )
    assert await memory.flush_embeddings() > 0  # memory_vectors
    account_world.embedder.down = True
    await memory.add_message(user_id=ANNA, chat_id=ANNA, role="user", text="ZEBRA queued", at=now)
    assert await memory.flush_embeddings() == 0  # memory_embed_queue keeps it

    repo = account_world.reminders.repo
    marks = {ANNA: "ZEBRA", BOB: "Bob's"}
    for user, chat in ((ANNA, ANNA), (ANNA, GROUP), (BOB, BOB), (BOB, GROUP)):
        await repo.add(
            reminder_for_tomorrow(user, chat, f"{marks[user]} errand {chat}", now), now=now
        )
        await repo.drafts.add(
            user_id=user,
            chat_id=chat,
            kind="offer",
            payload={"text": f"{marks[user]} offer"},
            now=now,
            lifetime=timedelta(days=1),
        )
    await _person(account_world, ANNA, "Tom", "ZEBRA note", "ZEBRA jam")
    await _person(account_world, BOB, "Lucy", "likes jazz", "coffee")
    for user, chat in ((ANNA, ANNA), (ANNA, GROUP), (BOB, GROUP)):
        await account_world.people.repo.drafts.add(
            user_id=user,
            chat_id=chat,
            kind="here",
            payload={"text": f"{marks[user]} pending"},
            now=now,
            lifetime=timedelta(days=1),
        )
    for user in (ANNA, BOB):
        await account_world.people.runner.ensure(user, "UTC", time(9, 0))
        await account_world.groups.set_share(user, GROUP, True)


async def test_private_export_and_forget_all_cover_every_table(account_world: AccountWorld) -> None:
    await _fill_everything(account_world)
    tables = await _base_tables(account_world.db)
    assert set(tables) == set(PRIVATE_EXPORT) | DERIVED | NOT_PERSONAL, (
        "a new table: export it, forget it, and list it here"
    )
    messages, facts = await _owned_ids(account_world.db, ANNA)
    for table, columns in tables.items():
        if table not in NOT_PERSONAL and table != "group_introductions":
            assert await _rows_of(account_world.db, table, columns, ANNA, messages, facts), table

    document = await account_world.account.export(user_id=ANNA, chat_id=ANNA)
    document = json.loads(json.dumps(document, default=str))
    for table, holds in PRIVATE_EXPORT.items():
        assert holds(document), table
    assert "Bob" not in json.dumps(document) and "Lucy" not in json.dumps(document)

    await account_world.account.forget_all(user_id=ANNA, chat_id=ANNA)
    for table, columns in tables.items():
        if table not in NOT_PERSONAL:
            assert not await _rows_of(account_world.db, table, columns, ANNA, messages, facts), (
                table
            )
        cells = " || ".join(f"coalesce(CAST({c} AS TEXT), '')" for c in columns)
        row = await account_world.db.fetchone(
            f"SELECT COUNT(*) AS n FROM {table} WHERE ({cells}) LIKE '%zebra%'"
        )
        assert row["n"] == 0, f"Anna's words are still in {table}"
    # Bob's data and the group's own stay.
    assert await account_world.people.repo.for_user(
        BOB
    ) and await account_world.reminders.repo.for_user(BOB)
    assert await account_world.memory.search(user_id=BOB, chat_id=GROUP, query="Bob in the group")
    group_facts, _ = await account_world.memory.list_facts(user_id=BOB, chat_id=GROUP)
    assert [f.text for f in group_facts] == ["The group climbs"]
    assert await account_world.groups.shares(BOB, GROUP)


GROUP_EXPORT: dict[str, Callable[[dict[str, Any]], bool]] = {
    "chats": lambda d: d["chat"]["id"] == GROUP and d["chat"]["title"] == "Climbing",
    "messages": lambda d: _texts(d["messages"]).count("in the group") == 2,
    "memory_facts": lambda d: "The group climbs" in _texts(d["facts"]),
    "memory_summaries": lambda d: "The group planned" in _texts(d["summaries"]),
    "reminders": lambda d: {r["chat_id"] for r in d["reminders"]} == {GROUP},
    # (A member's pending people buttons in the group are theirs, in their own export.)
    "drafts": lambda d: len(d["pending_reminders"]) == 2 and "people_pending" not in d,
    "group_shares": lambda d: [m["user_id"] for m in d["sharing_members"]] == [ANNA, BOB],
    "group_introductions": lambda d: d["introduced_at"] is not None,
    "memory_media": lambda d: [m["kind"] for m in d["media"]] == ["photo"],
    "document_backlog": lambda d: (
        [(p["file_name"], p["parts"]) for p in d["pending_documents"]] == [("ZEBRA-group.txt", 2)]
    ),
}


async def test_group_export_and_forget_all_cover_every_table(account_world: AccountWorld) -> None:
    await _fill_everything(account_world)
    tables = await _base_tables(account_world.db)
    document = await account_world.account.export(user_id=BOB, chat_id=GROUP)
    document = json.loads(json.dumps(document, default=str))
    for table, holds in GROUP_EXPORT.items():
        assert holds(document), table
    assert "private words" not in json.dumps(document) and "Tom" not in json.dumps(document)
    messages, facts = await _owned_ids(account_world.db, GROUP)
    holding = {
        table
        for table, columns in tables.items()
        if table not in NOT_PERSONAL
        and await _rows_of(account_world.db, table, columns, GROUP, messages, facts)
    }
    assert holding - DERIVED == set(GROUP_EXPORT)

    await account_world.account.forget_all(user_id=BOB, chat_id=GROUP)
    for table, columns in tables.items():
        if table not in NOT_PERSONAL:
            left = await _rows_of(account_world.db, table, columns, GROUP, messages, facts)
            assert left == (1 if table == "group_introductions" else 0), table
    # The members' private data stays.
    assert await account_world.people.repo.for_user(ANNA) and await account_world.memory.search(
        user_id=ANNA, query="ZEBRA private words"
    )
    assert [p.chat_id for p in await account_world.people.repo.drafts.for_user(ANNA)] == [ANNA]


# -- the introduction outlives a group's forget-all ----------------------------------------------


async def test_no_second_introduction_after_a_group_forgot_everything(
    account_world: AccountWorld,
) -> None:
    assert await account_world.groups.joined(chat_id=GROUP, chat_type="group", title="Climbing")
    await account_world.account.forget_all(user_id=BOB, chat_id=GROUP)
    assert await account_world.chats.get(GROUP) is None  # the group's row and settings are gone...
    # ...yet re-added, promoted, or removed and added again: no second introduction.
    assert not await account_world.groups.joined(chat_id=GROUP, chat_type="group", title="Climbing")
    assert not await account_world.groups.joined(chat_id=GROUP, chat_type="group", title="Climbing")
    await account_world.groups.left(chat_id=GROUP, chat_type="group", title="Climbing")
    await account_world.account.forget_all(user_id=BOB, chat_id=GROUP)
    assert not await account_world.groups.joined(chat_id=GROUP, chat_type="group", title="Climbing")
    await account_world.account.migrate_chat(GROUP, -1004001)
    assert await account_world.groups.introduced(
        -1004001
    ) and not await account_world.groups.introduced(GROUP)
    assert not await account_world.groups.joined(
        chat_id=-1004001, chat_type="supergroup", title="C"
    )


async def test_groups_introduced_before_the_table_keep_their_mark(tmp_path: Path) -> None:
    clock = FakeClock()
    db = await Database.open(tmp_path / "old.sqlite3")
    try:
        await db.migrate("core", CORE_MIGRATIONS)
        await db.migrate("groups", GROUP_MIGRATIONS[:1])
        chats = ChatRepository(db)
        await chats.upsert(chat_id=GROUP, chat_type="group", title="Old", now=clock.now())
        await chats.update_settings(GROUP, introduced_at="2026-01-02 03:04:05")
        groups = await GroupService.open(db, chats, clock)
        assert await groups.introduced(GROUP)
        assert not await groups.joined(chat_id=GROUP, chat_type="group", title="Old")
        assert await groups.joined(chat_id=-5, chat_type="group", title="New")
    finally:
        await db.close()


async def test_forgetting_empties_the_write_ahead_log(tmp_path) -> None:
    from datetime import UTC, datetime

    from bot.clock import SystemClock
    from bot.storage import ChatRepository, Database

    db = await Database.open(tmp_path / "wal.sqlite3")
    memory = await MemoryStore.open(db)
    account = AccountService(
        users=UserRepository(db), chats=ChatRepository(db), clock=SystemClock(), db=db
    )

    account.register("memory", MemoryData(memory))
    await memory.add_message(
        user_id=5, chat_id=5, role="user", text="secret ukulele", at=datetime.now(UTC)
    )
    assert (tmp_path / "wal.sqlite3-wal").stat().st_size > 0
    await account.forget_all(user_id=5, chat_id=5)
    assert (tmp_path / "wal.sqlite3-wal").stat().st_size == 0
    await db.close()
