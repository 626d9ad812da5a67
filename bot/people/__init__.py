"""People: the people in a user's life, kept close. Birthdays and other dates (Gregorian and
Chinese lunar), notes, stay-in-touch cadences and logged contacts, learned from the chat or set
with commands; one daily digest of what deserves attention; drafted messages."""

from bot.people.model import Actor, DigestSettings, ImportantDate, Person, PersonCard
from bot.people.runner import DigestReport, DigestRunner, RunnerOptions
from bot.people.schema import PEOPLE_MIGRATIONS
from bot.people.service import Change, PeopleService
from bot.people.tools import people_tools

__all__ = [
    "PEOPLE_MIGRATIONS",
    "Actor",
    "Change",
    "DigestReport",
    "DigestRunner",
    "DigestSettings",
    "ImportantDate",
    "PeopleService",
    "Person",
    "PersonCard",
    "RunnerOptions",
    "people_tools",
]
