"""What Dazi says on its own (reminders, people nudges) becomes part of the conversation.

The user answers a reminder with "done, thanks" or a nudge with "send it": the model can only
follow if the reminder is in the chat's history, so every message the scheduler delivers is
stored like an answer of the bot's.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.conversation.service import ConversationService
from bot.outbound import Delivery, Outgoing, SendResult, SendStatus

__all__ = ["RememberedDelivery"]

logger = logging.getLogger(__name__)


class RememberedDelivery:
    """Wraps a reminders :class:`~bot.reminders.Delivery`: what was sent is kept as a message."""

    def __init__(self, inner: Delivery, conversation: ConversationService) -> None:
        self._inner = inner
        self._conversation = conversation

    async def send(self, message: Outgoing) -> SendResult:
        result = await self._inner.send(message)
        if result.status != SendStatus.SENT:
            return result

        async def remember() -> None:
            try:
                await self._conversation.record_sent(
                    chat_id=message.chat_id, text=message.text, tg_message_id=result.message_id
                )
            except Exception:
                # The message is out; a storage hiccup must not make the scheduler send it again.
                logger.exception("could not keep a delivered message of chat %s", message.chat_id)

        # Kept only after the sender wrote `delivered`: indexing first widened the window in
        # which a crash makes the scheduler send the message again.
        return replace(result, follow_up=remember)
