"""Callback data of the people buttons: ``ppl:<action>:<id>[:<arg>]`` (at most 64 bytes)."""

from __future__ import annotations

from bot.conversation.buttons import Action, CallbackCodec

__all__ = ["PREFIX", "Action", "button", "parse"]

PREFIX = "ppl:"

_CODEC = CallbackCodec(PREFIX)
button = _CODEC.button
parse = _CODEC.parse
