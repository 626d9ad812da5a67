"""Helpers of the memory and group end-to-end tests: talk, tap, read what the bot sent."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.harness import BotHarness
from tests.fakes.telegram import BOT_ID, BOT_USERNAME, FakeChat, FakeUser

__all__ = [
    "buttons",
    "data_of",
    "export_document",
    "my_chat_member",
    "results",
    "say",
    "say_silently",
    "services",
    "shown_text",
    "tap",
]


def services(harness: BotHarness) -> Any:
    assert harness.services is not None
    return harness.services


def results(harness: BotHarness, chat_id: int) -> list[dict[str, Any]]:
    """Every message the bot sent to the chat, as Telegram returned it (with its buttons)."""
    return [
        call.result
        for call in harness.api.calls_of("sendMessage")
        if call.params.get("chat_id") == chat_id and call.result
    ]


def shown_text(harness: BotHarness, message: dict[str, Any]) -> str:
    """A message's text as the chat shows it now: its last edit, or as it was sent (a streamed
    answer may go out with its first words and be edited to the whole)."""
    edits = [
        call.params["text"]
        for call in harness.api.calls_of("editMessageText")
        if call.params.get("chat_id") == message["chat"]["id"]
        and call.params.get("message_id") == message["message_id"]
    ]
    return edits[-1] if edits else str(message["text"])


async def say(
    harness: BotHarness,
    user: FakeUser,
    text: str,
    chat: FakeChat | None = None,
    *,
    reply_to: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Send a message and return the bot's (first) answer to it, its text as the chat shows
    it once the answer is done: a group answer is streamed as a preview that is edited to the
    whole, and on a loaded machine the preview may carry only the first words."""
    chat_id = (chat or FakeChat.private(user)).id
    before = len(results(harness, chat_id))
    harness.api.push_text(user, text, chat=chat, reply_to=reply_to)
    await harness.api.wait_for(lambda: len(results(harness, chat_id)) > before)
    await harness.settle()
    answer = results(harness, chat_id)[before]
    return {**answer, "text": shown_text(harness, answer)}


async def say_silently(
    harness: BotHarness, user: FakeUser, text: str, chat: FakeChat | None = None
) -> dict[str, Any]:
    """Send a message that gets no answer; return it as Telegram shows it."""
    sent = harness.api.push_text(user, text, chat=chat)
    await harness.settle()
    return sent


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(button["text"], button["callback_data"]) for row in rows for button in row]


def data_of(message: dict[str, Any], label_start: str) -> str:
    return next(data for label, data in buttons(message) if label.startswith(label_start))


async def tap(
    harness: BotHarness, user: FakeUser, message: dict[str, Any], data: str
) -> dict[str, Any]:
    """Tap a button; return the edited message (text and buttons)."""
    before = len(harness.api.calls_of("editMessageText"))
    harness.api.push_callback(user, message, data)
    await harness.api.wait_for(lambda: len(harness.api.calls_of("editMessageText")) > before)
    await harness.settle()
    params = harness.api.calls_of("editMessageText")[-1].params
    return {"text": params["text"], "reply_markup": params.get("reply_markup", {})}


async def export_document(harness: BotHarness, user: FakeUser, chat: FakeChat | None = None):
    """Send /export and return the JSON document the bot uploaded."""
    before = len(harness.api.calls_of("sendDocument"))
    harness.api.push_text(user, "/export", chat=chat)
    await harness.api.wait_for(lambda: len(harness.api.calls_of("sendDocument")) > before)
    await harness.settle()
    call = harness.api.calls_of("sendDocument")[-1]
    [(name, content)] = call.files.values()
    assert name.endswith(".json")
    return json.loads(content), call


def _bot_member(status: str) -> dict[str, Any]:
    user = {"id": BOT_ID, "is_bot": True, "first_name": "Dazi", "username": BOT_USERNAME}
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "administrator":
        rights = (
            "can_be_edited is_anonymous can_manage_chat can_delete_messages can_manage_video_chats"
            " can_restrict_members can_promote_members can_change_info can_invite_users"
            " can_post_stories can_edit_stories can_delete_stories"
        )
        member.update(dict.fromkeys(rights.split(), False))
    if status == "kicked":
        member["until_date"] = 0
    return member


def my_chat_member(
    harness: BotHarness, by: FakeUser, chat: FakeChat, old: str, new: str
) -> dict[str, Any]:
    """Someone changed Dazi's membership of a chat (added, promoted, removed)."""
    return harness.api.push_update(
        {
            "my_chat_member": {
                "chat": chat.as_dict(),
                "from": by.as_dict(),
                "date": int(harness.clock.now().timestamp()),
                "old_chat_member": _bot_member(old),
                "new_chat_member": _bot_member(new),
            }
        }
    )
