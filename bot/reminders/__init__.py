"""Reminders that never fail: natural English and Chinese times, recurring rules, per-user time
zones, snooze, a restart-safe database-backed scheduler, and reminders offered from the chat."""

from bot.outbound import Delivery, Outgoing, SendResult, SendStatus
from bot.reminders.model import Reminder, Status
from bot.reminders.repository import NewReminder, ReminderRepository
from bot.reminders.scheduler import RunReport, Scheduler, SchedulerOptions
from bot.reminders.schema import REMINDER_MIGRATIONS
from bot.reminders.service import Actor, ReminderService, ReminderSettings
from bot.reminders.tools import reminder_tools

__all__ = [
    "REMINDER_MIGRATIONS",
    "Actor",
    "Delivery",
    "NewReminder",
    "Outgoing",
    "Reminder",
    "ReminderRepository",
    "ReminderService",
    "ReminderSettings",
    "RunReport",
    "Scheduler",
    "SchedulerOptions",
    "SendResult",
    "SendStatus",
    "Status",
    "reminder_tools",
]
