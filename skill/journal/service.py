"""The journal's use cases: the one journal module that talks to the store.

Each function opens one short transaction, applies the pure rules from
skill.journal.glimmers, and returns plain frozen values, never ORM objects.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from skill.journal.glimmers import (
    PAGE_SIZE,
    Kind,
    Period,
    Prepared,
    period_bounds,
    prepare,
    recent_bounds,
)
from skill.journal.senses import Sense
from skill.services import Services
from skill.store import repo
from skill.store.models import Glimmer

log = logging.getLogger(__name__)

TIME_ZONE_REFRESH = timedelta(hours=24)
TIME_ZONE_RETRY = timedelta(hours=1)
SHIFT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Entry:
    """A stored glimmer, as the handlers see it."""

    id: int
    text: str
    senses: tuple[str, ...]
    shift: str | None
    created_at: datetime


def _entry(glimmer: Glimmer) -> Entry:
    return Entry(
        id=glimmer.id,
        text=glimmer.text,
        senses=glimmer.sense_names,
        shift=glimmer.shift,
        created_at=glimmer.created_at,
    )


@dataclass(frozen=True)
class Logged:
    """The outcome of logging: what was prepared, and the entry when it was kept."""

    prepared: Prepared
    entry: Entry | None = None
    offer_linger: bool = False


@dataclass(frozen=True)
class Page:
    """Part of a list of glimmers, with whether more follow."""

    entries: tuple[Entry, ...]
    more: bool


@dataclass(frozen=True)
class DeviceAccess:
    """What the Settings API needs: endpoint, token and device id."""

    endpoint: str
    token: str
    device_id: str


class Journal:
    """Logging, recall and deletion for one person."""

    def __init__(self, services: Services, user_key: str) -> None:
        self.services = services
        self.user_key = user_key

    def log(self, raw: str | None) -> Logged:
        """Keeps a glimmer as said (trimmed, cut at 500 characters), unless it must not be."""
        prepared = prepare(raw)
        if prepared.kind is not Kind.ENTRY:
            return Logged(prepared)
        now = self.services.clock()
        with self.services.db.transaction() as session:
            person = repo.person_for(session, self.user_key, now)
            glimmer = repo.add_glimmer(
                session, person, prepared.text, sorted(prepared.senses), now
            )
            offer = repo.preferences(session, person).offer_linger
            return Logged(prepared, _entry(glimmer), offer_linger=offer)

    def add_shift(self, glimmer_id: int | None, raw: str | None) -> tuple[Prepared, bool]:
        """Notes a bodily shift on the glimmer just logged; says whether there was one."""
        prepared = prepare(raw, tag=False)
        if prepared.kind is not Kind.ENTRY:
            return prepared, False
        now = self.services.clock()
        with self.services.db.transaction() as session:
            person = repo.find_person(session, self.user_key)
            if person is None:
                return prepared, False
            target = session.get(Glimmer, glimmer_id) if glimmer_id is not None else None
            if target is None or target.person_id != person.id:
                target = repo.latest_glimmer(session, person)
                if target is None or now - target.created_at > SHIFT_WINDOW:
                    return prepared, False
            target.shift = prepared.text
            return prepared, True

    def set_linger(self, offer: bool) -> None:
        """Turns the offer to linger after logging on or off, for good."""
        with self.services.db.transaction() as session:
            person = repo.person_for(session, self.user_key, self.services.clock())
            repo.preferences(session, person).offer_linger = offer

    def random_recent(self, sense: Sense | None) -> Entry | None:
        """One glimmer from the last thirty days, at random, optionally with one sense."""
        start, end = recent_bounds(self.services.clock())
        with self.services.db.transaction() as session:
            person = repo.find_person(session, self.user_key)
            if person is None:
                return None
            found = repo.random_glimmer(
                session,
                person,
                start,
                end,
                chooser=self.services.chooser(),
                sense=sense.value if sense else None,
            )
            return _entry(found) if found else None

    def page(self, period: Period, zone: tzinfo, offset: int) -> Page:
        """Up to three glimmers of a period, newest first, from `offset`."""
        start, end = period_bounds(period, self.services.clock(), zone)
        with self.services.db.transaction() as session:
            person = repo.find_person(session, self.user_key)
            if person is None:
                return Page((), more=False)
            found = repo.glimmers_between(
                session, person, start, end, limit=PAGE_SIZE + 1, offset=offset
            )
        entries = tuple(_entry(glimmer) for glimmer in found[:PAGE_SIZE])
        return Page(entries, more=len(found) > PAGE_SIZE)

    def count(self) -> int:
        """The plain total, never a streak."""
        with self.services.db.transaction() as session:
            person = repo.find_person(session, self.user_key)
            return repo.count_glimmers(session, person) if person else 0

    def last(self) -> Entry | None:
        """The most recent glimmer."""
        with self.services.db.transaction() as session:
            person = repo.find_person(session, self.user_key)
            found = repo.latest_glimmer(session, person) if person else None
            return _entry(found) if found else None

    def delete(self, glimmer_id: int) -> bool:
        """Deletes one glimmer of this person."""
        with self.services.db.transaction() as session:
            person = repo.find_person(session, self.user_key)
            if person is None:
                return False
            return repo.delete_glimmer(session, person, glimmer_id)

    def delete_everything(self) -> bool:
        """Deletes the person and everything kept about them."""
        with self.services.db.transaction() as session:
            return repo.delete_person(session, self.user_key)

    def zone(self, access: DeviceAccess | None) -> tzinfo:
        """The person's time zone: cached for a day, asked of the Settings API, else UTC."""
        now = self.services.clock()
        with self.services.db.transaction() as session:
            person = repo.find_person(session, self.user_key)
            if person is None:
                return UTC  # nothing to recall yet, so no need to ask Amazon
            prefs = repo.preferences(session, person)
            cached, checked_at = prefs.time_zone, prefs.time_zone_checked_at
        if checked_at and now - checked_at < TIME_ZONE_REFRESH:
            return _zone(cached) if cached else UTC
        name = (
            self.services.time_zone_fetcher(access.endpoint, access.token, access.device_id)
            if access is not None
            else None
        )
        with self.services.db.transaction() as session:
            person = repo.person_for(session, self.user_key, now)
            prefs = repo.preferences(session, person)
            if name is None:
                # Ask again in an hour, not on every recall (each ask may wait seconds).
                prefs.time_zone_checked_at = now - TIME_ZONE_REFRESH + TIME_ZONE_RETRY
                return _zone(cached) if cached else UTC
            prefs.time_zone = name
            prefs.time_zone_checked_at = now
        return _zone(name)


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.info("unknown time zone name ignored")
        return UTC
