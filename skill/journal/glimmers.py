"""Glimmers as the person says them: cleaning, cutting, screening and the words for when.

Pure functions over plain values; no Alexa, no SQL.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from skill.journal.safety import screen
from skill.journal.senses import Sense, detect_senses

MAX_CHARS = 500
RECENT_DAYS = 30
PAGE_SIZE = 3
_SPACE = re.compile(r"\s+")
_PUNCTUATION = re.compile(r"[^\w\s']")
# Answers that mean "I couldn't find one": met warmly, never saved as a glimmer.
NOTHING_PHRASES = frozenset({
    "nothing", "nothing today", "nothing really", "nothing at all", "nothing much", "not much",
    "none", "no", "nope", "not today", "i don't know", "i dont know", "i can't find one",
    "i couldn't find one", "i didn't notice anything", "nothing comes to mind", "not really",
})
# Control characters and lone surrogates can't be spoken or stored (PostgreSQL refuses NUL).
_UNSPEAKABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class Kind(enum.Enum):
    """What a piece of free text turned out to be."""

    ENTRY = "entry"
    NOTHING = "nothing"
    EMPTY = "empty"
    UNCLEAR = "unclear"
    CRISIS = "crisis"


@dataclass(frozen=True)
class Prepared:
    """Free text ready to store (kind ENTRY) or the reason it must not be."""

    kind: Kind
    text: str = ""
    senses: frozenset[Sense] = frozenset()
    was_cut: bool = False


def _has_words(text: str) -> bool:
    return any(unicodedata.category(char)[0] in {"L", "N"} for char in text)


def cut_at_word(text: str, limit: int = MAX_CHARS) -> tuple[str, bool]:
    """Cuts text to at most `limit` characters at a word boundary; says whether it cut."""
    if len(text) <= limit:
        return text, False
    head = text[: limit + 1]
    boundary = head.rfind(" ")
    kept = head[:boundary] if boundary > limit // 2 else text[:limit]
    return kept.rstrip(" ,;:-"), True


def prepare(raw: str | None, *, tag: bool = True) -> Prepared:
    """Trims and screens free text; crisis language is caught before anything is kept."""
    if raw is None or not _UNSPEAKABLE.sub("", raw).strip():
        return Prepared(Kind.EMPTY)
    text = _SPACE.sub(" ", unicodedata.normalize("NFC", _UNSPEAKABLE.sub("", raw))).strip()
    if screen(text):
        return Prepared(Kind.CRISIS)
    if not _has_words(text):
        return Prepared(Kind.UNCLEAR)
    if _PUNCTUATION.sub("", text.lower()).strip() in NOTHING_PHRASES:
        return Prepared(Kind.NOTHING)
    kept, was_cut = cut_at_word(text)
    senses = detect_senses(kept) if tag else frozenset()
    return Prepared(Kind.ENTRY, text=kept, senses=senses, was_cut=was_cut)


class Period(enum.Enum):
    """A stretch of time someone can ask about."""

    TODAY = "TODAY"
    WEEK = "WEEK"

    @classmethod
    def parse(cls, slot_id: str | None, spoken: str | None) -> Period:
        """The period from a resolved slot id or the spoken words; today when unclear."""
        if slot_id is not None and slot_id in cls.__members__:
            return cls[slot_id]
        if spoken and "week" in spoken.lower():
            return cls.WEEK
        return cls.TODAY


def _local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def period_bounds(period: Period, now: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of a period in the person's zone: today, or the last seven days."""
    today = now.astimezone(zone).date()
    first = today if period is Period.TODAY else today - timedelta(days=6)
    return _local_midnight(first, zone), now + timedelta(seconds=1)


def recent_bounds(now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the last thirty days."""
    return now - timedelta(days=RECENT_DAYS), now + timedelta(seconds=1)


class WhenKind(enum.Enum):
    """How far back a day is, as a person would say it."""

    TODAY = "today"
    YESTERDAY = "yesterday"
    WEEKDAY = "weekday"
    DATE = "date"


@dataclass(frozen=True)
class When:
    """A day relative to today in the person's zone; the words live in the speech catalog."""

    kind: WhenKind
    day: date


def describe_when(moment: datetime, now: datetime, zone: tzinfo) -> When:
    """Today, yesterday, a weekday within the week, or a date."""
    day = moment.astimezone(zone).date()
    today = now.astimezone(zone).date()
    if day == today:
        return When(WhenKind.TODAY, day)
    if day == today - timedelta(days=1):
        return When(WhenKind.YESTERDAY, day)
    if today - day < timedelta(days=7):
        return When(WhenKind.WEEKDAY, day)
    return When(WhenKind.DATE, day)
