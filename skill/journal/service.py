"""The journal's use cases: the one journal module that talks to the store.

Each use case runs in one short transaction (a recall whose cached time zone has gone stale
asks Amazon between two), applies the pure rules from skill.journal.glimmers, and returns
plain frozen values.
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
from skill.store import Transaction, repo
from skill.store.repo import Entry, Prefs

log = logging.getLogger(__name__)

TIME_ZONE_REFRESH = timedelta(hours=24)
TIME_ZONE_RETRY = timedelta(hours=1)
SHIFT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Logged:
    """The outcome of logging: what was prepared, and the entry when it was kept."""

    prepared: Prepared
    entry: Entry | None = None
    offer_linger: bool = False


@dataclass(frozen=True)
class Page:
    """Part of a list of glimmers, with whether more follow, and the zone to say times in."""

    entries: tuple[Entry, ...]
    more: bool
    zone: tzinfo = UTC


@dataclass(frozen=True)
class Recalled:
    """One glimmer read back, with the person's time zone to say when it was."""

    entry: Entry
    zone: tzinfo


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
        with self.services.db.transaction() as tx:
            person = repo.person_for(tx, self.user_key, now)
            entry = repo.add_glimmer(tx, person, prepared.text, sorted(prepared.senses), now)
            offer = repo.preferences(tx, person).offer_linger
        return Logged(prepared, entry, offer_linger=offer)

    def add_shift(self, glimmer_id: int | None, raw: str | None) -> tuple[Prepared, bool]:
        """Notes a bodily shift on the glimmer just logged; says whether there was one."""
        prepared = prepare(raw, tag=False)
        if prepared.kind is not Kind.ENTRY:
            return prepared, False
        now = self.services.clock()
        with self.services.db.transaction() as tx:
            person = repo.find_person(tx, self.user_key)
            if person is None:
                return prepared, False
            target = repo.glimmer(tx, person, glimmer_id) if glimmer_id is not None else None
            if target is None:
                target = repo.latest_glimmer(tx, person)
                if target is None or now - target.created_at > SHIFT_WINDOW:
                    return prepared, False
            repo.set_shift(tx, target.id, prepared.text)
            return prepared, True

    def set_linger(self, offer: bool) -> None:
        """Turns the offer to linger after logging on or off, for good."""
        with self.services.db.transaction() as tx:
            person = repo.person_for(tx, self.user_key, self.services.clock())
            repo.set_preferences(tx, person, offer_linger=offer)

    def random_recent(self, sense: Sense | None, access: DeviceAccess | None) -> Recalled | None:
        """One glimmer from the last thirty days, at random, optionally with one sense."""
        now = self.services.clock()
        start, end = recent_bounds(now)
        with self.services.db.transaction() as tx:
            person = repo.find_person(tx, self.user_key)
            if person is None:
                return None
            found = repo.random_glimmer(
                tx,
                person,
                start,
                end,
                chooser=self.services.chooser(),
                sense=sense.value if sense else None,
            )
            prefs = repo.preferences(tx, person) if found else Prefs()
        if found is None:
            return None
        zone = _fresh_zone(prefs, now)
        if zone is None:
            zone = self._ask_zone(person, prefs, access, now)
        return Recalled(found, zone)

    def page(self, period: Period, access: DeviceAccess | None, offset: int) -> Page:
        """Up to three glimmers of a period in the person's time zone, newest first."""
        now = self.services.clock()
        with self.services.db.transaction() as tx:
            person = repo.find_person(tx, self.user_key)
            if person is None:
                return Page((), more=False)  # nothing to recall, so no need to ask Amazon
            prefs = repo.preferences(tx, person)
            zone = _fresh_zone(prefs, now)
            if zone is not None:
                return _page(tx, person, period_bounds(period, now, zone), zone, offset)
        zone = self._ask_zone(person, prefs, access, now)
        with self.services.db.transaction() as tx:
            return _page(tx, person, period_bounds(period, now, zone), zone, offset)

    def _ask_zone(self, person: int, prefs: Prefs, access: DeviceAccess | None,
                  now: datetime) -> tzinfo:
        """Asks the Settings API (outside any transaction: it may wait seconds) and keeps the
        answer for a day; when Amazon cannot say, asks again in an hour, not on every recall."""
        name = (
            self.services.time_zone_fetcher(access.endpoint, access.token, access.device_id)
            if access is not None
            else None
        )
        with self.services.db.transaction() as tx:
            if name is None:
                repo.set_preferences(tx, person,
                                     time_zone_checked_at=now - TIME_ZONE_REFRESH + TIME_ZONE_RETRY)
                return _zone(prefs.time_zone) if prefs.time_zone else UTC
            repo.set_preferences(tx, person, time_zone=name, time_zone_checked_at=now)
        return _zone(name)

    def count(self) -> int:
        """The plain total, never a streak."""
        with self.services.db.transaction() as tx:
            person = repo.find_person(tx, self.user_key)
            return repo.count_glimmers(tx, person) if person is not None else 0

    def last(self) -> Entry | None:
        """The most recent glimmer."""
        with self.services.db.transaction() as tx:
            person = repo.find_person(tx, self.user_key)
            return repo.latest_glimmer(tx, person) if person is not None else None

    def delete(self, glimmer_id: int) -> bool:
        """Deletes one glimmer of this person."""
        with self.services.db.transaction() as tx:
            person = repo.find_person(tx, self.user_key)
            if person is None:
                return False
            return repo.delete_glimmer(tx, person, glimmer_id)

    def delete_everything(self) -> bool:
        """Deletes the person and everything kept about them."""
        with self.services.db.transaction() as tx:
            return repo.delete_person(tx, self.user_key)


def _page(tx: Transaction, person: int, bounds: tuple[datetime, datetime], zone: tzinfo,
          offset: int) -> Page:
    """One page of a person's glimmers between the bounds, newest first."""
    start, end = bounds
    found = repo.glimmers_between(tx, person, start, end, limit=PAGE_SIZE + 1, offset=offset)
    return Page(tuple(found[:PAGE_SIZE]), more=len(found) > PAGE_SIZE, zone=zone)


def _fresh_zone(prefs: Prefs, now: datetime) -> tzinfo | None:
    """The cached time zone while it is fresh (UTC when Amazon could not say); None when stale."""
    checked_at = prefs.time_zone_checked_at
    if checked_at is None or now - checked_at >= TIME_ZONE_REFRESH:
        return None
    return _zone(prefs.time_zone) if prefs.time_zone else UTC


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.info("unknown time zone name ignored")
        return UTC
