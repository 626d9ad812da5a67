"""A message transport for the schedulers' unit tests (the ``Delivery`` the senders use)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.outbound import Outgoing, SendResult, SendStatus

__all__ = ["FakeDelivery"]


@dataclass
class FakeDelivery:
    """Records messages; ``plan`` scripts the next results; ``blocked`` chats answer 403."""

    sent: list[Outgoing] = field(default_factory=list)
    refused: list[Outgoing] = field(default_factory=list)
    plan: list[SendResult] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    delay: float = 0.0
    in_flight: int = 0
    max_in_flight: int = 0

    async def send(self, message: Outgoing) -> SendResult:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.plan:
                result = self.plan.pop(0)
                if not result.sent:
                    self.refused.append(message)
                    return result
            if message.chat_id in self.blocked:
                self.refused.append(message)
                return SendResult(SendStatus.BLOCKED, error="Forbidden: bot was blocked")
            self.sent.append(message)
            return SendResult(SendStatus.SENT, message_id=5000 + len(self.sent))
        finally:
            self.in_flight -= 1

    def texts(self) -> list[str]:
        return [message.text for message in self.sent]
