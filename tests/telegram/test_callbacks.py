"""Button actions as callback data: one generic encoding of typed payloads, checked against
Telegram's 64 bytes, that still reads every button sent before payloads were typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import available_timezones

import pytest

from bot.outbound import Action, Button, DayTime, Nothing, Page, Switch, Tap, TapSet
from bot.people import buttons as people
from bot.reminders import buttons as reminders
from bot.telegram.callbacks import MAX_CALLBACK_BYTES, decode, encode, markup
from bot.telegram.handlers import media, memory

#: Every feature's taps.
TAP_SETS = (reminders.TAPS, people.TAPS, memory.TAPS, media.TAPS)


def _sent_before(feature: str, name: str, target: int = 0, arg: str = "") -> str:
    """The encoder of the release before typed payloads, kept verbatim: the buttons it made
    are in users' chats (memory put several numbers in ``arg``, joined by ``:``)."""
    return f"{feature}:{name}:{target}" + (f":{arg}" if arg else "")


R, P, M = reminders.Taps, people.Taps, memory.Taps
ZONE = "America/Argentina/ComodRivadavia"

#: For every tap, what the code before typed payloads sent (as it called the old encoder)
#: and what it meant.
OLD_BUTTONS: list[tuple[Tap[Any], str, Any]] = [
    (R.UNDO, _sent_before("rem", "undo", 42), reminders.ReminderId(42)),
    (R.DONE, _sent_before("rem", "done", 42), reminders.ReminderId(42)),
    *(
        (R.SNOOZE, _sent_before("rem", "snz", 42, span), reminders.Snooze(42, span))
        for span in reminders.SnoozeSpan
    ),
    (R.PICK, _sent_before("rem", "pick", 7, "2"), reminders.Pick(7, 2)),
    (R.PICK, _sent_before("rem", "pick", 7, "all"), reminders.Pick(7, reminders.EveryReading.ALL)),
    (R.PICK, _sent_before("rem", "pick", 7), reminders.Pick(7)),  # "yes, at ..." (one reading)
    (R.OFFER, _sent_before("rem", "offer", 7), reminders.DraftId(7)),
    (R.DROP, _sent_before("rem", "drop", 7), reminders.DraftId(7)),
    (R.DECLINE_OFFER, _sent_before("rem", "nooffer", 7), reminders.DraftId(7)),
    (R.NEVER_OFFER, _sent_before("rem", "never", 7), reminders.DraftId(7)),
    (R.ALTERNATIVE, _sent_before("rem", "alt", 7), reminders.DraftId(7)),
    (R.LIST, _sent_before("rem", "list", 3), Page(3)),
    (R.LIST, _sent_before("rem", "list", 0), Page(0)),
    (R.VIEW, _sent_before("rem", "view", 42, "3"), reminders.ReminderOnPage(42, 3)),
    (R.PAUSE, _sent_before("rem", "pause", 42, "0"), reminders.ReminderOnPage(42, 0)),
    (R.RESUME, _sent_before("rem", "resume", 42, "1"), reminders.ReminderOnPage(42, 1)),
    (R.DELETE, _sent_before("rem", "del", 42, "2"), reminders.ReminderOnPage(42, 2)),
    (R.EDIT, _sent_before("rem", "edit", 42), reminders.ReminderId(42)),
    (R.TIMEZONE, _sent_before("rem", "tz", 0, ZONE), reminders.Zone(ZONE)),
    (R.OFFERS, _sent_before("rem", "offers", 0, "on"), Switch(on=True)),
    (R.OFFERS, _sent_before("rem", "offers", 0, "off"), Switch(on=False)),
    (R.DEFAULT_TIME, _sent_before("rem", "dt", 0, "0700"), DayTime(700)),
    (R.DEFAULT_TIME, _sent_before("rem", "dt", 0, "1000"), DayTime(1000)),
    (P.UNDO, _sent_before("ppl", "undo", 9), people.PendingId(9)),
    (P.PICK, _sent_before("ppl", "pick", 9, "12"), people.PersonChoice(9, 12)),
    (P.PICK, _sent_before("ppl", "pick", 9, "0"), people.PersonChoice(9, 0)),  # someone new
    (P.LOG, _sent_before("ppl", "log", 9, "12"), people.PersonChoice(9, 12)),
    (P.LOG, _sent_before("ppl", "log", 9, "0"), people.PersonChoice(9, 0)),
    (P.DROP, _sent_before("ppl", "drop", 9), people.PendingId(9)),
    (P.NO_LOG, _sent_before("ppl", "nolog", 9), people.PendingId(9)),
    (P.HERE, _sent_before("ppl", "here", 9), people.PendingId(9)),
    (P.CARD, _sent_before("ppl", "card", 5), people.PersonId(5)),
    (P.PAGE, _sent_before("ppl", "pg", 2), Page(2)),
    (P.DRAFT, _sent_before("ppl", "dr", 5), people.PersonId(5)),
    (P.ANOTHER_DRAFT, _sent_before("ppl", "dra", 5), people.PersonId(5)),
    (P.DONE, _sent_before("ppl", "done", 5), people.PersonId(5)),
    (P.SENT, _sent_before("ppl", "sent", 5), people.PersonId(5)),
    (P.MET, _sent_before("ppl", "met", 5), people.PersonId(5)),
    (P.SNOOZE, _sent_before("ppl", "snz", 5), people.PersonId(5)),
    (P.EDIT, _sent_before("ppl", "edit", 5), people.PersonId(5)),
    (P.REMOVE_DATE, _sent_before("ppl", "rmd", 11), people.DateId(11)),
    (P.REMOVE_NOTE, _sent_before("ppl", "rmn", 11), people.NoteId(11)),
    (P.NO_CADENCE, _sent_before("ppl", "nocad", 5), people.PersonId(5)),
    (P.BACK, _sent_before("ppl", "back", 5), people.PersonId(5)),
    (P.DELETE, _sent_before("ppl", "del", 5), people.PersonId(5)),
    (P.DELETE_CONFIRMED, _sent_before("ppl", "delok", 5), people.PersonId(5)),
    (P.DIGEST_TIME, _sent_before("ppl", "dgt", 0, "2000"), DayTime(2000)),
    (P.DIGEST_TIME, _sent_before("ppl", "dgt", 0, "0700"), DayTime(700)),
    (P.DIGEST_LEAD, _sent_before("ppl", "dgl", 7), people.LeadDays(7)),
    (P.DIGEST_ON_OFF, _sent_before("ppl", "dgo", 0, "on"), Switch(on=True)),
    (P.DIGEST_ON_OFF, _sent_before("ppl", "dgo", 0, "off"), Switch(on=False)),
    (P.DIGEST_PREVIEW, _sent_before("ppl", "dgp", 0), Nothing()),
    (M.PAGE, _sent_before("mem", "p", 42, "1"), memory.FactsPage(42, 1)),
    (M.DELETE, _sent_before("mem", "d", 42, "7:1"), memory.FactToDelete(42, 7, 1)),
    (M.FORGET_TOPIC, _sent_before("mem", "fy", 42, "3"), memory.Previewed(42, 3)),
    (M.FORGET_WITH_PEOPLE, _sent_before("mem", "fp", 42, "3"), memory.Previewed(42, 3)),
    (M.CANCEL_TOPIC, _sent_before("mem", "fn", 42, "3"), memory.Previewed(42, 3)),
    (M.FORGET_ALL, _sent_before("mem", "ay", 42), memory.ForOwner(42)),
    (M.CANCEL, _sent_before("mem", "n", 42), memory.ForOwner(42)),
    *((tap, _sent_before("voice", tap.name), Nothing()) for tap in media.TAPS),
    # Before voice used the one encoding at all, its buttons carried the choice alone.
    *((tap, f"voice:{tap.name}", Nothing()) for tap in media.TAPS),
]


@pytest.mark.parametrize(("tap", "sent", "meant"), OLD_BUTTONS, ids=lambda x: str(x)[:24])
def test_a_button_sent_before_typed_payloads_means_what_it_meant(
    tap: Tap[Any], sent: str, meant: Any
) -> None:
    taps = next(taps for taps in TAP_SETS if taps.feature == tap.feature)
    assert decode(sent, taps) == Action(tap, meant)
    assert decode(encode(Action(tap, meant)), taps) == Action(tap, meant)


def test_every_tap_has_its_old_buttons_checked() -> None:
    # A tap made later has no old buttons; until then none may be left out.
    assert {tap for tap, _, _ in OLD_BUTTONS} == {tap for taps in TAP_SETS for tap in taps}


def test_the_old_times_of_day_read_as_times() -> None:
    assert DayTime(700).as_time == time(7, 0) and DayTime.of(time(20, 30)) == DayTime(2030)
    assert DayTime(2460).as_time is None and DayTime(2400).as_time is None


#: The largest row id either database gives (a 64-bit integer).
ROW_ID = 2**63 - 1
#: Telegram's user ids have at most 52 significant bits.
USER_ID = 2**52
#: More pages than any list has (a page holds 5 to 8 items).
PAGE = 99_999

#: Each payload at its largest realistic values (several for a choice of kinds).
LARGEST: dict[type, list[Any]] = {
    reminders.ReminderId: [reminders.ReminderId(ROW_ID)],
    reminders.ReminderOnPage: [reminders.ReminderOnPage(ROW_ID, PAGE)],
    reminders.Snooze: [reminders.Snooze(ROW_ID, span) for span in reminders.SnoozeSpan],
    reminders.DraftId: [reminders.DraftId(ROW_ID)],
    reminders.Pick: [
        reminders.Pick(ROW_ID, 99),
        reminders.Pick(ROW_ID, reminders.EveryReading.ALL),
    ],
    reminders.Zone: [reminders.Zone(max(available_timezones(), key=len))],
    people.PersonId: [people.PersonId(ROW_ID)],
    people.PendingId: [people.PendingId(ROW_ID)],
    people.PersonChoice: [people.PersonChoice(ROW_ID, ROW_ID)],
    people.DateId: [people.DateId(ROW_ID)],
    people.NoteId: [people.NoteId(ROW_ID)],
    people.LeadDays: [people.LeadDays(30)],
    memory.FactsPage: [memory.FactsPage(USER_ID, PAGE)],
    memory.FactToDelete: [memory.FactToDelete(USER_ID, ROW_ID, PAGE)],
    memory.Previewed: [memory.Previewed(USER_ID, ROW_ID)],
    memory.ForOwner: [memory.ForOwner(USER_ID)],
    Page: [Page(PAGE)],
    Switch: [Switch(on=False), Switch(on=True)],
    DayTime: [DayTime(2359)],
    Nothing: [Nothing()],
}


@pytest.mark.parametrize("tap", [tap for taps in TAP_SETS for tap in taps], ids=str)
def test_every_tap_fits_telegram_at_its_largest_and_comes_back(tap: Tap[Any]) -> None:
    taps = next(taps for taps in TAP_SETS if taps.feature == tap.feature)
    for payload in LARGEST[tap.payload]:
        data = encode(Action(tap, payload))
        assert len(data.encode()) <= MAX_CALLBACK_BYTES, data
        assert decode(data, taps) == Action(tap, payload)


def test_every_time_zone_fits_a_reminders_button() -> None:
    # /timezone offers zones as buttons; nothing else checks their length.
    for zone in available_timezones():
        data = encode(R.TIMEZONE.button(zone, reminders.Zone(zone)).action)
        assert decode(data, reminders.TAPS) == Action(R.TIMEZONE, reminders.Zone(zone))


@pytest.mark.parametrize(
    ("taps", "data"),
    [
        (reminders.TAPS, ""),
        (reminders.TAPS, "rem"),
        (reminders.TAPS, "zzz:undo:1"),
        (reminders.TAPS, "ppl:undo:1"),  # another feature's
        (reminders.TAPS, "rem:no-such-tap:1"),  # a tap of another release
        (reminders.TAPS, "rem:undo:abc"),
        (reminders.TAPS, "rem:undo:1.5"),
        (reminders.TAPS, "rem:undo"),  # its id missing
        (reminders.TAPS, "rem:undo:1:2:3"),  # more than it carries
        (reminders.TAPS, "rem:snz:42:2d"),  # no such span
        (reminders.TAPS, "rem:snz:42"),
        (reminders.TAPS, "rem:offers:maybe"),
        (reminders.TAPS, "rem:pick:7:some"),
        (memory.TAPS, "mem:d:42:7"),  # the page missing
        (media.TAPS, "voice:loud"),
    ],
)
def test_foreign_unknown_or_malformed_data_is_no_action(taps: TapSet, data: str) -> None:
    assert decode(data, taps) is None


def test_a_reading_is_a_number_or_all() -> None:
    assert decode("rem:pick:7:3", reminders.TAPS) == Action(R.PICK, reminders.Pick(7, 3))
    assert decode("rem:pick:7:all", reminders.TAPS) == Action(
        R.PICK, reminders.Pick(7, reminders.EveryReading.ALL)
    )


def test_an_action_too_long_for_telegram_is_refused_not_cut() -> None:
    with pytest.raises(ValueError, match="too long"):
        encode(R.TIMEZONE.button("x", reminders.Zone("x" * 60)).action)
    with pytest.raises(ValueError, match="cannot carry"):  # it would shift the fields after it
        encode(R.TIMEZONE.button("x", reminders.Zone("Etc/GMT:3")).action)


def test_a_keyboard_refuses_a_button_too_long_for_telegram() -> None:
    fits = M.PAGE.button("ok", memory.FactsPage(USER_ID, 1))
    keyboard = markup([[fits], []])
    assert keyboard is not None and len(keyboard.inline_keyboard) == 1
    assert markup([[], []]) is None
    with pytest.raises(ValueError, match="too long"):
        markup([[Button("no", Action(R.TIMEZONE, reminders.Zone("y" * 70)))]])


@dataclass(frozen=True, slots=True)
class _Named:
    name: str
    count: int = 1


def test_the_encoding_is_generic_over_the_payloads_fields() -> None:
    # Nothing in the transport knows the features' taps: a new one works as it is declared.
    taps = TapSet(reminders.TAPS.feature)
    tap = taps.add("new", _Named)
    assert encode(Action(tap, _Named("x", 3))) == "rem:new:x:3"
    assert decode("rem:new:x", taps) == Action(tap, _Named("x"))  # a missing field's default
