"""Repository functions. Each takes a Connection; the caller owns the transaction.

Every request runs a few of these, so they are SQLAlchemy Core statements built once at import
with bound parameters: SQLAlchemy then reuses each statement's cache key and compiled form, and
skips the ORM's identity map and unit of work. Measured on this code's statements, that is about
four times cheaper per statement than ORM queries built per call (scripts/bench_webhook.py has
the whole-request numbers). Rows come back as frozen values; people are passed by their row id.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Executable,
    Table,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult

from skill.store.models import Glimmer, Person, Preferences, Progress


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


PEOPLE = _table(Person)
GLIMMERS = _table(Glimmer)
PREFERENCES = _table(Preferences)
PROGRESS = _table(Progress)
PREFERENCE_NAMES = frozenset({"offer_linger", "time_zone", "time_zone_checked_at"})


@dataclass(frozen=True)
class Entry:
    """A stored glimmer, as the rest of the skill sees it."""

    id: int
    text: str
    senses: tuple[str, ...]
    shift: str | None
    created_at: datetime


@dataclass(frozen=True)
class Prefs:
    """A person's choices and cached device facts (defaults when nothing is stored yet)."""

    offer_linger: bool = True
    time_zone: str | None = None
    time_zone_checked_at: datetime | None = None


@dataclass(frozen=True)
class ProgressRow:
    """Where a person stands in one practice or lesson."""

    content_id: str
    token: str
    offset_ms: int
    completed: bool


def _per_dialect(build: Callable[[Any], Executable]) -> dict[str, Executable]:
    """One statement per backend, for the INSERT ... ON CONFLICT forms."""
    return {"postgresql": build(postgresql.insert), "sqlite": build(sqlite.insert)}


def _run(connection: Connection, statements: dict[str, Executable], **params: Any) -> None:
    connection.execute(statements[connection.dialect.name], params)


# --- People -----------------------------------------------------------------------------------
_FIND_PERSON = select(PEOPLE.c.id, PEOPLE.c.disclaimer_heard).where(
    PEOPLE.c.user_key == bindparam("user_key")
)
_ADD_PERSON = _per_dialect(
    lambda insert: insert(PEOPLE)
    .values(user_key=bindparam("user_key"), created_at=bindparam("now"), disclaimer_heard=False)
    .on_conflict_do_nothing(index_elements=["user_key"])
)
_VISIT = update(PEOPLE).where(PEOPLE.c.id == bindparam("person")).values(
    last_visit_at=bindparam("now")
)
_NOTE_HEARD = (
    update(PEOPLE)
    .where(PEOPLE.c.user_key == bindparam("key"), PEOPLE.c.disclaimer_heard.is_(False))
    .values(disclaimer_heard=True)
)
_DELETE_PERSON = [
    delete(table).where(table.c.person_id == bindparam("person"))
    for table in (GLIMMERS, PREFERENCES, PROGRESS)
] + [delete(PEOPLE).where(PEOPLE.c.id == bindparam("person"))]


def find_person(connection: Connection, user_key: str) -> int | None:
    """The id of the person with this keyed id, if they have used the skill before."""
    row = connection.execute(_FIND_PERSON, {"user_key": user_key}).first()
    return None if row is None else int(row.id)


def person_for(connection: Connection, user_key: str, now: datetime) -> int:
    """The id of the person with this keyed id, created on first use (safe when workers race)."""
    found = find_person(connection, user_key)
    if found is not None:
        return found
    _run(connection, _ADD_PERSON, user_key=user_key, now=now)
    found = find_person(connection, user_key)
    assert found is not None  # inserted above or by a concurrent request
    return found


def visit(connection: Connection, user_key: str, now: datetime) -> tuple[int, bool]:
    """Records a visit and marks the one-time note heard; returns the id and whether the note
    is this visit's to say (True once, even when two first requests race)."""
    row = connection.execute(_FIND_PERSON, {"user_key": user_key}).first()
    person = int(row.id) if row is not None else person_for(connection, user_key, now)
    first = False
    if row is None or not row.disclaimer_heard:
        first = bool(connection.execute(_NOTE_HEARD, {"key": user_key}).rowcount)
    connection.execute(_VISIT, {"person": person, "now": now})
    return person, first


def mark_note_heard(connection: Connection, user_key: str, now: datetime) -> bool:
    """Marks the one-time note as heard; True only the first time (a read when already heard)."""
    row = connection.execute(_FIND_PERSON, {"user_key": user_key}).first()
    if row is not None and row.disclaimer_heard:
        return False
    if row is None:
        person_for(connection, user_key, now)
    result = connection.execute(_NOTE_HEARD, {"key": user_key})
    return bool(result.rowcount)  # False when a concurrent request said it


def delete_person(connection: Connection, user_key: str) -> bool:
    """Deletes a person and everything stored about them."""
    person = find_person(connection, user_key)
    if person is None:
        return False
    for statement in _DELETE_PERSON:
        connection.execute(statement, {"person": person})
    return True


# --- Preferences ------------------------------------------------------------------------------
_PREFERENCES = select(
    PREFERENCES.c.offer_linger, PREFERENCES.c.time_zone, PREFERENCES.c.time_zone_checked_at
).where(PREFERENCES.c.person_id == bindparam("person"))


def preferences(connection: Connection, person: int) -> Prefs:
    """The person's preferences; the defaults when they never changed any."""
    row = connection.execute(_PREFERENCES, {"person": person}).first()
    if row is None:
        return Prefs()
    return Prefs(bool(row.offer_linger), row.time_zone, row.time_zone_checked_at)


def set_preferences(connection: Connection, person: int, **values: Any) -> None:
    """Changes some preferences, creating the row on first change (safe when requests race)."""
    unknown = set(values) - PREFERENCE_NAMES
    if unknown:
        raise TypeError(f"unknown preferences: {sorted(unknown)}")
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(
        insert(PREFERENCES)
        .values(person_id=person, **{"offer_linger": True, **values})
        .on_conflict_do_update(index_elements=["person_id"], set_=values)
    )


# --- Glimmers ---------------------------------------------------------------------------------
_GLIMMER_COLUMNS = (GLIMMERS.c.id, GLIMMERS.c.text, GLIMMERS.c.senses, GLIMMERS.c.shift,
                    GLIMMERS.c.created_at)
_NEWEST_FIRST = (GLIMMERS.c.created_at.desc(), GLIMMERS.c.id.desc())
_OWNED = GLIMMERS.c.person_id == bindparam("person")
_IN_RANGE = (GLIMMERS.c.created_at >= bindparam("start"), GLIMMERS.c.created_at < bindparam("end"))


def _tagged() -> ColumnElement[bool]:
    """Glimmers whose comma-separated tags include the sense as a whole tag (the patterns are
    bound by _tag_params)."""
    senses = GLIMMERS.c.senses
    return or_(
        senses == bindparam("sense"),
        senses.like(bindparam("sense_first")),
        senses.like(bindparam("sense_last")),
        senses.like(bindparam("sense_inside")),
    )


def _tag_params(sense: str) -> dict[str, str]:
    # Sense names are fixed identifiers (skill/journal/senses.py): no LIKE wildcards in them.
    return {"sense": sense, "sense_first": f"{sense},%", "sense_last": f"%,{sense}",
            "sense_inside": f"%,{sense},%"}


_ADD_GLIMMER = GLIMMERS.insert().values(
    person_id=bindparam("person"), text=bindparam("text"), senses=bindparam("senses"),
    created_at=bindparam("now"),
)
_GLIMMER = select(*_GLIMMER_COLUMNS).where(GLIMMERS.c.id == bindparam("glimmer_id"), _OWNED)
_SET_SHIFT = update(GLIMMERS).where(GLIMMERS.c.id == bindparam("glimmer_id")).values(
    shift=bindparam("shift")
)
_LATEST = select(*_GLIMMER_COLUMNS).where(_OWNED).order_by(*_NEWEST_FIRST).limit(1)
_BETWEEN = (
    select(*_GLIMMER_COLUMNS).where(_OWNED, *_IN_RANGE).order_by(*_NEWEST_FIRST)
    .limit(bindparam("limit")).offset(bindparam("offset"))
)
_BETWEEN_TAGGED = (
    select(*_GLIMMER_COLUMNS).where(_OWNED, *_IN_RANGE, _tagged()).order_by(*_NEWEST_FIRST)
    .limit(bindparam("limit")).offset(bindparam("offset"))
)
_COUNT_BETWEEN = select(func.count(GLIMMERS.c.id)).where(_OWNED, *_IN_RANGE)
_COUNT_BETWEEN_TAGGED = select(func.count(GLIMMERS.c.id)).where(_OWNED, *_IN_RANGE, _tagged())
_COUNT = select(func.count(GLIMMERS.c.id)).where(_OWNED)
_DELETE_GLIMMER = delete(GLIMMERS).where(GLIMMERS.c.id == bindparam("glimmer_id"), _OWNED)


def _entry(row: Any) -> Entry:
    senses = tuple(name for name in str(row.senses).split(",") if name)
    return Entry(id=row.id, text=row.text, senses=senses, shift=row.shift,
                 created_at=row.created_at)


def add_glimmer(
    connection: Connection, person: int, text: str, senses: Sequence[str], now: datetime
) -> Entry:
    """Stores one glimmer as said, with its sense tags."""
    tags = tuple(name for name in senses if name)
    result = connection.execute(
        _ADD_GLIMMER, {"person": person, "text": text, "senses": ",".join(tags), "now": now}
    )
    assert isinstance(result, CursorResult)  # an INSERT's result; RETURNING needs SQLite 3.35
    (glimmer_id,) = result.inserted_primary_key or (None,)
    assert glimmer_id is not None
    return Entry(id=int(glimmer_id), text=text, senses=tags, shift=None, created_at=now)


def glimmer(connection: Connection, person: int, glimmer_id: int) -> Entry | None:
    """One glimmer of this person by id; None when it is not theirs or gone."""
    row = connection.execute(_GLIMMER, {"glimmer_id": glimmer_id, "person": person}).first()
    return _entry(row) if row is not None else None


def set_shift(connection: Connection, glimmer_id: int, shift: str) -> None:
    """Notes the bodily shift that came with a glimmer."""
    connection.execute(_SET_SHIFT, {"glimmer_id": glimmer_id, "shift": shift})


def latest_glimmer(connection: Connection, person: int) -> Entry | None:
    """The most recently logged glimmer."""
    row = connection.execute(_LATEST, {"person": person}).first()
    return _entry(row) if row is not None else None


def glimmers_between(
    connection: Connection,
    person: int,
    start: datetime,
    end: datetime,
    *,
    limit: int,
    offset: int = 0,
    sense: str | None = None,
) -> list[Entry]:
    """Glimmers logged in [start, end), newest first, optionally with one sense tag."""
    params: dict[str, Any] = {"person": person, "start": start, "end": end, "limit": limit,
                              "offset": offset}
    if sense is None:
        return [_entry(row) for row in connection.execute(_BETWEEN, params)]
    params.update(_tag_params(sense))
    return [_entry(row) for row in connection.execute(_BETWEEN_TAGGED, params)]


def count_between(
    connection: Connection, person: int, start: datetime, end: datetime,
    sense: str | None = None,
) -> int:
    """How many glimmers fall in [start, end), optionally with one sense tag."""
    params: dict[str, Any] = {"person": person, "start": start, "end": end}
    if sense is None:
        return int(connection.execute(_COUNT_BETWEEN, params).scalar() or 0)
    params.update(_tag_params(sense))
    return int(connection.execute(_COUNT_BETWEEN_TAGGED, params).scalar() or 0)


def random_glimmer(
    connection: Connection,
    person: int,
    start: datetime,
    end: datetime,
    *,
    chooser: random.Random,
    sense: str | None = None,
) -> Entry | None:
    """One glimmer from [start, end) at random: count, then offset (no full scan)."""
    total = count_between(connection, person, start, end, sense)
    if total == 0:
        return None
    found = glimmers_between(
        connection, person, start, end, limit=1, offset=chooser.randrange(total), sense=sense
    )
    return found[0] if found else None


def count_glimmers(connection: Connection, person: int) -> int:
    """The plain total of glimmers a person has logged."""
    return int(connection.execute(_COUNT, {"person": person}).scalar() or 0)


def delete_glimmer(connection: Connection, person: int, glimmer_id: int) -> bool:
    """Deletes one glimmer of this person; False when it is not theirs or already gone."""
    result = connection.execute(_DELETE_GLIMMER, {"glimmer_id": glimmer_id, "person": person})
    return bool(result.rowcount)


# --- Progress ---------------------------------------------------------------------------------
_POSITION_COLUMNS = (PROGRESS.c.content_id, PROGRESS.c.token, PROGRESS.c.offset_ms,
                     PROGRESS.c.completed)
_ALL_PROGRESS = (
    select(*_POSITION_COLUMNS)
    .where(PROGRESS.c.person_id == bindparam("person"))
    .order_by(PROGRESS.c.updated_at.desc(), PROGRESS.c.id.desc())
)


def _save_progress(insert: Any) -> Executable:
    values = insert(PROGRESS).values(
        person_id=bindparam("person"), content_id=bindparam("content_id"),
        token=bindparam("token"), offset_ms=bindparam("offset_ms"),
        completed=bindparam("completed"), updated_at=bindparam("now"),
    )
    upsert: Executable = values.on_conflict_do_update(
        index_elements=["person_id", "content_id"],
        set_={
            "token": values.excluded.token,
            "offset_ms": values.excluded.offset_ms,
            "completed": or_(PROGRESS.c.completed, values.excluded.completed),
            "updated_at": values.excluded.updated_at,
        },
    )
    return upsert


_SAVE_PROGRESS = _per_dialect(_save_progress)


def _progress_row(row: Any) -> ProgressRow:
    return ProgressRow(row.content_id, row.token, int(row.offset_ms), bool(row.completed))


def all_progress(connection: Connection, person: int) -> list[ProgressRow]:
    """Every progress row of a person, most recently touched first."""
    return [_progress_row(row) for row in connection.execute(_ALL_PROGRESS, {"person": person})]


def save_progress(
    connection: Connection,
    person: int,
    *,
    content_id: str,
    token: str,
    offset_ms: int,
    completed: bool,
    now: datetime,
) -> None:
    """Records where playback of one item stands: one upsert, so a pause and a player event
    arriving together cannot both create the row, and completion, once reached, sticks."""
    _run(connection, _SAVE_PROGRESS, person=person, content_id=content_id, token=token,
         offset_ms=max(0, offset_ms), completed=completed, now=now)
