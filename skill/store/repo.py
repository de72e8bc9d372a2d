"""Repository functions. Each takes a Session; the caller owns the transaction."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from skill.store.models import Base, Glimmer, Person, Preferences, Progress


def _insert(session: Session, model: type[Base]) -> Any:
    """The backend's INSERT, which knows ON CONFLICT DO NOTHING."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model)


def find_person(session: Session, user_key: str) -> Person | None:
    """The person with this keyed id, if they have used the skill before."""
    return session.scalars(select(Person).where(Person.user_key == user_key)).one_or_none()


def person_for(session: Session, user_key: str, now: datetime) -> Person:
    """The person with this keyed id, created on first use (safe when workers race)."""
    person = find_person(session, user_key)
    if person is not None:
        return person
    values = {"user_key": user_key, "created_at": now, "disclaimer_heard": False}
    insert = _insert(session, Person).values(**values)
    session.execute(insert.on_conflict_do_nothing(index_elements=["user_key"]))
    person = find_person(session, user_key)
    assert person is not None  # inserted above or by a concurrent request
    return person


def mark_note_heard(session: Session, user_key: str, now: datetime) -> bool:
    """Marks the one-time note as heard; True only the first time (a read when already heard)."""
    heard = session.scalar(select(Person.disclaimer_heard).where(Person.user_key == user_key))
    if heard:
        return False
    if heard is None:
        person_for(session, user_key, now)
    result = session.execute(
        update(Person)
        .where(Person.user_key == user_key, Person.disclaimer_heard.is_(False))
        .values(disclaimer_heard=True)
    )
    return bool(getattr(result, "rowcount", 0))  # False when a concurrent request said it


def preferences(session: Session, person: Person) -> Preferences:
    """The person's preferences row, created with defaults on first use."""
    prefs = session.get(Preferences, person.id)
    if prefs is not None:
        return prefs
    session.execute(
        _insert(session, Preferences)
        .values(person_id=person.id, offer_linger=True)
        .on_conflict_do_nothing(index_elements=["person_id"])
    )
    prefs = session.get(Preferences, person.id)
    assert prefs is not None  # inserted above or by a concurrent request
    return prefs


def delete_person(session: Session, user_key: str) -> bool:
    """Deletes a person and, through the cascade, everything stored about them."""
    person = find_person(session, user_key)
    if person is None:
        return False
    for table in (Glimmer, Preferences, Progress):
        session.execute(delete(table).where(table.person_id == person.id))
    session.execute(delete(Person).where(Person.id == person.id))
    return True


def add_glimmer(
    session: Session, person: Person, text: str, senses: Sequence[str], now: datetime
) -> Glimmer:
    """Stores one glimmer as said, with its sense tags."""
    glimmer = Glimmer(person_id=person.id, text=text, senses=",".join(senses), created_at=now)
    session.add(glimmer)
    session.flush()
    return glimmer


def latest_glimmer(session: Session, person: Person) -> Glimmer | None:
    """The most recently logged glimmer."""
    return session.scalars(
        select(Glimmer)
        .where(Glimmer.person_id == person.id)
        .order_by(Glimmer.created_at.desc(), Glimmer.id.desc())
        .limit(1)
    ).first()


def _tagged(sense: str) -> ColumnElement[bool]:
    """Glimmers whose comma-separated tags include this sense as a whole tag."""
    return or_(
        Glimmer.senses == sense,
        Glimmer.senses.startswith(f"{sense},"),
        Glimmer.senses.endswith(f",{sense}"),
        Glimmer.senses.contains(f",{sense},"),
    )


def glimmers_between(
    session: Session,
    person: Person,
    start: datetime,
    end: datetime,
    *,
    limit: int,
    offset: int = 0,
    sense: str | None = None,
) -> list[Glimmer]:
    """Glimmers logged in [start, end), newest first, optionally with one sense tag."""
    query = (
        select(Glimmer)
        .where(Glimmer.person_id == person.id)
        .where(Glimmer.created_at >= start, Glimmer.created_at < end)
    )
    if sense is not None:
        query = query.where(_tagged(sense))
    query = query.order_by(Glimmer.created_at.desc(), Glimmer.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def count_between(
    session: Session, person: Person, start: datetime, end: datetime, sense: str | None = None
) -> int:
    """How many glimmers fall in [start, end), optionally with one sense tag."""
    query = select(func.count(Glimmer.id)).where(
        Glimmer.person_id == person.id, Glimmer.created_at >= start, Glimmer.created_at < end
    )
    if sense is not None:
        query = query.where(_tagged(sense))
    return int(session.scalar(query) or 0)


def random_glimmer(
    session: Session,
    person: Person,
    start: datetime,
    end: datetime,
    *,
    chooser: random.Random,
    sense: str | None = None,
) -> Glimmer | None:
    """One glimmer from [start, end) at random: count, then offset (no full scan)."""
    total = count_between(session, person, start, end, sense)
    if total == 0:
        return None
    found = glimmers_between(
        session, person, start, end, limit=1, offset=chooser.randrange(total), sense=sense
    )
    return found[0] if found else None


def count_glimmers(session: Session, person: Person) -> int:
    """The plain total of glimmers a person has logged."""
    return int(
        session.scalar(select(func.count(Glimmer.id)).where(Glimmer.person_id == person.id)) or 0
    )


def delete_glimmer(session: Session, person: Person, glimmer_id: int) -> bool:
    """Deletes one glimmer of this person; False when it is not theirs or already gone."""
    result = session.execute(
        delete(Glimmer).where(Glimmer.id == glimmer_id, Glimmer.person_id == person.id)
    )
    return bool(getattr(result, "rowcount", 0))


def progress_for(session: Session, person: Person, content_id: str) -> Progress | None:
    """The stored progress of one practice or lesson."""
    return session.scalars(
        select(Progress).where(Progress.person_id == person.id, Progress.content_id == content_id)
    ).one_or_none()


def all_progress(session: Session, person: Person) -> list[Progress]:
    """Every progress row of a person, most recently touched first."""
    return list(
        session.scalars(
            select(Progress)
            .where(Progress.person_id == person.id)
            .order_by(Progress.updated_at.desc(), Progress.id.desc())
        )
    )


def save_progress(
    session: Session,
    person: Person,
    *,
    content_id: str,
    token: str,
    offset_ms: int,
    completed: bool,
    now: datetime,
) -> Progress:
    """Records where playback of one item stands, creating the row on first play."""
    progress = progress_for(session, person, content_id)
    if progress is None:  # created race-free: a pause and a player event may arrive together
        session.execute(
            _insert(session, Progress)
            .values(person_id=person.id, content_id=content_id, token=token, offset_ms=0,
                    completed=False, updated_at=now)
            .on_conflict_do_nothing(index_elements=["person_id", "content_id"])
        )
        progress = progress_for(session, person, content_id)
        assert progress is not None
    progress.token = token
    progress.offset_ms = max(0, offset_ms)
    progress.completed = progress.completed or completed
    progress.updated_at = now
    session.flush()
    return progress
