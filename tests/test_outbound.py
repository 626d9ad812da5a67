"""Typed taps: a button is a tap with a payload of that tap's type, checked by mypy and, for
code mypy does not see, when the button is made; each tap's handler gets its payload."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from mypy import api as mypy

from bot.outbound import Action, ButtonReply, Feature, Tap, TapHandlers, TapSet
from bot.reminders.buttons import DraftId, ReminderId, Snooze, SnoozeSpan, Taps


def test_a_button_with_another_taps_payload_is_refused_when_made() -> None:
    assert Taps.SNOOZE.button("ok", Snooze(1, SnoozeSpan.HOUR)).action.payload.reminder_id == 1
    with pytest.raises(TypeError, match="carries a Snooze, not ReminderId"):
        Taps.SNOOZE.button("wrong", ReminderId(1))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="carries a ReminderId, not DraftId"):
        Action(Taps.UNDO, DraftId(1))  # type: ignore[arg-type]


def test_mypy_refuses_a_wrong_payload_or_handler_for_a_tap(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        from dataclasses import dataclass
        from bot.outbound import Feature, TapHandlers, TapSet

        @dataclass(frozen=True, slots=True)
        class ReminderId:
            reminder_id: int

        @dataclass(frozen=True, slots=True)
        class DraftId:
            draft_id: int

        UNDO_TAPS = TapSet(Feature.REMINDERS)
        UNDO = UNDO_TAPS.add("undo", ReminderId)
        UNDO.button("right", ReminderId(1))
        UNDO.button("wrong", DraftId(1))  # line 16

        async def on_undo(actor: str, tapped: ReminderId) -> str:
            return ""

        async def on_draft(actor: str, tapped: DraftId) -> str:
            return ""

        handlers: TapHandlers[str, [], str] = TapHandlers(UNDO_TAPS)
        handlers.on(UNDO, on_undo)
        handlers.on(UNDO, on_draft)  # line 26
        """
    )
    checked = tmp_path / "taps.py"
    checked.write_text(code)
    report, _, status = mypy.run(
        ["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(checked)]
    )
    errors = [line for line in report.splitlines() if ": error:" in line]
    assert status == 1
    assert [line.split(":")[1] for line in errors] == ["16", "26"], report


@dataclass(frozen=True, slots=True)
class _Count:
    count: int


@dataclass(frozen=True, slots=True)
class _Ratio:
    ratio: float


def test_a_tap_name_is_taken_once_and_a_payload_holds_only_what_a_button_carries() -> None:
    taps = TapSet(Feature.PEOPLE)
    taps.add("n", _Count)
    with pytest.raises(ValueError, match="already has a tap named 'n'"):
        taps.add("n", _Count)
    with pytest.raises(TypeError, match="cannot carry"):
        taps.add("r", _Ratio)
    with pytest.raises(TypeError, match="a payload is a dataclass"):
        Tap(Feature.PEOPLE, "i", int)  # type: ignore[type-var]
    assert taps.named("n") is not None and taps.named("r") is None
    assert [tap.name for tap in taps] == ["n"]


async def test_each_tap_runs_its_own_handler_with_its_payload() -> None:
    taps = TapSet(Feature.PEOPLE)
    more, less, unhandled = (
        taps.add("more", _Count),
        taps.add("less", _Count),
        taps.add("x", _Count),
    )
    handlers: TapHandlers[str, [int], ButtonReply] = TapHandlers(taps)

    async def on_more(actor: str, tapped: _Count, step: int) -> ButtonReply:
        return ButtonReply(toast=f"{actor} {tapped.count + step}")

    async def on_less(actor: str, tapped: _Count, step: int) -> ButtonReply:
        return ButtonReply(toast=f"{actor} {tapped.count - step}")

    handlers.on(more, on_more)
    handlers.on(less, on_less)
    with pytest.raises(ValueError, match="already has a handler"):
        handlers.on(more, on_less)
    with pytest.raises(ValueError, match="is not one of ppl"):
        handlers.on(TapSet(Feature.PEOPLE).add("more", _Count), on_more)
    with pytest.raises(ValueError, match=r"without a handler: \['x'\]"):
        handlers.complete()
    assert await handlers.run("anna", Action(more, _Count(5)), 2) == ButtonReply(toast="anna 7")
    assert await handlers.run("anna", Action(less, _Count(5)), 2) == ButtonReply(toast="anna 3")
    assert await handlers.run("anna", Action(unhandled, _Count(5)), 2) is None
