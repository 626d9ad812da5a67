"""Voice notes, photos and documents end to end: the real Application, the fake Bot API serving
files over loopback HTTP, the fake OpenAI server transcribing, looking and speaking."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.conversation import documents as conversation_documents
from bot.telegram.callbacks import decode
from bot.telegram.handlers import media as media_handlers
from tests.fakes.harness import BotHarness
from tests.fakes.llm import FAKE_OPUS, FakeLLM, LLMError, LLMReply, ToolCallReply, image_parts
from tests.fakes.telegram import BOT_ID, BOT_USERNAME, FakeChat, FakeUser
from tests.media.samples import docx_file, jpeg_photo, ogg_voice, pdf_file
from tests.telegram.memory_group_helpers import (
    data_of,
    export_document,
    results,
    say,
    services,
    tap,
)

ANNA = FakeUser(101, "Anna", "en")
LI = FakeUser(202, "李雷", "zh-hans")
FAMILY = FakeChat(-100777, "supergroup", "Family")

MEDIA_SETTINGS = {"transcription_model": "whisper-1", "speech_model": "tts-1"}


@pytest.fixture
async def bot(tmp_path: Path, llm: FakeLLM) -> AsyncIterator[BotHarness]:
    harness = BotHarness(database=tmp_path / "dazi.sqlite3", llm=llm)
    await harness.start(**MEDIA_SETTINGS)
    yield harness
    await harness.stop()


def _describer(description: str) -> Any:
    """The vision model's answer to the one-off 'describe this photo' request."""

    def respond(body: dict[str, Any]) -> LLMReply | None:
        if not body.get("stream") and image_parts(body):
            return LLMReply(description)
        return None

    return respond


def send_voice(harness: BotHarness, user: FakeUser, *, seconds: int = 4, **extra: Any) -> dict:
    file = harness.api.add_file(ogg_voice())
    voice = {**file, "duration": seconds, "mime_type": "audio/ogg"}
    return harness.api.push_message(user, voice=voice, **extra)


def send_photo(
    harness: BotHarness, user: FakeUser, data: bytes, chat: FakeChat | None = None, **extra: Any
) -> dict:
    file = harness.api.add_file(data)
    sizes = [
        {**file, "file_id": file["file_id"] + "-small", "width": 90, "height": 67},
        {**file, "width": 4000, "height": 3000},
    ]
    return harness.api.push_message(user, chat, photo=sizes, **extra)


def send_document(harness: BotHarness, user: FakeUser, data: bytes, name: str, mime: str, **extra):
    file = harness.api.add_file(data)
    document = {**file, "file_name": name, "mime_type": mime}
    return harness.api.push_message(user, document=document, **extra)


async def _answers(harness: BotHarness, chat_id: int, count: int) -> list[str]:
    await harness.api.wait_for(lambda: len(results(harness, chat_id)) >= count)
    await harness.settle()
    return [message["text"] for message in results(harness, chat_id)]


async def _stored(harness: BotHarness, user_id: int) -> list[dict[str, Any]]:
    document = await services(harness).account.export(user_id=user_id, chat_id=user_id)
    return document["media"]


# -- voice ---------------------------------------------------------------------------------------


async def test_a_voice_note_becomes_a_reminder_with_a_spoken_answer(bot: BotHarness) -> None:
    bot.llm.transcripts.append("remind me tomorrow at 9 to call the bank")
    bot.llm.then(
        ToolCallReply([("set_reminder", {"task": "call the bank", "when": "tomorrow at 9"})]),
        LLMReply("Done, I'll remind you."),
    )
    sent = send_voice(bot, ANNA, seconds=4)
    texts = await _answers(bot, ANNA.id, 3)
    assert (
        texts[0] == "<blockquote expandable>🎙 remind me tomorrow at 9 to call the bank</blockquote>"
    )
    assert texts[1] == "Done, I'll remind you."
    assert "call the bank" in texts[2]
    [reminder] = await services(bot).reminders.repo.for_user(ANNA.id)
    assert reminder.due_at == datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    # The audio went to the endpoint as a multipart OGG file, unconverted.
    [upload] = bot.llm.uploads
    assert upload.file_name == "voice.ogg" and upload.data == ogg_voice()
    assert upload.fields["model"] == "whisper-1"
    # The user spoke, so the answer is spoken too (OGG/Opus), replying to the voice note.
    await bot.api.wait_for(lambda: bot.api.calls_of("sendVoice"))
    [voice_call] = bot.api.calls_of("sendVoice")
    assert voice_call.files["voice"][1] == FAKE_OPUS
    assert voice_call.params["reply_parameters"]["message_id"] == sent["message_id"]
    assert bot.llm.speech_requests[0]["response_format"] == "opus"
    assert "remind you" in bot.llm.speech_requests[0]["input"]
    # The transcript is the user's message, marked voice, with duration and file id.
    [media] = await _stored(bot, ANNA.id)
    assert media["kind"] == "voice" and media["duration"] == 4.0
    assert media["file_id"] == sent["voice"]["file_id"]
    assert media["content"] == "remind me tomorrow at 9 to call the bank"
    found = await say(bot, ANNA, "/search bank")
    assert "remind me tomorrow at 9 to call the bank" in found["text"]


async def test_a_chinese_voice_note_sets_a_reminder(bot: BotHarness) -> None:
    bot.llm.transcripts.append("提醒我明天九点给银行打电话")
    bot.llm.then(
        ToolCallReply([("set_reminder", {"task": "给银行打电话", "when": "明天九点"})]),
        LLMReply("好的，我会提醒你。"),
    )
    send_voice(bot, LI)
    texts = await _answers(bot, LI.id, 3)
    assert "提醒我明天九点给银行打电话" in texts[0] and texts[1] == "好的，我会提醒你。"
    [reminder] = await services(bot).reminders.repo.for_user(LI.id)
    assert reminder.due_at == datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    prompt = bot.llm.prompt_text(0)
    assert "提醒我明天九点给银行打电话" in prompt


async def test_voice_failures_are_answered_and_kept(bot: BotHarness) -> None:
    # The transcription endpoint is down (every retry fails).
    bot.llm.transcripts.extend([LLMError(503)] * 5)
    sent = send_voice(bot, ANNA, seconds=7)
    [text] = await _answers(bot, ANNA.id, 1)
    assert "couldn't transcribe" in text
    # Too long for the cap: not even downloaded.
    long_one = send_voice(bot, LI, seconds=11 * 60)
    [text_zh] = await _answers(bot, LI.id, 1)
    assert "11 分钟" in text_zh and "10 分钟" in text_zh
    assert long_one["voice"]["file_id"] not in bot.api.file_downloads
    assert not bot.llm.chat_requests  # nothing was answered as if it had been understood
    [kept] = await _stored(bot, ANNA.id)
    assert kept["file_id"] == sent["voice"]["file_id"] and kept["duration"] == 7.0
    assert "not transcribed" in kept["content"]
    [kept_zh] = await _stored(bot, LI.id)
    assert "0:00" not in kept_zh["content"] and "11:00" in kept_zh["content"]


async def test_without_a_transcription_model_voice_is_explained(
    harness: BotHarness,
) -> None:
    send_voice(harness, ANNA)
    [text] = await _answers(harness, ANNA.id, 1)
    assert "TRANSCRIPTION_MODEL" in text
    assert not harness.api.file_downloads and not harness.llm.uploads


async def test_daily_audio_cap_applies_to_strangers(tmp_path: Path, llm: FakeLLM) -> None:
    harness = BotHarness(database=tmp_path / "cap.sqlite3", llm=llm)
    await harness.start(**MEDIA_SETTINGS, media_daily_audio_minutes=1)
    try:
        llm.transcript = "hello there"
        send_voice(harness, ANNA, seconds=50)
        await _answers(harness, ANNA.id, 2)
        send_voice(harness, ANNA, seconds=20)
        texts = await _answers(harness, ANNA.id, 3)
        assert "today's limit of 1 minutes" in texts[-1]
        assert len(llm.uploads) == 1
    finally:
        await harness.stop()


async def test_daily_image_cap_spares_the_allowed_users(tmp_path: Path, llm: FakeLLM) -> None:
    harness = BotHarness(database=tmp_path / "imgcap.sqlite3", llm=llm)
    await harness.start(media_daily_images=1, media_uncapped_user_ids="202")
    try:
        llm.responder = _describer("A mountain lake.")
        for user in (ANNA, ANNA, LI, LI):
            before = len(results(harness, user.id))
            send_photo(harness, user, jpeg_photo(320, 240))
            await _answers(harness, user.id, before + 1)
        anna = [m["text"] for m in results(harness, ANNA.id)]
        assert "today's limit of 1 pictures" in anna[-1]
        assert not any("额度" in text for text in (m["text"] for m in results(harness, LI.id)))
        assert len(llm.image_requests) == 3 * 2  # described and answered: Anna once, Li twice
        assert len(await _stored(harness, ANNA.id)) == 2  # the capped photo is still kept
    finally:
        await harness.stop()


async def test_a_long_transcript_is_shown_cut_and_stored_whole(bot: BotHarness) -> None:
    words = " ".join(f"word{n}" for n in range(1200))
    bot.llm.transcripts.append(words)
    send_voice(bot, ANNA, seconds=500)
    texts = await _answers(bot, ANNA.id, 2)
    assert texts[0].endswith(" …</blockquote>") and len(texts[0]) < 4096
    [media] = await _stored(bot, ANNA.id)
    assert media["content"] == words


# -- voice answers -------------------------------------------------------------------------------


async def test_voice_on_answers_typed_messages_with_a_voice_note(bot: BotHarness) -> None:
    reply = await say(bot, ANNA, "/voice")
    assert "automatic" in reply["text"]
    reply = await say(bot, ANNA, "/voice on")
    assert "Voice answers are on" in reply["text"]
    bot.llm.then(LLMReply("**Sure**, here you go."))
    await say(bot, ANNA, "tell me something")
    await bot.api.wait_for(lambda: bot.api.calls_of("sendVoice"))
    assert bot.llm.speech_requests[-1]["input"] == "Sure, here you go."
    assert bot.llm.speech_requests[-1]["voice"] == "alloy"
    # Speech failing leaves the text answer, and nothing breaks.
    bot.llm.speech_error = LLMError(500)
    bot.llm.then(LLMReply("Still here in text."))
    assert (await say(bot, ANNA, "and now?"))["text"] == "Still here in text."
    assert len(bot.api.calls_of("sendVoice")) == 1
    # Off: no voice even for a voice note.
    bot.llm.speech_error = None
    await say(bot, ANNA, "/voice off")
    bot.llm.transcript = "just text please"
    send_voice(bot, ANNA)
    await _answers(bot, ANNA.id, len(results(bot, ANNA.id)) + 2)
    assert len(bot.api.calls_of("sendVoice")) == 1


async def test_voice_buttons_switch_the_setting(bot: BotHarness) -> None:
    await say(bot, LI, "/settings")
    reply = results(bot, LI.id)[-1]
    assert "自动" in reply["text"]
    row = reply["reply_markup"]["inline_keyboard"][0]
    taps = [decode(b["callback_data"], media_handlers.TAPS) for b in row]
    assert [action.tap.name for action in taps if action is not None] == ["on", "off", "auto"]
    bot.api.push_callback(LI, reply, row[0]["callback_data"])
    await bot.api.wait_for(lambda: bot.api.calls_of("editMessageText"))
    await bot.settle()
    assert "语音回复已开启" in bot.api.calls_of("editMessageText")[-1].params["text"]
    assert await services(bot).media.voice_setting(LI.id) is True


# -- photos --------------------------------------------------------------------------------------


async def test_a_photo_is_seen_downscaled_and_recalled_weeks_later(bot: BotHarness) -> None:
    bot.llm.responder = _describer("A bottle of 2019 Château Margaux red wine on a table.")
    bot.llm.then(LLMReply("What a lovely bottle!"))
    sent = send_photo(bot, ANNA, jpeg_photo(), caption="Tonight's treat")
    texts = await _answers(bot, ANNA.id, 1)
    assert texts == ["What a lovely bottle!"]
    # The answer's request carries the image as an image part, downscaled.
    answer_request = bot.llm.chat_requests[0]
    [url] = image_parts(answer_request)
    assert url.startswith("data:image/jpeg;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert max(image.size) <= 2048 and image.size == (2000, 1500)
    # The largest size was downloaded, not the thumbnail.
    assert bot.api.file_downloads == [sent["photo"][1]["file_id"]]
    [media] = await _stored(bot, ANNA.id)
    assert media["kind"] == "photo" and media["file_id"] == sent["photo"][1]["file_id"]
    assert "Château Margaux" in media["content"]
    # Weeks later, the description is recalled for a question about it.
    bot.clock.advance(timedelta(days=21))
    bot.llm.responder = None
    for filler in ("how was your day", "I went hiking", "the weather is nice"):
        bot.llm.then(LLMReply("ok"))
        await say(bot, ANNA, filler)
    await say(bot, ANNA, "/new")
    bot.llm.then(LLMReply("It was a Château Margaux."))
    await say(bot, ANNA, "what was the wine I showed you?")
    prompt = bot.llm.prompt_text(-1)
    assert "Château Margaux" in prompt and "Tonight's treat" in prompt


async def test_an_album_is_one_message(bot: BotHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media_handlers, "ALBUM_WAIT_SECONDS", 0.2)
    bot.llm.responder = _describer("Two photos of a beach at sunset.")
    bot.llm.then(LLMReply("Beautiful beach!"))
    send_photo(bot, ANNA, jpeg_photo(800, 600), media_group_id="album1", caption="Holiday")
    send_photo(bot, ANNA, jpeg_photo(600, 800), media_group_id="album1")
    texts = await _answers(bot, ANNA.id, 1)
    assert texts == ["Beautiful beach!"]
    assert len(image_parts(bot.llm.chat_requests[0])) == 2
    stored = await _stored(bot, ANNA.id)
    assert [m["kind"] for m in stored] == ["photo", "photo"]


async def test_a_model_without_image_input_is_explained_and_the_caption_answered(
    bot: BotHarness,
) -> None:
    bot.llm.image_error = LLMError(400, "this model does not support image input")
    bot.llm.then(LLMReply("Tell me more about the cake!"))
    sent = send_photo(bot, ANNA, jpeg_photo(640, 480), caption="my birthday cake")
    texts = await _answers(bot, ANNA.id, 2)
    assert "couldn't look at that picture" in texts[0]
    assert texts[1] == "Tell me more about the cake!"
    assert not image_parts(bot.llm.chat_requests[0])
    [media] = await _stored(bot, ANNA.id)
    assert media["file_id"] == sent["photo"][1]["file_id"]
    assert "my birthday cake" in media["content"]


async def test_a_corrupted_photo_and_a_too_big_file(bot: BotHarness) -> None:
    send_photo(bot, LI, b"\xff\xd8\xff\xe0 not really a jpeg")
    [text] = await _answers(bot, LI.id, 1)
    assert "打不开" in text
    file = bot.api.add_file(b"x" * 100)
    document = {**file, "file_size": 25 * 1024 * 1024, "file_name": "big.pdf"}
    bot.api.push_message(ANNA, document=document)
    [text] = await _answers(bot, ANNA.id, 1)
    assert "25 MB" in text and "20 MB" in text
    assert file["file_id"] not in bot.api.file_downloads
    assert [m["file_name"] for m in await _stored(bot, ANNA.id)] == ["big.pdf"]
    assert len(await _stored(bot, LI.id)) == 1


async def test_vision_off_is_explained(tmp_path: Path, llm: FakeLLM) -> None:
    harness = BotHarness(database=tmp_path / "novision.sqlite3", llm=llm)
    await harness.start(vision=False)
    try:
        send_photo(harness, ANNA, jpeg_photo(100, 100))
        [text] = await _answers(harness, ANNA.id, 1)
        assert "VISION" in text and not harness.api.file_downloads
    finally:
        await harness.stop()


async def test_group_photos_only_when_addressed_and_never_in_private_memory(
    bot: BotHarness,
) -> None:
    bot.llm.responder = _describer("A red bicycle leaning on a wall.")
    send_photo(bot, ANNA, jpeg_photo(300, 200), FAMILY, caption="my new bike")
    await bot.settle()
    assert not results(bot, FAMILY.id) and not bot.api.file_downloads
    assert not bot.llm.image_requests and not bot.llm.chat_requests
    bot.llm.then(LLMReply("Nice bike, Anna!"))
    caption = f"@{BOT_USERNAME} what do you think?"
    mention = [{"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}]
    send_photo(bot, ANNA, jpeg_photo(300, 200), FAMILY, caption=caption, caption_entities=mention)
    texts = await _answers(bot, FAMILY.id, 1)
    assert texts == ["Nice bike, Anna!"]
    # A voice reply to Dazi in the group is addressed too.
    bot.llm.transcript = "and the colour?"
    bot.llm.then(LLMReply("Red suits it."))
    reply_to = {
        **results(bot, FAMILY.id)[0],
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Dazi"},
    }
    send_voice(bot, ANNA, chat=FAMILY, reply_to_message=reply_to)
    texts = await _answers(bot, FAMILY.id, 3)
    assert texts[-1] == "Red suits it."
    # Nothing of it is in Anna's private memory; the group's holds it.
    assert await _stored(bot, ANNA.id) == []
    group = await services(bot).account.export(user_id=ANNA.id, chat_id=FAMILY.id)
    assert {m["kind"] for m in group["media"]} == {"photo", "voice"}


# -- documents -----------------------------------------------------------------------------------


async def test_a_pdf_is_summarised_and_its_content_found_by_search(bot: BotHarness) -> None:
    lines = [f"Line {n} of the tenancy agreement." for n in range(40)]
    pages = [lines, ["The deposit is 1800 euros, paid to Ms Okafor by 3 January."], lines]
    bot.llm.then(LLMReply("It's a tenancy agreement."))
    sent = send_document(bot, ANNA, pdf_file(pages), "lease.pdf", "application/pdf")
    [text] = await _answers(bot, ANNA.id, 1)
    assert text == "It's a tenancy agreement."
    prompt = bot.llm.prompt_text(0)
    assert "summarise this document" in prompt and "deposit is 1800 euros" in prompt
    found = await say(bot, ANNA, "/search deposit Okafor")
    assert found["text"].splitlines()[2].startswith("1.") and "lease.pdf" in found["text"]
    [best, *_] = await services(bot).memory.search(user_id=ANNA.id, query="deposit Okafor")
    assert "1800 euros" in best.text and best.text.startswith("[lease.pdf, part ")
    # Recalled later, outside the recent conversation.
    await say(bot, ANNA, "/new")
    bot.llm.then(LLMReply("1800 euros."))
    await say(bot, ANNA, "how much was the deposit for Ms Okafor?")
    assert "1800 euros" in bot.llm.prompt_text(-1)
    # Exported by file id, and forgotten with everything.
    document, _ = await export_document(bot, ANNA)
    kinds = {(m["kind"], m["file_id"]) for m in document["media"]}
    assert kinds == {("document", sent["document"]["file_id"])}
    assert any("1800 euros" in m["content"] for m in document["media"])
    await services(bot).account.forget_all(user_id=ANNA.id, chat_id=ANNA.id)
    assert not await services(bot).memory.search(user_id=ANNA.id, query="deposit Okafor")
    assert await _stored(bot, ANNA.id) == []


async def test_a_long_document_is_stored_whole_in_batches(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored a few parts per transaction (a book's would hold the database for seconds):
    every part lands, numbered in order, searchable from the first to the last."""
    monkeypatch.setattr(conversation_documents, "DOCUMENT_BATCH", 2)
    topics = ["marmalade", "harbour", "lighthouse", "orchard", "glacier", "violin", "saffron"]
    paragraphs = [
        f"Chapter {n} is about the {topic}. " + "More words here. " * 55
        for n, topic in enumerate(topics, 1)
    ]
    bot.llm.then(LLMReply("A book of seven chapters."))
    send_document(bot, ANNA, "\n\n".join(paragraphs).encode(), "book.txt", "text/plain")
    await _answers(bot, ANNA.id, 1)
    parts = [m for m in await _stored(bot, ANNA.id) if m.get("part")]
    assert [m["part"] for m in parts] == list(range(1, len(topics) + 1))
    assert all(f"[book.txt, part {m['part']}] Chapter {m['part']}" in m["content"] for m in parts)
    for topic in (topics[0], topics[-1]):
        [best, *_] = await services(bot).memory.search(user_id=ANNA.id, query=topic)
        assert topic in best.text


async def test_a_document_still_being_stored_is_exported_and_forgotten_by_topic(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As after a crash before its first batch: the book waits in the backlog. /export lists
    it; /forget of a topic only its unstored parts mention drops the rest, never stored."""
    monkeypatch.setattr(conversation_documents.DocumentBacklog, "store_soon", lambda *_: None)
    paragraphs = [f"Chapter {n} is about the harbour. " + "More words here. " * 60 for n in (1, 2)]
    paragraphs.append("Chapter 3 is about the lighthouse keeper. " + "More words here. " * 60)
    bot.llm.then(LLMReply("A book of three chapters."))
    send_document(bot, ANNA, "\n\n".join(paragraphs).encode(), "book.txt", "text/plain")
    await _answers(bot, ANNA.id, 1)
    document, _ = await export_document(bot, ANNA)
    [pending] = document["pending_documents"]
    assert (pending["file_name"], pending["parts"], pending["parts_stored"]) == ("book.txt", 3, 0)
    preview = await say(bot, ANNA, "/forget lighthouse")
    assert "the rest of 1 document(s) not yet stored" in preview["text"]
    assert "lighthouse keeper" in preview["text"]
    done = await tap(bot, ANNA, preview, data_of(preview, "✅"))
    assert "I forgot the rest of 1 document(s) not yet stored" in done["text"]
    document, _ = await export_document(bot, ANNA)
    assert document["pending_documents"] == []
    assert await services(bot).conversation.documents.resume(everything=True) == 0
    assert not await services(bot).memory.search(user_id=ANNA.id, query="lighthouse keeper")


async def test_a_word_file_with_a_question_and_unsupported_files(bot: BotHarness) -> None:
    data = docx_file(["Packing list", "passport, charger, 两件毛衣"])
    bot.llm.then(LLMReply("Passport, charger and two sweaters."))
    send_document(
        bot,
        ANNA,
        data,
        "trip.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        caption="what do I need to pack?",
    )
    [text] = await _answers(bot, ANNA.id, 1)
    assert text == "Passport, charger and two sweaters."
    prompt = bot.llm.prompt_text(0)
    assert "what do I need to pack?" in prompt and "两件毛衣" in prompt
    send_document(bot, ANNA, b"PK\x03\x04 zip", "photos.zip", "application/zip")
    texts = await _answers(bot, ANNA.id, 2)
    assert "can't read this kind of file yet (photos.zip)" in texts[-1]
    send_document(bot, LI, b"%PDF-1.4 broken", "坏.pdf", "application/pdf")
    [text_zh] = await _answers(bot, LI.id, 1)
    assert "读不了 坏.pdf" in text_zh
    assert len(bot.llm.chat_requests) == 1
    assert [m.get("file_name") for m in await _stored(bot, ANNA.id)].count("photos.zip") == 1


async def test_audio_files_and_video_notes_are_heard_too(bot: BotHarness) -> None:
    bot.llm.transcripts.extend(["the podcast says hello", "a round video hello"])
    file = bot.api.add_file(b"ID3 fake mp3")
    audio = {**file, "duration": 30, "mime_type": "audio/mpeg", "file_name": "show.mp3"}
    bot.api.push_message(ANNA, audio=audio)
    await _answers(bot, ANNA.id, 2)
    note_file = bot.api.add_file(b"fake mp4")
    bot.api.push_message(ANNA, video_note={**note_file, "length": 240, "duration": 5})
    await _answers(bot, ANNA.id, 4)
    assert [upload.file_name for upload in bot.llm.uploads] == ["show.mp3", "video_note.mp4"]
    # Only the video note was someone speaking: only its answer is spoken too.
    await bot.api.wait_for(lambda: bot.api.calls_of("sendVoice"))
    assert len(bot.api.calls_of("sendVoice")) == 1
    assert bot.llm.speech_requests[0]["input"].endswith("a round video hello")
    stored = await _stored(bot, ANNA.id)
    assert [(m["kind"], m["content"]) for m in stored] == [
        ("audio", "the podcast says hello"),
        ("video_note", "a round video hello"),
    ]
