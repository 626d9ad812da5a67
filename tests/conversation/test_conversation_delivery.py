"""Messages Dazi sends on its own are kept in the conversation, without risking the send."""

from __future__ import annotations

from typing import Any

from bot.conversation.delivery import RememberedDelivery
from bot.outbound import run_follow_up
from bot.reminders import Outgoing, SendResult, SendStatus


class _Inner:
    def __init__(self, result: SendResult) -> None:
        self.result = result

    async def send(self, message: Outgoing) -> SendResult:
        return self.result


class _Conversation:
    def __init__(self, *, fail: bool = False) -> None:
        self.kept: list[dict[str, Any]] = []
        self.fail = fail

    async def record_sent(self, **message: Any) -> None:
        if self.fail:
            raise OSError("disk full")
        self.kept.append(message)


async def test_a_sent_message_is_kept_and_a_failed_one_is_not() -> None:
    conversation = _Conversation()
    sent = RememberedDelivery(_Inner(SendResult(SendStatus.SENT, message_id=7)), conversation)  # type: ignore[arg-type]
    result = await sent.send(Outgoing(chat_id=5, text="⏰ stretch"))
    assert result.status == SendStatus.SENT
    assert conversation.kept == []  # not before the sender recorded the delivery
    await run_follow_up(result)
    refused = RememberedDelivery(_Inner(SendResult(SendStatus.RETRY)), conversation)  # type: ignore[arg-type]
    assert (await refused.send(Outgoing(chat_id=5, text="⏰ again"))).status == SendStatus.RETRY
    assert conversation.kept == [{"chat_id": 5, "text": "⏰ stretch", "tg_message_id": 7}]


async def test_storage_trouble_never_turns_a_sent_reminder_into_a_resend() -> None:
    delivery = RememberedDelivery(
        _Inner(SendResult(SendStatus.SENT, message_id=7)),
        _Conversation(fail=True),  # type: ignore[arg-type]
    )
    result = await delivery.send(Outgoing(chat_id=5, text="⏰ stretch"))
    assert result.status == SendStatus.SENT
    await run_follow_up(result)  # logged, never raised
