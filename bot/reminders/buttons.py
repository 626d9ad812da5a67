"""Callback data of the reminders' inline buttons: ``rem:<action>:<id>[:<arg>]`` (≤ 64 bytes)."""

from __future__ import annotations

from bot.conversation.buttons import Action, CallbackCodec

__all__ = ["PREFIX", "Action", "button", "data", "parse"]

PREFIX = "rem:"

_CODEC = CallbackCodec(PREFIX)
data = _CODEC.data
button = _CODEC.button
parse = _CODEC.parse
