"""Dazi (搭子): a personal AI companion that lives in Telegram."""

__all__: list[str] = []
