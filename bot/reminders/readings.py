"""Small pure helpers: times of day, alternative readings, draft payloads, export rows."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.reminders.model import Reminder
from bot.reminders.recurrence import localize, next_occurrence
from bot.reminders.repository import NewReminder
from bot.storage import Draft, UserRecord, from_db_time, to_db_time
from bot.timeparse import parse_when

__all__ = [
    "drafts_exported",
    "exported",
    "lang_of",
    "other_reading",
    "parse_clock",
    "shorten",
    "spec_from_payload",
    "spec_payload",
    "with_time",
]

_TIME_OF_DAY = re.compile(
    r"^\s*(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*$", re.IGNORECASE
)


def lang_of(user: UserRecord | None) -> str:
    """The user's stored language, "en" when unknown."""
    return "zh" if user is not None and user.language == "zh" else "en"


def shorten(text: str, size: int = 40) -> str:
    """One line of at most ``size`` characters (for button labels)."""
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def parse_clock(text: str) -> time | None:
    """A time of day from "8:30", "8", "8am", "20.15" or words such as "早上8点"; else None."""
    if not text:
        return None
    match = _TIME_OF_DAY.match(text)
    if match is None:
        parsed = parse_when(text, datetime(2000, 1, 3, 0, 0, tzinfo=ZoneInfo("UTC")), "UTC")
        if parsed is None or parsed.rrule or parsed.grain != "minute":
            return None
        return parsed.when.time().replace(second=0, microsecond=0)
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(3) or "").lower().replace(".", "")
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def with_time(rule: str, hour: int, minute: int) -> str:
    """The rule firing at ``hour:minute`` instead (BYHOUR/BYMINUTE replaced or added)."""
    parts = [p for p in rule.split(";") if p and not p.upper().startswith(("BYHOUR=", "BYMINUTE="))]
    if any(
        p.upper().startswith("FREQ=") and p.upper()[5:] in ("HOURLY", "MINUTELY") for p in parts
    ):
        return rule
    return ";".join([*parts, f"BYHOUR={hour}", f"BYMINUTE={minute}"])


def other_reading(
    reminder: Reminder, flags: tuple[str, ...], now: datetime
) -> dict[str, Any] | None:
    """The alternative of an am/pm or "next week" reading, as a draft payload."""
    local = reminder.local_due()
    if "ampm" in flags:
        if reminder.rrule and reminder.dtstart:
            parts = reminder.rrule.upper()
            if "BYHOUR=" in parts and "," in parts.split("BYHOUR=")[1].split(";")[0]:
                return None
            hour = (local.hour + 12) % 24
            rule = with_time(reminder.rrule, hour, local.minute)
            start = reminder.dtstart.replace(hour=hour)
            due = next_occurrence(rule, start, reminder.timezone, now)
            if due is None:
                return None
            return {
                "reminder_id": reminder.id,
                "due_at": to_db_time(due),
                "rrule": rule,
                "dtstart": start.isoformat(),
            }
        shift = timedelta(hours=12) if local.hour < 12 else -timedelta(hours=12)
        other = local.replace(tzinfo=None) + shift
        due = localize(other, reminder.zone)
        if due <= now:
            due = localize(other + timedelta(days=1), reminder.zone)
        return {"reminder_id": reminder.id, "due_at": to_db_time(due)}
    if "next" in flags and not reminder.rrule:
        earlier = reminder.due_at - timedelta(days=7)
        if earlier > now:
            return {"reminder_id": reminder.id, "due_at": to_db_time(earlier)}
    return None


def spec_payload(spec: NewReminder) -> dict[str, Any]:
    return {
        "user_id": spec.user_id,
        "chat_id": spec.chat_id,
        "text": spec.text,
        "language": spec.language,
        "timezone": spec.timezone,
        "due_at": to_db_time(spec.due_at),
        "thread_id": spec.thread_id,
        "rrule": spec.rrule,
        "dtstart": spec.dtstart.isoformat() if spec.dtstart else None,
        "origin": spec.origin,
        "source_message_id": spec.source_message_id,
        "floating": spec.floating,
    }


def spec_from_payload(payload: dict[str, Any]) -> NewReminder:
    return NewReminder(
        user_id=int(payload["user_id"]),
        chat_id=int(payload["chat_id"]),
        text=str(payload["text"]),
        language=str(payload.get("language", "en")),
        timezone=str(payload["timezone"]),
        due_at=from_db_time(payload["due_at"]),
        thread_id=payload.get("thread_id"),
        rrule=payload.get("rrule"),
        dtstart=datetime.fromisoformat(payload["dtstart"]) if payload.get("dtstart") else None,
        origin=str(payload.get("origin", "command")),
        source_message_id=payload.get("source_message_id"),
        floating=bool(payload.get("floating", False)),
    )


def exported(reminder: Reminder) -> dict[str, Any]:
    return {
        "id": reminder.id,
        "chat_id": reminder.chat_id,
        "text": reminder.text,
        "status": reminder.status,
        "timezone": reminder.timezone,
        "next_local": reminder.local_due().isoformat(),
        "next_utc": to_db_time(reminder.due_at),
        "rrule": reminder.rrule,
        "dtstart_local": reminder.dtstart.isoformat() if reminder.dtstart else None,
        "origin": reminder.origin,
        "created_at": to_db_time(reminder.created_at) if reminder.created_at else None,
        "delivered_at": to_db_time(reminder.delivered_at) if reminder.delivered_at else None,
    }


def drafts_exported(drafts: list[Draft]) -> list[dict[str, Any]]:
    return [{"id": d.id, "kind": d.kind, **d.payload} for d in drafts]
