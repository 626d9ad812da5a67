"""ReplyStreamer: previews at a bounded rate, drafts with an edit fallback, typing, and a final
answer that always arrives."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from telegram.error import BadRequest

from bot.telegram.streaming import ReplyStreamer
from tests.fakes.waiting import until


class StubBot:
    """Records calls; methods can be made to fail."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failing: dict[str, Exception] = {}
        self._ids = iter(range(100, 10_000))

    def _call(self, method: str, **params: Any) -> Any:
        self.calls.append((method, params))
        if method in self.failing:
            raise self.failing[method]
        return SimpleNamespace(message_id=next(self._ids))

    async def _post(self, endpoint: str, data: dict[str, Any]) -> Any:
        """The Bot API path the streamer sends messages, drafts and typing through: recorded
        under the typed method's name, answered as Telegram's JSON."""
        params = {key: value for key, value in data.items() if key != "chat_id"}
        if endpoint == "sendMessage":
            return {"message_id": self._call("send_message", **params).message_id}
        name = {"sendMessageDraft": "send_message_draft", "sendChatAction": "send_chat_action"}
        self._call(name[endpoint], **params)
        return True

    async def edit_message_text(self, text: str, **params: Any) -> Any:
        return self._call("edit_message_text", text=text, **params)

    async def send_message_draft(self, chat_id: int, draft_id: int, text: str, **params: Any):
        return self._call("send_message_draft", text=text, **params)

    async def send_chat_action(self, chat_id: int, action: str, **params: Any) -> Any:
        return self._call("send_chat_action", action=action)

    async def delete_message(self, chat_id: int, message_id: int) -> Any:
        return self._call("delete_message", message_id=message_id)

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_edits_happen_at_most_once_per_interval() -> None:
    bot, clock = StubBot(), Clock()
    streamer = ReplyStreamer(bot, 1, use_drafts=False, grace=0, monotonic=clock)
    async with streamer:
        for step in range(30):  # 3 s of text arriving every 100 ms
            clock.now = step * 0.1
            await streamer.update("word " * (step + 1))
        await streamer.finish("word " * 31)
    previews = [m for m in bot.methods() if m in ("send_message", "edit_message_text")]
    assert len(previews) == 1 + 3  # the first preview, one edit a second, the final edit


async def test_group_previews_wait_longer_between_edits() -> None:
    bot, clock = StubBot(), Clock()
    streamer = ReplyStreamer(bot, -5, use_drafts=False, grace=0, edit_interval=3.0, monotonic=clock)
    async with streamer:
        for step in range(60):  # 6 s
            clock.now = step * 0.1
            await streamer.update("word " * (step + 1))
    assert bot.methods().count("edit_message_text") == 1  # at 3 s; the next would be at 6 s


async def test_not_modified_is_ignored_and_the_answer_stands() -> None:
    bot, clock = StubBot(), Clock()
    streamer = ReplyStreamer(bot, 1, use_drafts=False, grace=0, monotonic=clock)
    async with streamer:
        await streamer.update("Hello there")
        bot.failing["edit_message_text"] = BadRequest("Message is not modified")
        ids = await streamer.finish("Hello there, friend")
    assert ids == [100]  # the preview is the answer; nothing sent twice
    assert bot.methods().count("send_message") == 1


async def test_a_preview_that_cannot_become_the_answer_is_replaced() -> None:
    bot, clock = StubBot(), Clock()
    streamer = ReplyStreamer(bot, 1, use_drafts=False, grace=0, monotonic=clock)
    async with streamer:
        await streamer.update("Half an ans")
        bot.failing["edit_message_text"] = BadRequest("Message to edit not found")
        ids = await streamer.finish("Half an answer, now whole.")
    assert bot.methods()[-2:] == ["delete_message", "send_message"]
    assert bot.calls[-1][1]["text"] == "Half an answer, now whole."
    assert len(ids) == 1 and ids[0] != 100  # the new message, not the deleted preview


async def test_drafts_fall_back_to_edits_when_refused() -> None:
    bot, clock = StubBot(), Clock()
    bot.failing["send_message_draft"] = BadRequest("Method is not available")
    streamer = ReplyStreamer(bot, 1, use_drafts=True, grace=0, monotonic=clock)
    async with streamer:
        await streamer.update("First words")
        clock.now = 1.5
        await streamer.update("First words and more")
        await streamer.finish("First words and more.")
    assert bot.methods()[:2] == ["send_message_draft", "send_message"]
    assert bot.calls[-1] == ("edit_message_text", bot.calls[-1][1])


async def test_drafts_are_throttled() -> None:
    bot, clock = StubBot(), Clock()
    streamer = ReplyStreamer(bot, 1, use_drafts=True, grace=0, monotonic=clock)
    async with streamer:
        for step in range(20):  # 2 s, text every 100 ms
            clock.now = step * 0.1
            await streamer.update("token " * (step + 1))
    assert bot.methods().count("send_message_draft") == 2  # once a second


async def test_typing_repeats_until_text_appears() -> None:
    bot = StubBot()
    streamer = ReplyStreamer(
        bot, 1, use_drafts=True, grace=0.01, typing_after=0.01, typing_refresh=0.05
    )
    async with streamer:
        # Three typing actions, however long a loaded machine takes to show them.
        await until(lambda: bot.methods().count("send_chat_action") >= 3)
        typing_before = bot.methods().count("send_chat_action")
        await streamer.finish("Done.")
        await asyncio.sleep(0.25)  # five refresh periods: typing that went on would show
    assert bot.methods().count("send_chat_action") == typing_before  # stops with the answer


async def test_no_typing_when_the_first_words_come_quickly() -> None:
    bot = StubBot()
    now = [0.0]
    streamer = ReplyStreamer(
        bot, 1, use_drafts=True, grace=0.01, typing_after=0.15, monotonic=lambda: now[0]
    )
    async with streamer:
        # The first words come 0.03 s in (on the streamer's clock) and are shown as a draft
        # before the event loop can run the typing timer, however loaded the machine is.
        now[0] = 0.03
        await streamer.update("Hello there")
        await asyncio.sleep(0.2)  # the typing timer's moment passes with text on screen
        await streamer.finish("Hello there, friend.")
    assert "send_chat_action" not in bot.methods()
    assert bot.methods().count("send_message_draft") == 1


async def test_typing_when_the_model_is_slow_to_start() -> None:
    bot = StubBot()
    streamer = ReplyStreamer(
        bot, 1, use_drafts=True, grace=0.01, typing_after=0.05, typing_refresh=60.0
    )
    async with streamer:
        # Nothing from the model yet: "typing..." shows once the typing timer fires.
        await until(lambda: "send_chat_action" in bot.methods())
        assert bot.methods().count("send_chat_action") == 1
        await streamer.update("At last")
        await streamer.finish("At last, an answer.")
    assert bot.methods().count("send_chat_action") == 1
