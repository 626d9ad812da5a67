"""Rules expand in local wall time: DST changes, gaps, folds and interval anchoring."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.timeparse import next_occurrence, occurrences, parse_when

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def _iso(values: list[datetime]) -> list[str]:
    return [v.isoformat() for v in values]


@pytest.mark.parametrize(
    ("zone", "now", "expected"),
    [
        (  # Europe springs forward on Sunday 2026-03-29
            BERLIN,
            datetime(2026, 3, 27, 12, 0, tzinfo=BERLIN),
            [
                "2026-03-28T07:00:00+01:00",
                "2026-03-29T07:00:00+02:00",
                "2026-03-30T07:00:00+02:00",
            ],
        ),
        (  # and falls back on Sunday 2026-10-25
            BERLIN,
            datetime(2026, 10, 23, 12, 0, tzinfo=BERLIN),
            [
                "2026-10-24T07:00:00+02:00",
                "2026-10-25T07:00:00+01:00",
                "2026-10-26T07:00:00+01:00",
            ],
        ),
        (  # the US springs forward on Sunday 2026-03-08
            NEW_YORK,
            datetime(2026, 3, 6, 22, 15, tzinfo=NEW_YORK),
            [
                "2026-03-07T07:00:00-05:00",
                "2026-03-08T07:00:00-04:00",
                "2026-03-09T07:00:00-04:00",
            ],
        ),
        (  # and falls back on Sunday 2026-11-01
            NEW_YORK,
            datetime(2026, 10, 30, 12, 0, tzinfo=NEW_YORK),
            [
                "2026-10-31T07:00:00-04:00",
                "2026-11-01T07:00:00-05:00",
                "2026-11-02T07:00:00-05:00",
            ],
        ),
    ],
)
def test_daily_seven_stays_seven_across_dst(
    zone: ZoneInfo, now: datetime, expected: list[str]
) -> None:
    result = parse_when("every day at 7:00 meditate", now, str(zone))
    assert result is not None and result.rrule is not None and result.dtstart is not None
    assert result.rrule == "FREQ=DAILY;BYHOUR=7;BYMINUTE=0"
    assert _iso(occurrences(result.rrule, result.dtstart, now, 3)) == expected


def test_spring_forward_gap_moves_to_after_the_change() -> None:
    now = datetime(2026, 3, 6, 22, 15, tzinfo=NEW_YORK)
    one_off = parse_when("Sunday at 2:30am check the clock", now, "America/New_York")
    assert one_off is not None
    assert one_off.when.isoformat() == "2026-03-08T03:30:00-04:00"
    rule = parse_when("every day at 2:30am", now, "America/New_York")
    assert rule is not None and rule.rrule is not None and rule.dtstart is not None
    assert _iso(occurrences(rule.rrule, rule.dtstart, now, 3)) == [
        "2026-03-07T02:30:00-05:00",
        "2026-03-08T03:30:00-04:00",
        "2026-03-09T02:30:00-04:00",
    ]


def test_gap_dtstart_does_not_hide_later_wall_times() -> None:
    now = datetime(2026, 3, 6, 22, 15, tzinfo=NEW_YORK)
    rule = parse_when("every Sunday at 2:30am", now, "America/New_York")
    assert rule is not None and rule.rrule is not None and rule.dtstart is not None
    assert rule.dtstart.isoformat() == "2026-03-08T03:30:00-04:00"
    assert _iso(occurrences(rule.rrule, rule.dtstart, now, 3)) == [
        "2026-03-08T03:30:00-04:00",
        "2026-03-15T02:30:00-04:00",
        "2026-03-22T02:30:00-04:00",
    ]


def test_fall_back_takes_the_first_occurrence() -> None:
    dtstart = datetime(2026, 10, 31, 1, 30, tzinfo=NEW_YORK)
    after = datetime(2026, 10, 31, 12, 0, tzinfo=NEW_YORK)
    found = next_occurrence("FREQ=DAILY;BYHOUR=1;BYMINUTE=30", dtstart, after)
    assert found is not None
    assert found.isoformat() == "2026-11-01T01:30:00-04:00"
    assert found.fold == 0


def test_every_other_monday_keeps_its_start_week() -> None:
    dtstart = datetime(2026, 3, 16, 9, 0, tzinfo=BERLIN)
    rule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=9;BYMINUTE=0"
    later = datetime(2026, 3, 24, 12, 0, tzinfo=BERLIN)  # a Tuesday in the off week
    assert _iso(occurrences(rule, dtstart, later, 2)) == [
        "2026-03-30T09:00:00+02:00",
        "2026-04-13T09:00:00+02:00",
    ]
    assert next_occurrence(rule, dtstart, datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN)) == (
        datetime(2026, 4, 13, 9, 0, tzinfo=BERLIN)
    )


def test_next_occurrence_is_strictly_after() -> None:
    dtstart = datetime(2026, 3, 10, 7, 0, tzinfo=BERLIN)
    rule = "FREQ=DAILY;BYHOUR=7;BYMINUTE=0"
    assert next_occurrence(rule, dtstart, dtstart) == datetime(2026, 3, 11, 7, 0, tzinfo=BERLIN)


def test_occurrences_never_precede_dtstart() -> None:
    dtstart = datetime(2026, 3, 10, 21, 0, tzinfo=BERLIN)
    rule = "FREQ=DAILY;BYHOUR=9,21;BYMINUTE=0"
    early = datetime(2026, 1, 1, tzinfo=BERLIN)
    assert occurrences(rule, dtstart, early, 2)[0] == dtstart


def test_finite_rules_end() -> None:
    dtstart = datetime(2026, 3, 10, 7, 0, tzinfo=BERLIN)
    rule = "RRULE:FREQ=DAILY;COUNT=2;BYHOUR=7;BYMINUTE=0"
    assert len(occurrences(rule, dtstart, dtstart.replace(hour=6), 5)) == 2
    assert next_occurrence(rule, dtstart, datetime(2026, 3, 12, tzinfo=BERLIN)) is None


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        next_occurrence("FREQ=DAILY", datetime(2026, 3, 10), datetime(2026, 3, 11))


def test_parsed_rules_start_at_their_first_future_occurrence() -> None:
    now = datetime(2026, 3, 10, 21, 30, tzinfo=BERLIN)
    result = parse_when("every 3 days at 20:00", now, "Europe/Berlin")
    assert result is not None
    assert result.dtstart == result.when == datetime(2026, 3, 11, 20, 0, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("start", "rule"),
    [
        (datetime(2026, 10, 24, 22, 0, tzinfo=BERLIN), "FREQ=HOURLY;INTERVAL=3"),  # fall back
        (datetime(2026, 3, 28, 22, 0, tzinfo=BERLIN), "FREQ=HOURLY;INTERVAL=3"),  # spring on
        (datetime(2026, 10, 25, 1, 0, tzinfo=BERLIN), "FREQ=MINUTELY;INTERVAL=30"),
        (datetime(2026, 10, 31, 23, 0, tzinfo=NEW_YORK), "FREQ=HOURLY;INTERVAL=1"),
    ],
)
def test_hourly_and_minutely_rules_count_elapsed_time_across_dst(
    start: datetime, rule: str
) -> None:
    from datetime import UTC, timedelta

    step = (
        timedelta(hours=int(rule.rsplit("=", 1)[1])) if "HOURLY" in rule else timedelta(minutes=30)
    )
    found = occurrences(rule, start, start, 8)
    instants = [moment.astimezone(UTC) for moment in [start, *found]]
    assert [b - a for a, b in itertools.pairwise(instants)] == [step] * 8
    assert all(moment.tzinfo is not None and moment.utcoffset() is not None for moment in found)


def test_every_three_hours_in_wall_time_around_the_fall_back() -> None:
    start = datetime(2026, 10, 24, 22, 0, tzinfo=BERLIN)
    found = occurrences("FREQ=HOURLY;INTERVAL=3", start, start, 3)
    assert _iso(found) == [
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T03:00:00+01:00",  # 3 real hours later, though the clock shows 2
        "2026-10-25T06:00:00+01:00",
    ]


def test_limits_end_rules() -> None:
    dtstart = datetime(2026, 3, 10, 7, 0, tzinfo=BERLIN)
    until = "FREQ=DAILY;BYHOUR=7;BYMINUTE=0;UNTIL=20260312T235959"
    assert len(occurrences(until, dtstart, dtstart.replace(hour=6), 9)) == 3
    hourly = "FREQ=HOURLY;INTERVAL=12;UNTIL=20260311T235959"
    assert len(occurrences(hourly, dtstart, dtstart.replace(hour=6), 9)) == 4


@pytest.mark.parametrize("text", ["in 3 hours", "every 3 hours"])
def test_offsets_from_now_are_elapsed_time_across_the_fall_back(text: str) -> None:
    from datetime import UTC

    now = datetime(2026, 10, 25, 0, 30, tzinfo=BERLIN)  # 22:30 UTC, CEST
    result = parse_when(text, now, "Europe/Berlin")
    assert result is not None
    assert result.when.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=3)
    assert result.when.isoformat() == "2026-10-25T02:30:00+01:00"
